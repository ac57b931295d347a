"""Warm `quarry ask` latency over a gold set's questions (a benchmark, not a test).

The model is loaded and one question answered before timing. Pass 1 times every question once
with empty per-process caches (sentence spans, terms, sentence vectors); later passes show the
steady state of a long-running process (UI, harness) that has read these passages before.

    python -m eval.bench_ask --index .quarry/index [--gold eval/gold/seed.jsonl] [--passes 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def bench(searcher, questions: list[str], passes: int = 2) -> list[dict[str, float]]:
    """p50/p95/max milliseconds per pass of `ask(searcher, question)` over the questions."""
    from search.answer import ask
    from search.answer_candidates import passage_sentences, term_set

    ask(searcher, "warm up the model")
    searcher.embedder.clear()
    passage_sentences.cache_clear()
    term_set.cache_clear()
    out = []
    for n in range(1, passes + 1):
        ms = []
        for q in questions:
            start = time.perf_counter()
            ask(searcher, q)
            ms.append((time.perf_counter() - start) * 1000)
        out.append({"pass": n, "questions": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 1),
                    "p95_ms": round(float(np.percentile(ms, 95)), 1), "max_ms": round(max(ms), 1)})
    return out


def main(argv: list[str] | None = None) -> int:
    from eval.answers import load_gold
    from quarry.settings import Settings
    from search import open_index

    p = argparse.ArgumentParser(prog="python -m eval.bench_ask", description=__doc__.splitlines()[0])
    p.add_argument("--index", required=True)
    p.add_argument("--gold", default="eval/gold/seed.jsonl")
    p.add_argument("--passes", type=int, default=2)
    args = p.parse_args(argv)
    searcher = open_index(args.index, Settings(index=args.index))
    questions = [row["question"] for row in load_gold(args.gold)]
    for row in bench(searcher, questions, args.passes):
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
