"""The local backend: the index's own files (numpy BM25 matrix, FAISS / brute-force inner product)."""

from __future__ import annotations

import numpy as np

from search.backends.base import Backend, Ranked
from search.bm25 import BM25Retriever, top_k
from search.index import LoadedIndex


class LocalBackend(Backend):
    name = "local"

    def __init__(self, index: LoadedIndex, meta_weight: float = 0.0):
        self.index = index
        self.bm25 = BM25Retriever(index, meta_weight)
        self._exact: bool | None = None

    @property
    def exact(self) -> bool:
        """Whether the FAISS index is flat (exact); asked on the first dense search, which reads FAISS."""
        if self._exact is None:
            self._exact = type(self.index.dense).__name__ == "IndexFlatIP"
        return self._exact

    def rows(self, allowed: set[str] | None) -> np.ndarray | None:
        """A document set as a boolean chunk mask."""
        if allowed is None:
            return None
        return self.index.chunks.mask_of(allowed)

    def lexical(self, query: str, k: int, allowed: set[str] | None, meta_query: str | None = None) -> Ranked:
        return self.bm25.search(query, k, self.rows(allowed), meta_query=meta_query)

    def dense(self, vector: np.ndarray, k: int, allowed: set[str] | None) -> Ranked:
        n = len(self.index.chunks)
        q = np.asarray(vector, dtype=np.float32)
        if allowed is None and self.exact:
            # Exact index: one matrix-vector product over the memory-mapped vectors is the same search as
            # FAISS IndexFlatIP for a single query, without its OpenMP thread team (eval/BENCHMARKS.md).
            return top_k(np.asarray(self.index.vectors @ q, dtype=np.float32), min(k, n), None, positive_only=False)
        if allowed is None:
            scores, ids = self.index.dense.search(q.reshape(1, -1), min(k, n))
            return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        mask = self.rows(allowed)
        rows = np.flatnonzero(mask)
        full = np.full(n, -np.inf, dtype=np.float32)
        full[rows] = np.asarray(self.index.vectors[rows] @ q, dtype=np.float32)
        return top_k(full, k, mask, positive_only=False)
