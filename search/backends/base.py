"""The storage-backend seam: what `Searcher` asks of wherever the chunks live.

Rows are positions in the `Searcher`'s chunk list (the same list on every backend); `allowed`
is a set of document ids (filters are document-level) or None for the whole index.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

Ranked = list[tuple[int, float]]  # (chunk row, score), best first


class Backend:
    """Lexical and dense rankings over one index; `hybrid` only where the store fuses itself."""

    name = "backend"

    def lexical(self, query: str, k: int, allowed: set[str] | None, meta_query: str | None = None) -> Ranked:
        """BM25 ranking of chunks for a query (text field; `meta_query` against the document fields where supported)."""
        raise NotImplementedError

    def dense(self, vector: np.ndarray, k: int, allowed: set[str] | None) -> Ranked:
        """Nearest chunks to a unit query vector (inner product)."""
        raise NotImplementedError

    def lexical_rankings(self, query: str, k: int, scopes: Sequence[set[str] | None],
                         meta_query: str | None = None) -> list[Ranked]:
        """`lexical` for each scope (a document set, or None for all): a backend that scores every passage
        once per query ranks each scope from those scores."""
        return [self.lexical(query, k, scope, meta_query) for scope in scopes]

    def dense_rankings(self, vector: np.ndarray, k: int, scopes: Sequence[set[str] | None]) -> list[Ranked]:
        """`dense` for each scope, likewise (a query's own ranking and the documents it names)."""
        return [self.dense(vector, k, scope) for scope in scopes]

    def hybrid(self, query: str, vector: np.ndarray, k: int, candidates: int, rrf_k: int,
               allowed: set[str] | None) -> Ranked | None:
        """RRF of lexical and dense done inside the store, or None: `Searcher` then fuses (the default)."""
        return None
