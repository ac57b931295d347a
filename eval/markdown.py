"""Markdown pieces the evaluation reports share: a table cell, and a table of the first few of a long list."""

from __future__ import annotations

from typing import Any


def cell(text: Any) -> str:
    """`text` on one line, its pipes escaped, so it fits in a table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def capped_table(columns: list[str], rows: list[list[str]], total: int, limit: int, more_in: str) -> list[str]:
    """A table of `rows` (the first `limit` of `total` items), then how many more there are and which file lists them."""
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    if total > limit:
        out.append(f"\n… and {total - limit} more ({more_in}).")
    return out
