"""The search page (Gradio Blocks) over a Searcher or a LiveIndex, and its named Gradio API.

The page: query box, mode, filters, "Check a quote", answer, result cards and exports. Ranking happens in search/;
the form goes through ui/handlers.py and comes back as HTML from ui/render.py.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any, Callable

import gradio as gr

from quarry.errors import QuarryError
from ui import handlers, render
from ui.compare_page import compare_section
from ui.handlers import SearchRequest, SearchView
from ui.scripts import COPY_JS, URL_JS


def _canonical(values: list[str], choices: tuple[str, ...]) -> list[str]:
    """URL filter values -> menu entries ("Cardiff" -> "Cardiff City Council" when only one fits)."""
    out = []
    for v in values:
        exact = [c for c in choices if c.lower() == v.lower()]
        partial = [c for c in choices if v.lower() in c.lower()]
        out.append((exact or partial)[0] if len(exact) == 1 or (not exact and len(partial) == 1) else v)
    return out


def current_getter(source) -> Callable[[], Any]:
    """A Searcher, or a LiveIndex (search/live.py) whose `current()` follows rebuilds -> a getter."""
    return source.current if hasattr(source, "current") else (lambda: source)


def build_blocks(source, default_k: int = 10, export_dir: Path | None = None,
                 lock: threading.Lock | None = None) -> gr.Blocks:
    """The search page over a Searcher or LiveIndex: query box, mode, filters, answer, cards, exports."""
    current = current_getter(source)
    lock = lock or threading.Lock()
    export_dir = Path(export_dir or tempfile.mkdtemp(prefix="quarry-exports-"))
    choices = handlers.filter_choices(current())
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
        fresh = handlers.filter_choices(current())
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
        quote_check_section(current, lock, [authority, document, year, doc_type])
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
        compare_section(demo, current, lock, export_dir, [authority, document, year, doc_type])
        named_api(current, lock, default_k)
    return demo


def named_api(current: Callable[[], Any], lock: threading.Lock, default_k: int) -> None:
    """Gradio API endpoints /search and /ask (gradio_client's `predict(..., api_name="/search")`), answering
    with the JSON of GET /api/search and /api/ask. The page's own events stay private: they return HTML panels."""

    def request(q: str, mode: str, k: int | None, authority, doc, year, doc_type) -> SearchRequest:
        return SearchRequest((q or "").strip(), handlers.parse_mode(mode), handlers.parse_k(k, default_k),
                             handlers.make_filters(authority, doc, year, doc_type))

    def answer(respond: Callable[..., dict[str, Any]], *form: Any) -> dict[str, Any]:
        try:
            req = request(*form)
            with lock:
                return respond(current(), req)
        except QuarryError as e:  # the message the user can act on; other errors stay in the server log
            raise gr.Error(str(e), print_exception=False) from None

    def search(q: str, mode: str = "hybrid", k: int | None = None, authority: list[str] | None = None,
               doc: list[str] | None = None, year: list[str] | None = None,
               doc_type: list[str] | None = None) -> dict[str, Any]:
        """Ranked passages with their citations, as `quarry search --json` prints them (k: the server's default)."""
        return answer(handlers.search_json, q, mode, k, authority, doc, year, doc_type)

    def ask(q: str, mode: str = "hybrid", k: int | None = None, authority: list[str] | None = None,
            doc: list[str] | None = None, year: list[str] | None = None,
            doc_type: list[str] | None = None) -> dict[str, Any]:
        """An extractive answer with citations, as `quarry ask --json` prints it."""
        return answer(handlers.ask_json, q, mode, k, authority, doc, year, doc_type)

    gr.api(search, api_name="search")
    gr.api(ask, api_name="ask")


def quote_check_section(current: Callable[[], Any], lock: threading.Lock, filters: list[Any]) -> None:
    """"Check a quote" (#19): paste a sentence, see whether the reports say it (verbatim, close, altered or
    not found) with its cited source and the differences marked; the search filters apply. Also the Gradio
    API endpoint /verify, answering with GET /api/verify's JSON."""

    def on_check(text, authorities, documents, years, doc_types) -> str:
        with lock:
            return handlers.run_verify(current(), text, handlers.make_filters(authorities, documents, years, doc_types))

    with gr.Accordion("Check a quote", open=False, elem_id="q-check"):
        with gr.Row(equal_height=True):
            text = gr.Textbox(label="Quote or claim", lines=2, max_lines=8, scale=6, min_width=280, elem_id="q-check-text",
                              placeholder="Paste a sentence from or about a report; '...' marks an elision")
            check = gr.Button("Check", variant="primary", scale=1, min_width=90, elem_id="q-check-go")
        panel = gr.HTML("", elem_id="q-check-result", js_on_load=COPY_JS)
    event = dict(fn=on_check, inputs=[text, *filters], outputs=panel, api_visibility="private", show_progress_on=[panel])
    check.click(**event)
    text.submit(**event)

    def verify(q: str, authority: list[str] | None = None, doc: list[str] | None = None, year: list[str] | None = None,
               doc_type: list[str] | None = None) -> dict[str, Any]:
        """A quote check as `quarry verify --json` prints it: verdict, source, differences, nearest."""
        try:
            req = SearchRequest((q or "").strip(), filters=handlers.make_filters(authority, doc, year, doc_type))
            with lock:
                return handlers.verify_json(current(), req)
        except QuarryError as e:
            raise gr.Error(str(e), print_exception=False) from None

    gr.api(verify, api_name="verify")
