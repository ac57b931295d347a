"""Dense retrieval: the query embedded by the index's own model, inner product over unit vectors."""

from __future__ import annotations

import numpy as np

from quarry.embedders import Embedder, query_compatible
from quarry.errors import IndexCorrupt
from search.bm25 import top_k
from search.index import LoadedIndex


class DenseRetriever:
    name = "dense"

    def __init__(self, index: LoadedIndex, embedder: Embedder):
        if not query_compatible(index.model_id, embedder.model_id):
            raise IndexCorrupt(f"the index was built with model {index.model_id}, but {embedder.model_id} is configured: "
                               "rebuild with `quarry index`, set --model to the index's model, or leave --query-model empty")
        self.index = index
        self.embedder = embedder
        self.exact = type(index.dense).__name__ == "IndexFlatIP"

    def search(self, query: str, k: int, allowed: np.ndarray | None = None, vector: np.ndarray | None = None) -> list[tuple[int, float]]:
        q = self.embedder.embed([query])[0] if vector is None else vector
        n = len(self.index.chunks)
        if allowed is None and self.exact:
            # Exact index: one matrix-vector product over the memory-mapped vectors is the same search as
            # FAISS IndexFlatIP for a single query, without its OpenMP thread team (1.6x faster at 100k
            # on the 2 shared cores in eval/BENCHMARKS.md).
            return top_k(np.asarray(self.index.vectors @ q, dtype=np.float32), min(k, n), None, positive_only=False)
        if allowed is None:
            scores, ids = self.index.dense.search(q.reshape(1, -1).astype(np.float32), min(k, n))
            return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        rows = np.flatnonzero(allowed)
        sims = np.asarray(self.index.vectors[rows] @ q, dtype=np.float32)
        full = np.full(n, -np.inf, dtype=np.float32)
        full[rows] = sims
        return top_k(full, k, allowed, positive_only=False)
