"""`quarry serve`: the search page and its JSON API at http://127.0.0.1:7860 (Gradio + FastAPI)."""

from __future__ import annotations

import sys

from cli.flags import add_backend_flags, add_setting_flags

ALL_INTERFACES = {"0.0.0.0", "::", "[::]", ""}


def register(sub) -> None:
    p = sub.add_parser("serve", help="serve the search page and JSON API",
                       description="Serve the search page and its JSON API (/api/search, /api/ask) from one index.")
    add_setting_flags(p, "host", "port", "index", "k", "fusion", "fusion_model", "query_model")
    add_backend_flags(p)
    p.add_argument("--auth", dest="auth", default=None, metavar="USER:PASS",
                   help="require this user and password for the page and the API (env QUARRY_AUTH)")


def _check_port_free(host: str, port: int) -> None:
    import socket  # here, not at module level: `quarry --help` imports every command module
    from quarry.errors import QuarryError

    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host.strip("[]") or "0.0.0.0", port))
        except OSError as e:
            raise QuarryError(f"cannot listen on {host}:{port} ({e.strerror}); pass --port N or stop the other server") from None


def run(args, settings) -> int:
    from search.live import LiveIndex
    from ui.server import serve, warm_up, warm_up_answers

    auth = tuple(settings.auth.split(":", 1)) if settings.auth else None
    _check_port_free(settings.host, settings.port)
    if settings.host in ALL_INTERFACES and auth is None:
        print(f"quarry: warning: listening on every network interface ({settings.host or '0.0.0.0'}) without --auth: "
              "anyone who can reach this machine can read the indexed documents", file=sys.stderr)
    live = LiveIndex(settings.index, settings)  # follows `quarry index` rebuilds once they complete
    print("quarry: loading the search model ...", file=sys.stderr, flush=True)
    warm_up(live.current())
    serve(live, settings.host, settings.port, settings.k, auth, on_ready=lambda: warm_up_answers(live.current()))
    return 0
