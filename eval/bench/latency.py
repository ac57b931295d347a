"""Query latency of quarry's modes and of the naive baseline (rank-bm25 + exhaustive numpy), same queries."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from quarry.analysis import terms
from quarry.jsonl import read_jsonl
from search import fusion

SILVER = Path("/work/shared/datasets/ofsted/silver_qa.jsonl")
GOLD = Path(__file__).resolve().parents[1] / "gold" / "seed.jsonl"


def load_queries(n: int, silver: Path = SILVER, gold: Path = GOLD) -> list[str]:
    """Up to n realistic questions: silver_qa ones spread evenly over the file, then the seed gold ones."""
    def read(path: Path) -> list[str]:
        return [row["question"] for _, row in read_jsonl(path)] if path.is_file() else []
    s, g = read(silver), read(gold)
    half = min(len(s), max(n - len(g), n // 2))
    picked = [s[i * len(s) // half] for i in range(half)] if half else []
    return (picked + g)[:n]


def percentiles(ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 and mean of a list of milliseconds (linear interpolation, as numpy)."""
    a = np.asarray(ms, dtype=np.float64)
    return {"p50_ms": float(np.percentile(a, 50)), "p95_ms": float(np.percentile(a, 95)),
            "p99_ms": float(np.percentile(a, 99)), "mean_ms": float(a.mean()), "n": int(len(a))}


def time_each(run: Callable[[str], object], queries: Sequence[str], warmup: int = 3) -> list[float]:
    """Milliseconds per query after a few warm-up calls (the process is warm, as a server's is)."""
    for q in queries[:warmup]:
        run(q)
    out = []
    for q in queries:
        t = time.perf_counter()
        run(q)
        out.append((time.perf_counter() - t) * 1000)
    return out


def fusion_costs(searcher, queries: Sequence[str]) -> dict[str, list[float]]:
    """Milliseconds the fusion step alone takes per query on the same two candidate lists: learned fusion
    (features + the ranker) and RRF. Retrieval, the query embedding and the query's interpretation (which
    every mode makes, for filters and named documents) are not timed."""
    from search.ranker import load_ranker

    ranker = load_ranker(searcher.settings.fusion_model)
    out: dict[str, list[float]] = {"learned": [], "rrf": []}
    for q in queries:
        lists = searcher.candidates(q)
        interp = searcher.interpret(q)
        t = time.perf_counter()
        cands = searcher.featurize(q, lists.lexical, lists.dense, interp=interp)
        fusion.top(dict(zip(cands.rows, ranker.score(cands.features).tolist())), 10)
        out["learned"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        fusion.top(fusion.rrf([[r for r, _ in lists.lexical], [r for r, _ in lists.dense]]), 10)
        out["rrf"].append((time.perf_counter() - t) * 1000)
    return out


def speedup(baseline: dict[str, float], quarry: dict[str, float]) -> float:
    """Baseline time / quarry time at the median: how many times faster quarry is."""
    return baseline["p50_ms"] / quarry["p50_ms"] if quarry["p50_ms"] > 0 else float("inf")


class Baseline:
    """The naive way: rank-bm25 BM25Okapi.get_scores and an exhaustive numpy dot product, then RRF."""

    def __init__(self, texts: list[str], vectors: np.ndarray, embed: Callable[[list[str]], np.ndarray],
                 k1: float = 1.5, b: float = 0.75, rrf_k: int = 60, candidates: int = 100):
        from rank_bm25 import BM25Okapi

        self.bm25 = BM25Okapi([terms(t) or ["\x00"] for t in texts], k1=k1, b=b)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.embed = embed
        self.rrf_k = rrf_k
        self.candidates = candidates

    @staticmethod
    def _top(scores: np.ndarray, k: int) -> list[int]:
        k = min(k, len(scores))
        part = np.argpartition(-scores, k - 1)[:k]
        return [int(i) for i in part[np.argsort(-scores[part], kind="stable")]]

    def bm25_search(self, query: str, k: int = 10) -> list[int]:
        return self._top(np.asarray(self.bm25.get_scores(terms(query))), k)

    def dense_search(self, query: str, k: int = 10) -> list[int]:
        return self._top(self.vectors @ self.embed([query])[0], k)

    def hybrid_search(self, query: str, k: int = 10) -> list[int]:
        n = max(k, self.candidates)
        fused = fusion.rrf([self.bm25_search(query, n), self.dense_search(query, n)], self.rrf_k)
        return [int(i) for i, _ in fusion.top(fused, k)]
