"""The local backend: the index's own files (numpy BM25 matrix, FAISS scan, fp32 vectors for exact scores)."""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np

from search import dense as scan
from search.backends.base import Backend, Ranked
from search.bm25 import BM25Retriever, top_k
from search.index import LoadedIndex


MASKS = 32  # scope masks remembered (n bytes each: 1 MB at 1M passages)


class LocalBackend(Backend):
    name = "local"

    def __init__(self, index: LoadedIndex, meta_weight: float = 0.0):
        self.index = index
        self.bm25 = BM25Retriever(index, meta_weight)
        self._kind: str | None = None
        # a scope's mask, kept for the next search of it: a query's lexical and dense rankings share one, and
        # an authority named once is often named again (a mask of thousands of documents costs ~10 ms to make)
        self._mask = lru_cache(maxsize=MASKS)(self._mask_of)

    @property
    def kind(self) -> str:
        """How the FAISS index is scanned (search.dense.kind); asked on the first dense search, which reads FAISS."""
        if self._kind is None:
            self._kind = scan.kind(self.index.dense)
        return self._kind

    @property
    def exact(self) -> bool:
        """Whether an unrestricted dense ranking is exact (flat, or fp16 rescored with its proof)."""
        return self.kind != "ann"

    def rows(self, allowed: set[str] | None) -> np.ndarray | None:
        """A document set as a boolean chunk mask (read-only: shared by the searches of one scope)."""
        return None if allowed is None else self._mask(frozenset(allowed))

    def _mask_of(self, docs: frozenset[str]) -> np.ndarray:
        out = self.index.chunks.mask_of(docs)
        out.flags.writeable = False
        return out

    def lexical(self, query: str, k: int, allowed: set[str] | None, meta_query: str | None = None) -> Ranked:
        return self.lexical_rankings(query, k, [allowed], meta_query)[0]

    def lexical_rankings(self, query: str, k: int, scopes: Sequence[set[str] | None],
                         meta_query: str | None = None) -> list[Ranked]:
        """Every scope ranked from one scoring of the query (BM25 scores every passage anyway)."""
        scores = self.bm25.scores(query, meta_query)
        return [top_k(scores, k, self.rows(scope), positive_only=True) for scope in scopes]

    def dense(self, vector: np.ndarray, k: int, allowed: set[str] | None) -> Ranked:
        return self.dense_rankings(vector, k, [allowed])[0]

    def dense_rankings(self, vector: np.ndarray, k: int, scopes: Sequence[set[str] | None]) -> list[Ranked]:
        """The whole index by its scan; a document set by exact scores of its rows, each row scored once
        per query (a flat scan's scores serve every scope; rows scored for one scope serve the next)."""
        n = len(self.index.chunks)
        q = np.asarray(vector, dtype=np.float32)
        scores = np.full(n, -np.inf, dtype=np.float32)
        scored = np.zeros(n, dtype=bool)  # rows whose exact score is in `scores`
        out = []
        for scope in scopes:
            if scope is None:
                out.append(self._whole(q, min(k, n), scores, scored))
                continue
            mask = self.rows(scope)
            todo = np.flatnonzero(mask & ~scored)
            if len(todo):
                scores[todo] = self._exact(todo, q)
                scored[todo] = True
            out.append(top_k(scores, k, mask, positive_only=False))
        return out

    def _exact(self, rows: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Exact scores of some rows: from the ANN index's in-memory vectors when it has them (a named year
        is ~100,000 rows at a million passages), else gathered from the memory-mapped fp32 vectors."""
        if self.kind == "ann":
            found = scan.stored_scores(self.index.dense, rows, q)
            if found is not None:
                return found
        return scan.exact_scores(self.index.vectors, rows, q)

    def _whole(self, q: np.ndarray, k: int, scores: np.ndarray, scored: np.ndarray) -> Ranked:
        """The unrestricted ranking; a flat scan leaves every row's exact score in `scores` for the other scopes."""
        if self.kind == "flat":
            # One pass over the memory-mapped vectors: the same search as FAISS IndexFlatIP for a single
            # query, and it leaves the scores of every row (eval/BENCHMARKS.md).
            scores[:] = scan.exact_scores(self.index.vectors, None, q)
            scored[:] = True
            return top_k(scores, k, None, positive_only=False)
        if self.kind == "fp16":
            return scan.fp16_top(self.index.dense, self.index.vectors, q, k)
        with scan.one_thread():
            found, ids = self.index.dense.search(q.reshape(1, -1), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], found[0]) if i >= 0]
