"""How long one comparison takes over a national collection: `quarry compare` by authority over the Ofsted
inspection reports and the focused-visit letters beside them (issue 20's "≤ 1 s for 150 authorities").

The index is the evaluation's cached index of those documents (built once, as `quarry eval` builds it); the
topics are silver questions that name an authority, asked without it (eval/compare.py), every `every`-th
one; each is timed warm, after one comparison that loads what a first query loads.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from quarry.settings import Settings

CACHE_NAME = "ofsted-inspections-letters"


def timings(inspections: Path, settings: Settings, every: int = 25) -> dict[str, Any]:
    """One row: comparisons timed (ms percentiles), groups, chunks and documents of the index."""
    from eval import gold
    from eval.bench.latency import percentiles
    from eval.compare import cases
    from eval.harness import open_gold_docs
    from search.compare import compare

    docs = [inspections, inspections.parent / "focused_visits"]
    searcher, _, sources, _ = open_gold_docs(docs, settings, CACHE_NAME)
    questions = gold.load(inspections.parent / "silver_qa.jsonl")[::every]
    items, _ = cases(questions, searcher, gold.DocMatcher(sources, docs))
    if not items:
        raise ValueError("no silver question names an indexed authority")
    groups = len(compare(searcher, items[0].question).rows)  # warm: the first query loads what every query reads
    ms = []
    for case in items:
        t = time.perf_counter()
        compare(searcher, case.question)
        ms.append((time.perf_counter() - t) * 1000)
    return {"questions": len(items), "groups": groups, "chunks": len(searcher.chunks), "documents": len(searcher.doc_infos),
            **percentiles(ms), "p90_ms": float(np.percentile(ms, 90)), "max_ms": max(ms)}
