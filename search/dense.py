"""Dense retrieval over the local index: the query embedder (the index's own model, checked against it,
one memo per searcher) and the scan that ranks passages by inner product with a query vector.

The scan reads the index's FAISS file: a flat fp32 index (built before the fp16 scan, or when vectors are
not unit length) is scanned exactly; an fp16 scalar-quantised one (`fp16`, up to settings.ann_threshold
chunks) is scanned at half the bytes and its best rows rescored in fp32, with a bound that proves the
rescored top k is the exact top k; HNSW (above the threshold) is approximate. Rankings restricted to a
set of rows score only those rows, exactly, in fp32.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from quarry.embedders import Embedder, MemoEmbedder, query_compatible
from quarry.errors import IndexCorrupt
from search.backends.base import Ranked
from search.bm25 import best

# Query and answer-sentence vectors kept per searcher (about 30 MB at 384 dimensions): a warm UI or
# harness re-reads the same passages, and mode / k / filter reruns reuse the query's vector.
MEMO_ITEMS = 20_000

# |fp16 score - fp32 score| <= FP16_BOUND * |q| * |v|: storing v in fp16 moves each component by at most
# 2^-11 of itself (fp16's unit roundoff), so the inner product moves by at most 2^-11 * sum|q_i v_i|
# <= 2^-11 |q||v| (Cauchy-Schwarz); doubled to cover fp32 accumulation (384 terms: < 3e-5) with room.
FP16_BOUND = 2.0 ** -10
MAX_NORM = 1.001  # the fp16 index is built only when every vector is at most this long (indexer/write.py)
RESCORE_DEPTH = 4  # rows rescored in fp32 per wanted row on the first try (deeper only when the bound says so)


def query_embedder(index_model_id: str, embedder: Embedder) -> MemoEmbedder:
    """`embedder` wrapped in one memo (an embedder that already is one is shared as it is), after
    checking that its vectors can search an index built by `index_model_id`."""
    if not query_compatible(index_model_id, embedder.model_id):
        raise IndexCorrupt(f"the index was built with model {index_model_id}, but {embedder.model_id} is configured: "
                           "rebuild with `quarry index`, set --model to the index's model, or leave --query-model empty")
    return embedder if isinstance(embedder, MemoEmbedder) else MemoEmbedder(embedder, max_items=MEMO_ITEMS)


def kind(index: Any) -> str:
    """What scanning a FAISS index means: "flat" (exact fp32), "fp16" (scalar-quantised, rescored) or "ann"."""
    import faiss

    if isinstance(index, faiss.IndexFlat):
        return "flat"
    if isinstance(index, faiss.IndexScalarQuantizer) and index.sq.qtype == faiss.ScalarQuantizer.QT_fp16:
        return "fp16"
    return "ann"


def exact_scores(vectors: np.ndarray, rows: np.ndarray | None, q: np.ndarray) -> np.ndarray:
    """fp32 inner products of q with some rows (None = every row). einsum sums each row in the same order
    wherever the row sits in the batch, so a row scores the same bits in a full scan, a gathered subset or a
    rescoring; BLAS gemv does not (its kernel sums a batch's last few rows another way)."""
    block = vectors if rows is None else vectors[rows]
    return np.einsum("ij,j->i", block, np.asarray(q, dtype=np.float32)).astype(np.float32, copy=False)


def stored_scores(index: Any, rows: np.ndarray, q: np.ndarray) -> np.ndarray | None:
    """fp32 inner products of q with some rows, from the vectors an HNSW index holds in memory (FAISS reads
    each row where it lies: no gather of the rows into a copy, a third of the time at 100,000+ rows); None
    when the index keeps no plain fp32 copy."""
    import faiss

    storage = getattr(index, "storage", None)
    if storage is None:
        return None
    storage = faiss.downcast_index(storage)
    if not (isinstance(storage, faiss.IndexFlat) and storage.metric_type == faiss.METRIC_INNER_PRODUCT):
        return None
    labels = np.ascontiguousarray(rows, dtype=np.int64).reshape(1, -1)
    query = np.ascontiguousarray(q, dtype=np.float32).reshape(1, -1)
    out = np.empty(labels.shape, dtype=np.float32)
    storage.compute_distance_subset(1, faiss.swig_ptr(query), labels.shape[1], faiss.swig_ptr(out), faiss.swig_ptr(labels))
    return out[0]


def proven_top(approx: np.ndarray, rows: np.ndarray, exact: np.ndarray, k: int, bound: float, total: int) -> Ranked | None:
    """The exact top k from a quantised scan's best rows (`approx` its scores, descending, and `exact` those
    rows rescored), or None when a row the scan did not return could still belong: that row's exact score
    is at most the scan's last score + `bound`, so the k-th rescored score must beat that strictly."""
    top = best(rows, exact, k)
    if len(rows) >= total or not len(approx):
        return top
    if len(top) >= k and top[-1][1] > float(approx[-1]) + bound:
        return top
    return None


def fp16_top(index: Any, vectors: np.ndarray, q: np.ndarray, k: int) -> Ranked:
    """The exact top k by inner product: an fp16 scan for the best rows, rescored in fp32, deepened until proven."""
    total = index.ntotal
    bound = FP16_BOUND * MAX_NORM * float(np.linalg.norm(q))
    depth = min(total, max(RESCORE_DEPTH * k, 256))
    if depth * 4 >= total:  # most rows wanted (a comparison ranks them all): one sequential exact pass is
        # cheaper than the scan plus gathering a quarter or more of the rows from the memory map at random
        return best(np.arange(total), exact_scores(vectors, None, q), k)
    while True:
        with one_thread():
            approx, ids = index.search(q.reshape(1, -1), depth)
        keep = ids[0] >= 0
        rows = ids[0][keep]
        top = proven_top(approx[0][keep], rows, exact_scores(vectors, rows, q), k, bound, total)
        if top is not None:
            return top
        if depth >= total:  # cannot happen (a full-depth scan is proven); kept so the loop always ends
            return best(np.arange(total), exact_scores(vectors, None, q), k)
        depth = min(total, depth * 4)


@contextmanager
def one_thread() -> Iterator[None]:
    """FAISS on one OpenMP thread for a single query (this thread only; restored after): a thread team
    costs more than it saves on one query, several times more on a busy machine (eval/BENCHMARKS.md)."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)
