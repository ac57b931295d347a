"""`quarry search "QUERY"`: ranked passages with citations; `--json` prints one object per hit."""

from __future__ import annotations

import json
import textwrap

from cli.flags import add_query_flags


def register(sub) -> None:
    p = sub.add_parser("search", help="search the index", description="Search the index; hybrid (BM25 + dense, RRF) by default.")
    p.add_argument("query", help="the question or keywords")
    add_query_flags(p, "k", "mode", "index", "fusion", "fusion_model", "candidates", "query_model")
    p.add_argument("--json", action="store_true", help="one JSON object per line per hit")


def run(args, settings) -> int:
    from search import filters
    from search.api import hits_json, open_index
    from search.titles import shown_hits

    wanted = filters.parse(args.filter)
    searcher = open_index(settings.index, settings)
    results = searcher.search(args.query, k=settings.k, mode=settings.mode, filters=wanted)
    hits, interpreted = shown_hits(searcher, results.hits), results.interpretation.to_dict()
    if args.json:
        for line in hits_json(hits, interpreted):
            print(json.dumps(line, ensure_ascii=False))
        return 0
    if interpreted:
        shown = {k: v for k, v in interpreted.items() if k != "acronyms"}
        if shown:
            print("preferring " + ", ".join(f"{k}={v}" for k, v in shown.items()) + " (a preference, not a filter)\n")
    if not hits:
        print("no results" + (" (try removing a filter)" if wanted else ""))
        return 0
    for hit in hits:
        parts = " ".join(f"{name} #{rank}" for name, rank in sorted(hit.ranks.items()))
        print(f"{hit.rank}. {hit.citation}")
        print(f"   score {hit.score:.4f}" + (f"  ({parts})" if parts else ""))
        excerpt = " ".join(hit.chunk.text.split())
        print(textwrap.indent(textwrap.fill(excerpt[:600] + ("…" if len(excerpt) > 600 else ""), 96), "   "))
        print()
    return 0
