"""The Gradio page and the JSON API on one FastAPI server, over one opened index.

`create_app(source, ...)` builds both over a Searcher or a LiveIndex (tests use it); `serve(...)` runs
them with uvicorn over a LiveIndex, so a `quarry index` run while serving is picked up once complete.
Ranking happens in search/; this module only wires.
"""

from __future__ import annotations

import atexit
import logging
import secrets
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable

import gradio as gr
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from quarry.errors import QuarryError
from ui import handlers, render
from ui.style import CSS, HEAD, theme
from ui.handlers import SearchRequest, SearchView

log = logging.getLogger("quarry.ui")

# Copy to the clipboard from any .q-copy button inside a results panel (navigator.clipboard needs a
# secure context such as http://127.0.0.1; elsewhere fall back to execCommand, then to a prompt).
COPY_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button.q-copy');
  if (!button) return;
  const text = button.dataset.copy || '';
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  const done = (ok) => {
    button.textContent = ok ? 'Copied \u2713' : label;
    if (!ok) window.prompt('Copy the citation:', text);
    setTimeout(() => { button.textContent = label; }, 2000);
  };
  const fallback = () => {
    const area = document.createElement('textarea');
    area.value = text; area.setAttribute('readonly', '');
    area.style.position = 'fixed'; area.style.opacity = '0';
    document.body.appendChild(area); area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    document.body.removeChild(area);
    done(ok);
  };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(() => done(true), fallback);
  else fallback();
});
"""

# Keep the address bar in step with the search, so it can be shared as a `/?q=...` link.
URL_JS = """
(q, mode, k, au, dc, yr, ty) => {
  try {
    const p = new URLSearchParams();
    if (q && q.trim()) p.set('q', q.trim());
    if (mode && mode !== 'hybrid') p.set('mode', mode);
    if (k && Number(k) !== DEFAULT_K) p.set('k', String(k));
    for (const [key, vals] of [['authority', au], ['doc', dc], ['year', yr], ['type', ty]])
      for (const v of (vals || [])) p.append(key, v);
    const s = p.toString();
    window.history.replaceState(null, '', s ? '?' + s : window.location.pathname);
  } catch (e) { /* an old browser keeps its address; the search still runs */ }
  return [q, mode, k, au, dc, yr, ty];
}
"""


def _canonical(values: list[str], choices: tuple[str, ...]) -> list[str]:
    """URL filter values -> menu entries ("Cardiff" -> "Cardiff City Council" when only one fits)."""
    out = []
    for v in values:
        exact = [c for c in choices if c.lower() == v.lower()]
        partial = [c for c in choices if v.lower() in c.lower()]
        out.append((exact or partial)[0] if len(exact) == 1 or (not exact and len(partial) == 1) else v)
    return out


def _current(source) -> Callable[[], Any]:
    """A Searcher, or a LiveIndex (search/live.py) whose `current()` follows rebuilds -> a getter."""
    return source.current if hasattr(source, "current") else (lambda: source)


def build_blocks(source, default_k: int = 10, export_dir: Path | None = None,
                 lock: threading.Lock | None = None) -> gr.Blocks:
    """The search page over a Searcher or LiveIndex: query box, mode, filters, answer, cards, exports."""
    current = _current(source)
    lock = lock or threading.Lock()
    export_dir = Path(export_dir or tempfile.mkdtemp(prefix="quarry-exports-"))
    choices = handlers.filter_choices(current().doc_infos)
    max_k = max(50, default_k)

    def outputs_for(view: SearchView) -> list[Any]:
        if view.has_results:
            paths = handlers.write_exports(view, export_dir)
            downloads = [gr.DownloadButton(value=str(p), visible=True) for p in paths.values()]
        else:
            downloads = [gr.DownloadButton(value=None, visible=False) for _ in range(3)]
        # examples are for the first load (and after a miss); an empty answer panel takes no room
        return [view.status, gr.HTML(view.answer, visible=bool(view.answer)), view.cards, *downloads,
                gr.Row(visible=not view.has_results)]

    def run(req: SearchRequest) -> list[Any]:
        with lock:
            return outputs_for(handlers.run_search(current(), req))

    def on_search(query, mode, k, authorities, documents, years, doc_types):
        try:
            req = SearchRequest((query or "").strip(), handlers.parse_mode(mode), handlers.parse_k(k, default_k),
                                handlers.make_filters(authorities, documents, years, doc_types))
        except QuarryError as e:
            return outputs_for(SearchView(SearchRequest(query or ""), status=render.error_state(str(e))))
        return run(req)

    def on_load(request: gr.Request):
        # the filter menus follow the index (it may have been rebuilt since the server started)
        fresh = handlers.filter_choices(current().doc_infos)
        menus = [list(fresh.authorities), list(fresh.documents), list(fresh.years), list(fresh.doc_types)]
        params = {key: request.query_params.getlist(key) for key in request.query_params.keys()}
        if not params.get("q"):  # a plain visit: leave the form alone (the person may already be typing)
            return [gr.skip()] * 3 + [gr.Dropdown(choices=c) for c in menus] + [gr.skip()] * len(shown)
        try:
            req = handlers.request_from_params(params, default_k)
        except QuarryError as e:
            view = SearchView(SearchRequest(""), status=render.error_state(str(e)))
            return [gr.skip()] * 3 + [gr.Dropdown(choices=c) for c in menus] + outputs_for(view)
        f = req.filters
        values = [_canonical(f.get("authority", []), fresh.authorities), f.get("doc", []), f.get("year", []),
                  _canonical(f.get("type", []), fresh.doc_types)]
        return [req.query, req.mode, min(max(req.k, 1), max_k),
                *[gr.Dropdown(choices=c, value=v) for c, v in zip(menus, values)], *run(req)]

    with gr.Blocks(title="quarry: search the reports", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.HTML('<div class="q-header"><h1>quarry</h1><p>Search the reports; every passage comes with its '
                "document, section and page.</p></div>", js_on_load=None)
        with gr.Row(equal_height=True, elem_classes="q-search-row"):
            query = gr.Textbox(label="Question or keywords", placeholder="e.g. How many children came into care in 2009/10?",
                               lines=1, max_lines=1, scale=6, min_width=280, autofocus=True, elem_id="q-query")
            go = gr.Button("Search", variant="primary", scale=1, min_width=90, elem_id="q-go")
        with gr.Row(elem_classes="q-examples") as examples:
            example_buttons = [gr.Button(e, size="sm", variant="secondary", elem_classes="q-example", min_width=160)
                               for e in handlers.EXAMPLES]
        with gr.Row(equal_height=True):
            mode = gr.Radio([("Hybrid", "hybrid"), ("Keyword", "bm25"), ("Semantic", "dense")], value="hybrid",
                            label="Mode", info="Hybrid combines keyword (BM25) and semantic (meaning) search.",
                            elem_id="q-mode", min_width=220, scale=2)
            k = gr.Slider(1, max_k, value=default_k, step=1, label="Number of results", elem_id="q-k", min_width=180, scale=1)
        with gr.Accordion("Filters", open=False, elem_id="q-filters"):
            with gr.Row():
                authority = gr.Dropdown(list(choices.authorities), multiselect=True, label="Local authority",
                                        elem_id="q-filter-authority", allow_custom_value=True, min_width=200)
                document = gr.Dropdown(list(choices.documents), multiselect=True, label="Document",
                                       elem_id="q-filter-doc", min_width=200)
                year = gr.Dropdown(list(choices.years), multiselect=True, label="Year", elem_id="q-filter-year", min_width=120)
                doc_type = gr.Dropdown(list(choices.doc_types), multiselect=True, label="Document type",
                                       elem_id="q-filter-type", allow_custom_value=True, min_width=160)
        answer = gr.HTML("", elem_id="q-answer", js_on_load=COPY_JS, visible=False)
        status = gr.HTML(render.empty_state(), elem_id="q-status", js_on_load=None)
        with gr.Row(elem_classes="q-exports"):
            downloads = [gr.DownloadButton(label, visible=False, size="sm", elem_id=f"q-export-{ext}", min_width=150, scale=0)
                         for label, ext in (("Export Markdown", "md"), ("Export CSV", "csv"), ("Export JSON", "json"))]
        results = gr.HTML("", elem_id="q-results", js_on_load=COPY_JS)

        form = [query, mode, k, authority, document, year, doc_type]
        shown = [status, answer, results, *downloads, examples]
        search = dict(fn=on_search, inputs=form, outputs=shown, js=URL_JS.replace("DEFAULT_K", str(int(default_k))),
                      api_visibility="private", show_progress_on=[status, results])
        query.submit(**search)
        go.click(**search)
        # a changed option reruns the search on screen (a blank query keeps the welcome)
        for control in (mode, authority, document, year, doc_type):
            control.input(**search)
        k.release(**search)
        for button, text in zip(example_buttons, handlers.EXAMPLES):
            button.click(lambda t=text: t, inputs=None, outputs=query, api_visibility="private").then(**search)
        demo.load(on_load, inputs=None, outputs=[*form, *shown], api_visibility="private", show_progress_on=[status])
    return demo


class _Unauthorized(Exception):
    """An API call without the server's --auth credentials."""


def _auth_dependency(auth: tuple[str, str] | None) -> Callable:
    basic = HTTPBasic(auto_error=False, realm="quarry")

    def check(credentials: HTTPBasicCredentials | None = Depends(basic)) -> None:
        if auth is None:
            return
        ok = credentials is not None and secrets.compare_digest(credentials.username.encode(), auth[0].encode()) \
            and secrets.compare_digest(credentials.password.encode(), auth[1].encode())
        if not ok:
            raise _Unauthorized()

    return check


def _params(request: Request) -> dict[str, list[str]]:
    return {key: request.query_params.getlist(key) for key in request.query_params.keys()}


def create_app(source, default_k: int = 10, auth: tuple[str, str] | None = None,
               export_dir: Path | None = None) -> FastAPI:
    """FastAPI app: GET /api/search, /api/ask, /api/health, and the Gradio page at /."""
    current = _current(source)
    lock = threading.Lock()
    app = FastAPI(title="quarry", docs_url=None, redoc_url=None, openapi_url=None)
    guard = [Depends(_auth_dependency(auth))]

    @app.exception_handler(_Unauthorized)
    async def unauthorized(request: Request, exc: _Unauthorized) -> JSONResponse:
        return JSONResponse({"error": "authentication required (HTTP Basic, the --auth USER:PASS of the server)"},
                            status_code=401, headers={"WWW-Authenticate": 'Basic realm="quarry"'})

    @app.exception_handler(QuarryError)
    async def quarry_error(request: Request, exc: QuarryError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)  # the traceback stays in the log
        return JSONResponse({"error": "internal error (the server log has the details)"}, status_code=500)

    @app.get("/api/search", dependencies=guard)
    def api_search(request: Request) -> JSONResponse:
        """Hits as `quarry search --json` prints them: {"query", "mode", "k", "filters", "hits": [...]}."""
        req = handlers.request_from_params(_params(request), default_k)
        with lock:
            return JSONResponse(handlers.search_json(current(), req))

    @app.get("/api/ask", dependencies=guard)
    def api_ask(request: Request) -> JSONResponse:
        """The answer as `quarry ask --json` prints it."""
        req = handlers.request_from_params(_params(request), default_k)
        with lock:
            return JSONResponse(handlers.ask_json(current(), req))

    @app.get("/api/health", dependencies=guard)
    def api_health() -> dict[str, Any]:
        """Liveness plus what is loaded: documents, passages, model."""
        searcher = current()
        return {"ok": True, "documents": len(searcher.doc_infos), "passages": len(searcher.chunks),
                "model": searcher.index.manifest["model"]["id"]}

    demo = build_blocks(source, default_k, export_dir, lock)
    return gr.mount_gradio_app(app, demo, path="/", auth=auth, ssr_mode=False, css=CSS, head=HEAD, theme=theme(),
                               footer_links=[], show_error=False, auth_message="Sign in to search the reports.")


def warm_up(searcher) -> None:
    """Load the embedder (and the answer step) now, so the first person's search is not the slow one."""
    searcher.search("children in care", k=1, mode="hybrid")
    from search.answer import ask

    ask(searcher, "children in care", k=1)


def serve(live, host: str, port: int, default_k: int = 10, auth: tuple[str, str] | None = None) -> None:
    """Run the page and API over a LiveIndex until interrupted; exports live in a temp folder removed at exit."""
    import uvicorn

    export_dir = Path(tempfile.mkdtemp(prefix="quarry-exports-"))
    atexit.register(shutil.rmtree, export_dir, ignore_errors=True)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "[::]", "") else host
    searcher = live.current()
    ready = (f"quarry: serving http://{shown}:{port}  ({len(searcher.doc_infos)} documents, "
             f"{len(searcher.chunks)} passages; Ctrl+C stops)")

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.started:  # say so only once the socket is listening
                print(ready, file=sys.stderr, flush=True)

    config = uvicorn.Config(create_app(live, default_k, auth, export_dir), host=host, port=port, log_level="warning")
    Server(config).run()
