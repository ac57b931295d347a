"""The Gradio page and the JSON API on one FastAPI server, over one opened index.

`create_app(source, ...)` mounts the page (ui/page.py) beside GET /api/search, /api/ask, /api/verify, /api/compare and
/api/health,
all behind the optional --auth login; `serve(...)` runs it with uvicorn over a LiveIndex, so a
`quarry index` run while serving is picked up once complete.
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
from ui import compare_handlers, handlers
from ui.page import build_blocks, current_getter
from ui.style import CSS, HEAD, theme

log = logging.getLogger("quarry.ui")


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
    """FastAPI app: GET /api/search, /api/ask, /api/verify, /api/health, and the Gradio page at /."""
    current = current_getter(source)
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

    def json_route(path: str, respond: Callable[[Any, Any], dict[str, Any]], read: Callable[[dict], Any], about: str) -> None:
        """GET `path`: the query string read into a request, answered as the CLI's --json prints it."""
        def route(request: Request) -> JSONResponse:
            req = read(_params(request))
            with lock:
                return JSONResponse(respond(current(), req))
        route.__doc__ = about
        app.get(path, dependencies=guard, name=path)(route)

    by_search = lambda params: handlers.request_from_params(params, default_k)  # noqa: E731
    json_route("/api/search", handlers.search_json, by_search,
               'Hits as `quarry search --json` prints them: {"query", "mode", "k", "filters", "hits": [...]}.')
    json_route("/api/ask", handlers.ask_json, by_search, "The answer as `quarry ask --json` prints it.")
    json_route("/api/compare", compare_handlers.compare_json, compare_handlers.request_from_params,
               'The topic across groups: {"topic", "by", ..., "rows": [each a line of `quarry compare --json`]}.')
    json_route("/api/verify", handlers.verify_json, by_search,
               "The quote check as `quarry verify --json` prints it: verdict, source, differences, nearest.")

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
    """Load the query model now, so the first person's search is not the slow one."""
    searcher.search("children in care", k=1, mode="hybrid")


def warm_up_answers(searcher) -> None:
    """Run the answer step once (its sentence splitter imports NLTK, ~3 s): done in the background once
    the server listens, so searches are served meanwhile; the first `ask` waits for it if it comes sooner."""
    from search.answer import ask

    try:
        ask(searcher, "children in care", k=1)
    except Exception:  # a warm-up only: a real request reports its own error
        log.exception("warming up the answer step failed")


def serve(live, host: str, port: int, default_k: int = 10, auth: tuple[str, str] | None = None,
          on_ready: Callable[[], None] | None = None) -> None:
    """Run the page and API over a LiveIndex until interrupted; exports live in a temp folder removed at exit.
    `on_ready` runs in a background thread once the socket is listening."""
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
                if on_ready is not None:
                    threading.Thread(target=on_ready, name="quarry-warm-up", daemon=True).start()

    config = uvicorn.Config(create_app(live, default_k, auth, export_dir), host=host, port=port, log_level="warning")
    Server(config).run()
