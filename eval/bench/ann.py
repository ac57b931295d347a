"""The dense scans quarry can build, against the exact flat scan on the same vectors: latency and recall@10.

Rows: flat fp32 (exact), the fp16 scan rescored in fp32 (what `quarry index` builds up to ann_threshold
chunks; exact by construction, so its recall shows the proof holding), and HNSW with the parameters it
builds above the threshold, at several efSearch. Every scan runs on one thread, as search runs it.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

import numpy as np

from eval.bench.latency import percentiles


def recall_at(exact: np.ndarray, approx: np.ndarray) -> float:
    """Mean fraction of the exact top-k ids that the approximate top-k also holds."""
    return float(np.mean([len(set(e) & set(a)) / len(e) for e, a in zip(exact.tolist(), approx.tolist())]))


def _timed(search: Callable[[np.ndarray], np.ndarray], queries: np.ndarray) -> tuple[list[float], np.ndarray]:
    search(queries[0])
    ms, ids = [], []
    for q in queries:
        t = time.perf_counter()
        i = search(q)
        ms.append((time.perf_counter() - t) * 1000)
        ids.append(i)
    return ms, np.stack(ids)


def compare(vectors: np.ndarray, queries: np.ndarray, k: int = 10, m: int | None = None, ef_construction: int | None = None,
            ef_search: Sequence[int] = (64, 128, 256, 512)) -> list[dict[str, Any]]:
    """Rows: flat, fp16 rescored, then HNSW at each efSearch, with p50/p95 ms per query, recall@k vs flat, build s."""
    import faiss

    from indexer import write
    from search.dense import fp16_top, one_thread

    m = m or write.HNSW_M
    ef_construction = ef_construction or write.HNSW_EF_CONSTRUCTION
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    queries = np.ascontiguousarray(queries, dtype=np.float32)

    def build(index) -> float:
        t = time.perf_counter()
        index.add(vectors)
        return time.perf_counter() - t

    def faiss_ids(index) -> Callable[[np.ndarray], np.ndarray]:
        def search(q: np.ndarray) -> np.ndarray:
            with one_thread():
                return index.search(q.reshape(1, -1), k)[1][0]
        return search

    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat_build = build(flat)
    ms, exact = _timed(faiss_ids(flat), queries)
    rows = [{"index": "flat fp32 (exact)", "build_s": flat_build, "recall_at_10": 1.0, **percentiles(ms)}]
    del flat
    fp16 = faiss.IndexScalarQuantizer(vectors.shape[1], faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    fp16_build = build(fp16)
    ms, found = _timed(lambda q: np.array([r for r, _ in fp16_top(fp16, vectors, q, k)]), queries)
    rows.append({"index": "fp16 scan, fp32 rescored (exact)", "build_s": fp16_build, "recall_at_10": recall_at(exact, found), **percentiles(ms)})
    del fp16
    hnsw = faiss.IndexHNSWFlat(vectors.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = ef_construction
    hnsw_build = build(hnsw)
    for ef in ef_search:
        hnsw.hnsw.efSearch = ef
        ms, approx = _timed(faiss_ids(hnsw), queries)
        rows.append({"index": f"hnsw M={m} efC={ef_construction} efSearch={ef}", "build_s": hnsw_build,
                     "recall_at_10": recall_at(exact, approx), **percentiles(ms)})
    return rows
