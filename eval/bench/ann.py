"""Approximate FAISS (HNSW) against the exact flat index on the same vectors: latency and recall@10."""

from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from eval.bench.latency import percentiles


def recall_at(exact: np.ndarray, approx: np.ndarray) -> float:
    """Mean fraction of the exact top-k ids that the approximate top-k also holds."""
    return float(np.mean([len(set(e) & set(a)) / len(e) for e, a in zip(exact.tolist(), approx.tolist())]))


def _timed(index, queries: np.ndarray, k: int) -> tuple[list[float], np.ndarray]:
    index.search(queries[:1], k)
    ms, ids = [], []
    for q in queries:
        t = time.perf_counter()
        _, i = index.search(q.reshape(1, -1), k)
        ms.append((time.perf_counter() - t) * 1000)
        ids.append(i[0])
    return ms, np.stack(ids)


def compare(vectors: np.ndarray, queries: np.ndarray, k: int = 10, m: int = 32, ef_construction: int = 80,
            ef_search: Sequence[int] = (16, 32, 64, 128)) -> list[dict[str, Any]]:
    """Rows: flat, then HNSW at each efSearch, with p50/p95 ms per query, recall@k vs flat, build s."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    t = time.perf_counter()
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    flat_build = time.perf_counter() - t
    ms, exact = _timed(flat, queries, k)
    rows = [{"index": "flat", "build_s": flat_build, "recall_at_10": 1.0, **percentiles(ms)}]
    t = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(vectors.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = ef_construction
    hnsw.add(vectors)
    build = time.perf_counter() - t
    for ef in ef_search:
        hnsw.hnsw.efSearch = ef
        ms, approx = _timed(hnsw, queries, k)
        rows.append({"index": f"hnsw M={m} efC={ef_construction} efSearch={ef}", "build_s": build,
                     "recall_at_10": recall_at(exact, approx), **percentiles(ms)})
    return rows
