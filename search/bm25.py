"""BM25 retrieval over the precomputed term-weight matrix: a query is a sum of matrix columns."""

from __future__ import annotations

import numpy as np

from quarry.analysis import terms
from search.index import LoadedIndex, TermMatrix


def top_k(scores: np.ndarray, k: int, allowed: np.ndarray | None, positive_only: bool) -> list[tuple[int, float]]:
    """Indices and scores of the k highest entries (optionally only allowed / positive ones)."""
    if positive_only:
        candidates = np.flatnonzero(scores > 0 if allowed is None else (scores > 0) & allowed)
    else:
        candidates = np.arange(len(scores)) if allowed is None else np.flatnonzero(allowed)
    return best(candidates, scores[candidates], k)


def best(rows: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The k (row, score) pairs of highest score, best first; equal scores by row, also at the k-th place
    (every row tying the k-th score is kept until the sort), so the answer never depends on input order."""
    if k <= 0:
        return []
    if len(scores) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        keep = scores >= scores[part].min()
        rows, scores = rows[keep], scores[keep]
    order = np.lexsort((rows, -scores))[:k]
    return [(int(rows[i]), float(scores[i])) for i in order]


def field_scores(matrix: TermMatrix, query_terms: list[str], n: int) -> np.ndarray:
    """BM25 score of every chunk in one field; repeated query terms count again, as in rank-bm25."""
    out = np.zeros(n, dtype=np.float32)
    for term in query_terms:
        col = matrix.vocab.get(term)
        if col is None:
            continue
        a, b = matrix.indptr[col], matrix.indptr[col + 1]
        out[matrix.indices[a:b]] += matrix.data[a:b]  # rows within one column are distinct
    return out


class BM25Retriever:
    """Multi-field BM25: passage text (with headings) plus `meta_weight` x the document fields."""

    name = "bm25"

    def __init__(self, index: LoadedIndex, meta_weight: float = 0.0):
        self.index = index
        self.meta_weight = meta_weight

    def scores(self, query: str, meta_query: str | None = None) -> np.ndarray:
        """Text-field scores of `query`, plus weighted document-field scores of `meta_query`."""
        n = len(self.index.chunks)
        out = field_scores(self.index.lexical["text"], terms(query), n)
        if self.meta_weight and meta_query:
            out += self.meta_weight * field_scores(self.index.lexical["meta"], terms(meta_query), n)
        return out

    def search(self, query: str, k: int, allowed: np.ndarray | None = None,
               meta_query: str | None = None) -> list[tuple[int, float]]:
        return top_k(self.scores(query, meta_query), k, allowed, positive_only=True)
