"""Between the Compare form (or a `?compare=` link, or GET /api/compare) and search/compare.py.

Nothing here imports Gradio, so every behaviour is testable as a function call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from quarry.errors import QuarryError, UsageError
from search.compare import BY, MAX_PER_GROUP, Comparison, compare
from ui import compare_view, render
from ui.handlers import filters_from_params, parse_mode, write_texts

log = logging.getLogger("quarry.ui")


@dataclass(frozen=True)
class CompareRequest:
    """One comparison as asked for: topic, what a row is, passages per row, hard filters."""

    topic: str
    by: str = "authority"
    per_group: int = 1
    mode: str = "hybrid"
    filters: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class CompareView:
    """What the page shows for one comparison: the table (or a message) and the comparison for export."""

    request: CompareRequest
    html: str
    comparison: Comparison | None = None


def parse_by(value: str | None) -> str:
    by = (value or "authority").strip().lower()
    by = {"la": "authority", "document": "doc", "doc_type": "type"}.get(by, by)
    if by not in BY:
        raise UsageError(f"by must be one of {', '.join(BY)}, not {value!r}")
    return by


def parse_per_group(value: Any) -> int:
    if value is None or str(value).strip() == "":
        return 1
    try:
        n = int(float(value)) if isinstance(value, float) else int(str(value).strip())
    except ValueError:
        raise UsageError(f"per_group must be a whole number from 1 to {MAX_PER_GROUP}, not {value!r}") from None
    return n


def request_from_params(params: Mapping[str, Sequence[str]]) -> CompareRequest:
    """`?compare=TOPIC&by=year&per_group=2&authority=...` (or the API's `q=`; `filter=key=value` too)."""
    def first(*names: str) -> str | None:
        for name in names:
            values = params.get(name) or []
            if values:
                return values[0]
        return None

    return CompareRequest((first("compare", "q", "topic") or "").strip(), parse_by(first("by")),
                          parse_per_group(first("per_group")), parse_mode(first("mode")), filters_from_params(params))


def _compare(searcher, req: CompareRequest) -> Comparison:
    if not req.topic:
        raise UsageError("the topic is empty (pass q=...)")
    return compare(searcher, req.topic, by=req.by, filters=req.filters or None, per_group=req.per_group, mode=req.mode)


def compare_json(searcher, req: CompareRequest) -> dict[str, Any]:
    """GET /api/compare: what was compared, then one object per group (as `quarry compare --json` prints them)."""
    return compare_view.comparison_json(_compare(searcher, req))


def run_compare(searcher, req: CompareRequest) -> CompareView:
    """The comparison table for the page; a user error or a failure becomes a message, never a traceback."""
    if not req.topic:
        return CompareView(req, render.empty_state().replace("Ask a question about the reports",
                                                             "Type a topic to compare what the reports say about it"))
    try:
        result = _compare(searcher, req)
    except QuarryError as e:
        return CompareView(req, render.error_state(str(e)))
    except Exception:
        log.exception("comparing %r failed", req.topic)
        return CompareView(req, render.error_state("something went wrong on the server (its log has the details)"))
    return CompareView(req, compare_view.table_html(result, searcher.section_context), result)


def write_exports(view: CompareView, folder: Path) -> dict[str, Path]:
    """The comparison as Markdown and CSV under `folder/<content hash>/`."""
    assert view.comparison is not None
    texts = {"quarry-compare.md": compare_view.to_markdown(view.comparison),
             "quarry-compare.csv": compare_view.to_csv(view.comparison)}
    return write_texts(texts, folder, prefix="compare-")
