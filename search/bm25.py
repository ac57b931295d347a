"""BM25 retrieval over the precomputed term-weight matrix: a query is a sum of matrix columns."""

from __future__ import annotations

import numpy as np

from quarry.analysis import terms
from search.index import LoadedIndex


def top_k(scores: np.ndarray, k: int, allowed: np.ndarray | None, positive_only: bool) -> list[tuple[int, float]]:
    """Indices and scores of the k highest entries (optionally only allowed / positive ones)."""
    candidates = np.arange(len(scores))
    if allowed is not None:
        candidates = candidates[allowed]
    values = scores[candidates]
    if positive_only:
        keep = values > 0
        candidates, values = candidates[keep], values[keep]
    if len(values) > k:
        part = np.argpartition(-values, k)[:k]
        candidates, values = candidates[part], values[part]
    order = np.lexsort((candidates, -values))
    return [(int(candidates[i]), float(values[i])) for i in order]


class BM25Retriever:
    name = "bm25"

    def __init__(self, index: LoadedIndex):
        self.index = index

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk; repeated query terms count again, as in rank-bm25."""
        ix = self.index
        out = np.zeros(len(ix.chunks), dtype=np.float32)
        for term in terms(query):
            col = ix.vocab.get(term)
            if col is None:
                continue
            a, b = ix.bm25_indptr[col], ix.bm25_indptr[col + 1]
            out[ix.bm25_indices[a:b]] += ix.bm25_data[a:b]
        return out

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        return top_k(self.scores(query), k, allowed, positive_only=True)
