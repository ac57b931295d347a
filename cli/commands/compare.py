"""`quarry compare "TOPIC" --by authority|year|doc|type`: the topic's best passages and a one-sentence
finding for every group of the index; `--json` prints one object per group, `--markdown` / `--csv` the exports."""

from __future__ import annotations

import json
import textwrap

from cli.flags import add_query_flags
from quarry.errors import UsageError

BY = ("authority", "year", "doc", "type")


def register(sub) -> None:
    p = sub.add_parser("compare", help="compare what the reports say about a topic, by authority, year, document or type",
                       description="For each local authority (or year, document, document type) in the index, the best "
                                   "passages about a topic within that group and a quoted one-sentence finding, or why "
                                   "there is none. One retrieval pass over the index.")
    p.add_argument("topic", help="the topic or question")
    p.add_argument("--by", default="authority", choices=BY, help="what a row is (default authority)")
    p.add_argument("--per-group", dest="per_group", default="1", metavar="N", help="passages per group (1-10, default 1)")
    p.add_argument("--no-findings", dest="findings", action="store_false", help="passages only, no finding per group")
    add_query_flags(p, "mode", "index", "candidates", "query_model", "abstain_below")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="one JSON object per line per group")
    out.add_argument("--markdown", action="store_true", help="the comparison as a Markdown table")
    out.add_argument("--csv", action="store_true", help="the comparison as CSV (one line per group and passage)")


def per_group(text: str) -> int:
    try:
        return int(str(text).strip())
    except ValueError:
        raise UsageError(f"--per-group must be a whole number from 1 to 10, not {text!r}") from None


def run(args, settings) -> int:
    from search import filters
    from search.api import open_index
    from search.compare import compare
    from ui import compare_view

    wanted = filters.parse(args.filter)
    n = per_group(args.per_group)
    searcher = open_index(settings.index, settings)
    result = compare(searcher, args.topic, by=args.by, filters=wanted, per_group=n, mode=settings.mode,
                     findings=args.findings)
    if args.json:
        for row in result.rows:
            print(json.dumps({"topic": result.topic, "by": result.by, **row.to_dict()}, ensure_ascii=False))
    elif args.markdown:
        print(compare_view.to_markdown(result), end="")
    elif args.csv:
        print(compare_view.to_csv(result), end="")
    else:
        print(format_comparison(result))
    return 0


def format_comparison(result) -> str:
    """Each group: its label, the finding quoted with its citation (or why none), then its passages' citations."""
    from ui.compare_view import finding_citation

    head = result.head()
    lines = [f"\u201c{result.topic}\u201d by {result.by}: {head['groups']} groups, {head['with_finding']} with a finding "
             f"({head['seconds']:.2f} s)", ""]
    for row in result.rows:
        lines.append(f"{row.label} ({len(row.documents)} document{'s' * (len(row.documents) != 1)})")
        if row.finding is not None:
            lines.append(textwrap.indent(textwrap.fill(f"\u201c{' '.join(row.finding.quote.split())}\u201d", 92), "    "))
            lines.append(f"    \u2014 {finding_citation(row)}")
        else:
            lines.append(f"    no finding: {row.reason}")
        for hit in row.hits:
            if row.finding is None or hit.chunk.chunk_id != row.finding.hit.chunk.chunk_id or len(row.hits) > 1:
                lines.append(f"    {hit.rank}. {hit.citation}")
        lines.append("")
    return "\n".join(lines).rstrip()
