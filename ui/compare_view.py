"""A comparison (search/compare.py) as the page's table, as Markdown and CSV exports, and as the API's JSON.

Pure functions: nothing here imports Gradio. Everything from documents and topics is escaped.
"""

from __future__ import annotations

import csv
import io
from html import escape
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import urlencode

from quarry.records import Chunk
from search.compare import Comparison, Row

BY_LABELS = {"authority": "Local authority", "year": "Year", "doc": "Document", "type": "Document type"}
CSV_FIELDS = ["group", "documents", "finding", "finding_citation", "abstained", "reason", "rank", "passage_citation",
              "passage", "score", "chunk_id", "doc_id"]
EXCERPT = 400  # characters of the passage shown in the table and the exports


def comparison_json(c: Comparison) -> dict[str, Any]:
    """The API's response: what was compared, then one object per group (a line of `quarry compare --json`)."""
    return {**c.head(), "rows": [r.to_dict() for r in c.rows]}


def share_link(topic: str, by: str, per_group: int = 1, filters: Mapping[str, Sequence[str]] | None = None) -> str:
    """The page address that runs this comparison when opened: `/?compare=...&by=...`."""
    pairs: list[tuple[str, str]] = [("compare", topic), ("by", by)]
    if per_group != 1:
        pairs.append(("per_group", str(per_group)))
    for key, values in (filters or {}).items():
        pairs += [(key, v) for v in values]
    return "?" + urlencode(pairs)


def _flat(text: str, n: int = EXCERPT) -> str:
    flat = " ".join(text.split())
    return flat[:n] + ("\u2026" if len(flat) > n else "")


def finding_text(row: Row) -> str:
    """The row's finding as one line: the quoted sentence, or why there is none."""
    if row.finding is not None:
        return " ".join(row.finding.quote.split())
    return f"No finding: {row.reason}."


def finding_citation(row: Row) -> str:
    return row.finding.to_dict()["citation"] if row.finding is not None else ""


def to_markdown(c: Comparison) -> str:
    """The comparison as a Markdown table (one row per group), then each group's passages quoted."""
    lines = [f"# \u201c{c.topic}\u201d by {BY_LABELS[c.by].lower()}", "",
             f"{len(c.rows)} groups, {sum(not r.abstained for r in c.rows)} with a finding.", "",
             f"| {BY_LABELS[c.by]} | Finding | Citation |", "|---|---|---|"]
    cell = lambda s: s.replace("|", "\\|").replace("\n", " ")  # noqa: E731
    for r in c.rows:
        cite = finding_citation(r) or (r.hits[0].citation if r.hits else "")
        lines.append(f"| {cell(r.label)} | {cell(finding_text(r))} | {cell(cite)} |")
    for r in c.rows:
        if not r.hits:
            continue
        lines += ["", f"## {r.label}", ""]
        for h in r.hits:
            lines += [f"{h.rank}. **{h.citation}**", "", f"   > {_flat(h.chunk.text, 2000)}", ""]
    return "\n".join(lines).rstrip() + "\n"


def to_csv(c: Comparison) -> str:
    """One CSV line per group and passage (a group without passages still has its line)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for r in c.rows:
        base = {"group": r.label, "documents": len(r.documents), "finding": r.finding.quote if r.finding else "",
                "finding_citation": finding_citation(r), "abstained": r.abstained, "reason": r.reason}
        if not r.hits:
            writer.writerow(base)
        for h in r.hits:
            writer.writerow({**base, "rank": h.rank, "passage_citation": h.citation, "passage": h.chunk.text,
                             "score": round(h.score, 6), "chunk_id": h.chunk.chunk_id, "doc_id": h.chunk.doc_id})
    return buf.getvalue()


def _context(chunk: Chunk, section_context: Callable[[Chunk], tuple[str, int, int]]) -> str:
    section, start, end = section_context(chunk)
    return (f'<details class="q-context"><summary>Show in context</summary><div class="q-section">'
            f'{escape(section[:start])}<mark class="q-in-context">{escape(section[start:end])}</mark>'
            f"{escape(section[end:])}</div></details>")


def table_html(c: Comparison, section_context: Callable[[Chunk], tuple[str, int, int]]) -> str:
    """The page's comparison table: group, finding, quote (the best passage), citation, show in context."""
    head = (f'<p class="q-compare-status">\u201c{escape(c.topic)}\u201d by {escape(BY_LABELS[c.by].lower())}: '
            f"{len(c.rows)} groups, {sum(not r.abstained for r in c.rows)} with a finding "
            f'<a class="q-share" href="{escape(share_link(c.topic, c.by, c.per_group, c.filters))}">link to this comparison</a></p>')
    rows = []
    for r in c.rows:
        first = r.hits[0] if r.hits else None
        quote = escape(_flat(first.chunk.text)) if first else ""
        cite = finding_citation(r) or (first.citation if first else "")
        finding = (f'<span class="q-finding">{escape(finding_text(r))}</span>' if r.finding
                   else f'<span class="q-abstain">{escape(finding_text(r))}</span>')
        more = "".join(f'<li>{escape(h.citation)}: {escape(_flat(h.chunk.text, 200))}</li>' for h in r.hits[1:])
        rows.append(
            f'<tr class="q-compare-row" data-group="{escape(r.label)}" data-abstained="{str(r.abstained).lower()}">'
            f'<th scope="row">{escape(r.label)}<br><small>{len(r.documents)} document{"s" * (len(r.documents) != 1)}</small></th>'
            f"<td>{finding}</td><td class=\"q-compare-quote\">{quote}"
            + (f'<ol class="q-more" start="2">{more}</ol>' if more else "")
            + f'</td><td class="q-compare-citation">{escape(cite)}</td>'
            f"<td>{_context(first.chunk, section_context) if first else ''}</td></tr>")
    return (head + '<div class="q-compare-wrap"><table class="q-compare"><thead><tr>'
            f"<th scope=\"col\">{escape(BY_LABELS[c.by])}</th><th scope=\"col\">Finding</th><th scope=\"col\">Quote</th>"
            '<th scope="col">Citation</th><th scope="col"></th></tr></thead><tbody>' + "".join(rows) + "</tbody></table></div>")
