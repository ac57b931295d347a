"""`quarry ask "QUESTION"`: an extractive answer with numbered, verified citations (or an abstention)."""

from __future__ import annotations

import json
import textwrap

from cli.flags import add_query_flags


def register(sub) -> None:
    p = sub.add_parser("ask", help="answer a question with quoted, cited sentences",
                       description="Answer a question with 1-3 sentences quoted verbatim from the index, each cited; "
                                   "says so when the corpus does not answer it confidently.")
    p.add_argument("question", help="the question")
    p.add_argument("-k", "--passages", dest="answer_passages", default=None, metavar="K",
                   help="passages read for the answer (default 20; env QUARRY_ANSWER_PASSAGES)")
    add_query_flags(p, "mode", "index", "fusion", "fusion_model", "reranker", "abstain_below", "answer_sentences", "query_model")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object")


def run(args, settings) -> int:
    from search import filters
    from search.answer import ask
    from search.api import open_index
    from search.titles import shown_answer

    wanted = filters.parse(args.filter)
    searcher = open_index(settings.index, settings)
    answer = shown_answer(searcher, ask(searcher, args.question, filters=wanted))
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    print(format_answer(answer))
    return 0


def format_answer(answer) -> str:
    """The answer, then its numbered citations with their quotes (or, abstaining, the closest passages)."""
    lines = [textwrap.fill(answer.answer, 96)]
    if answer.abstained:
        reason = answer.interpreted.get("reason")
        if reason:
            lines.append(f"({reason})")
        if answer.passages:
            lines += ["", "Closest passages:"]
            for hit in answer.passages:
                excerpt = " ".join(hit.chunk.text.split())
                lines.append(f"{hit.rank}. {hit.citation}")
                lines.append(textwrap.indent(textwrap.fill(excerpt[:300] + ("\u2026" if len(excerpt) > 300 else ""), 92), "    "))
        return "\n".join(lines)
    missing = answer.interpreted.get("missing_terms")
    if missing:  # a partial answer names what its quotes do not cover
        lines.append(f"(not found in the quoted sentences: {', '.join(missing)})")
    lines.append("")
    for c in answer.citations:
        lines.append(f"[{c.n}] {c.to_dict()['citation']}")
        lines.append(textwrap.indent(textwrap.fill(f"\u201c{' '.join(c.quote.split())}\u201d", 92), "    "))
    return "\n".join(lines)
