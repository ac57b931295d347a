"""The `quarry` command line: subcommands registered from small modules, heavy imports deferred.

Each command module in cli/commands/ defines `register(subparsers)` and `run(args, settings) -> int`;
shared flags live in cli/flags.py. Domain errors (QuarryError) become one line on stderr and a non-zero
exit here, and only here.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from quarry import __version__
from quarry.errors import QuarryError
from quarry.settings import SETTINGS, resolve

# name -> module; each module keeps torch/faiss/gradio imports inside its run()
COMMANDS = {
    "index": "cli.commands.index",
    "search": "cli.commands.search",
    "serve": "cli.commands.serve",
    "eval": "cli.commands.eval",
    "bench": "cli.commands.bench",
    "ask": "cli.commands.ask",
    "compare": "cli.commands.compare",
    "verify": "cli.commands.verify",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too by default)
        print(f"quarry: error: {message} (see `quarry {self.prog.split(' ', 1)[1] if ' ' in self.prog else ''} --help`)".replace("quarry  --help", "quarry --help"), file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="quarry", description="Search and question answering with exact citations over long reports.")
    parser.add_argument("--version", action="version", version=f"quarry {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module in COMMANDS.items():
        importlib.import_module(module).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")  # Milvus's gRPC client: keepalive chatter is not the user's business
    try:
        flags = {s.name: getattr(args, s.name, None) for s in SETTINGS}
        settings = resolve(flags, os.environ)
        return importlib.import_module(COMMANDS[args.command]).run(args, settings)
    except QuarryError as e:
        print(f"quarry: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("quarry: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
