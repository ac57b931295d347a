"""Flags shared by several subcommands; their help text comes from the declared settings."""

from __future__ import annotations

import argparse

from quarry.settings import SETTINGS

BACKEND_SETTINGS = ("backend", "milvus_uri", "milvus_token", "milvus_collection")


def add_setting_flags(parser: argparse.ArgumentParser, *names: str) -> None:
    """Add `--name` flags for declared settings (the help text comes from SETTINGS)."""
    by_name = {s.name: s for s in SETTINGS}
    for name in names:
        s = by_name[name]
        flag = "--" + name.replace("_", "-")
        extra = ["-k"] if name == "k" else []
        parser.add_argument(*extra, flag, dest=name, default=None, metavar=name.upper(),
                            help=f"{s.help} (default {s.default}; env QUARRY_{name.upper()})")


def add_backend_flags(parser: argparse.ArgumentParser) -> None:
    """--backend local|milvus, --milvus-uri, --milvus-token, --milvus-collection (for every command that opens an index)."""
    add_setting_flags(parser, *BACKEND_SETTINGS)


def add_filter_flag(parser: argparse.ArgumentParser) -> None:
    """--filter/-f KEY=VALUE, repeatable (for every command that searches; parsed by search.filters.parse)."""
    parser.add_argument("--filter", "-f", action="append", default=[], metavar="KEY=VALUE",
                        help="hard filter: doc, authority, year or type (repeat to combine)")


def add_query_flags(parser: argparse.ArgumentParser, *names: str) -> None:
    """The setting flags `names`, then the backend and filter flags: the options of a command that queries an index."""
    add_setting_flags(parser, *names)
    add_backend_flags(parser)
    add_filter_flag(parser)
