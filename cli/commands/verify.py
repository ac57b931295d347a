"""`quarry verify "TEXT"`: does the collection really say that? The verdict, its cited source and the differences."""

from __future__ import annotations

import json
import textwrap

from cli.flags import add_query_flags

HEADLINES = {
    "verbatim": "verbatim: the source says this word for word",
    "close": "close: the source says this, differing only in punctuation, spacing, spelling, filler words or number format",
    "altered": "altered: the source says something different",
    "not_found": "not_found: no passage in the collection says this",
}


def register(sub) -> None:
    p = sub.add_parser("verify", help="check a quote or claim against the index",
                       description="Check a quote or claim (a sentence to a paragraph; '...' marks an elision) against "
                                   "the indexed reports: verbatim, close, altered or not_found, with the exact source "
                                   "span and its citation, the differences, or the nearest passages.")
    p.add_argument("text", help="the quote or claim to check")
    add_query_flags(p, "index", "query_model")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object")


def run(args, settings) -> int:
    from search import filters
    from search.api import open_index
    from search.quote_check import parse_claim, check_quote

    parse_claim(args.text)  # an empty claim is a usage error before any index is opened
    wanted = filters.parse(args.filter)
    result = check_quote(open_index(settings.index, settings), args.text, filters=wanted)
    print(json.dumps(result.to_dict(), ensure_ascii=False) if args.json else format_check(result))
    return 0


def _quoted(text: str) -> str:
    return textwrap.indent(textwrap.fill(f"\u201c{' '.join(text.split())}\u201d", 92), "    ")


def word_diff(result) -> str:
    """The source quote with each difference as [-claim words-]{+source words+} (git's word-diff marks)."""
    out = []
    for run in result.diff_runs():
        if isinstance(run, str):
            out.append(run)
            continue
        out.append((f"[-{' '.join(run.claim.split())}-]" if run.claim else "")
                   + (f"{{+{' '.join(run.source.split())}+}}" if run.source else ""))
    return " ".join("".join(out).split())


def format_check(result) -> str:
    """The verdict, then the citation and exact source span; for close/altered the word diff and each
    difference; for not_found the nearest passages."""
    lines = [HEADLINES[result.verdict]]
    if result.source is not None:
        lines += [result.source.citation, _quoted(result.source.quote)]
    if result.differences:
        lines += ["", "claim \u2192 source:", textwrap.indent(textwrap.fill(word_diff(result), 92), "    ")]
        for d in result.differences:
            mark = "changes the meaning" if d.changes_meaning else "same meaning"
            lines.append(f"    {d.kind}: {d.claim or '(nothing)'!s} \u2192 {d.source or '(nothing)'!s}  ({mark})")
    if result.verdict == "not_found":
        if result.nearest:
            lines += ["", "Nearest passages:"]
            for n, near in enumerate(result.nearest, 1):
                lines += [f"{n}. {near.citation}  (similarity {near.similarity:.2f})", _quoted(near.quote)]
        else:
            lines.append("(nothing in the collection, or under these filters, shares enough words with it)")
    return "\n".join(lines)
