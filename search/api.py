"""`open_index` and `Searcher.search`: the one entry point for the CLI, the UI and the harness."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from quarry.embedders import Embedder, load_embedder
from quarry.errors import UsageError
from quarry.records import Answer, Chunk, DocInfo, Hit
from quarry.settings import Settings
from search import filters as filtering
from search import fusion
from search.bm25 import BM25Retriever
from search.dense import DenseRetriever
from search.index import LoadedIndex, load

MODES = ("hybrid", "bm25", "dense")


class Searcher:
    """An opened index: retrievers over it, built once, shared by every query."""

    def __init__(self, index: LoadedIndex, settings: Settings, embedder: Embedder | None = None):
        self.index = index
        self.settings = settings
        self._embedder = embedder
        self._dense: DenseRetriever | None = None
        self.bm25 = BM25Retriever(index)
        self.doc_infos: dict[str, DocInfo] = {d: s.info for d, s in index.docs.items()}
        self._row = {c.chunk_id: i for i, c in enumerate(index.chunks)}

    @property
    def dense(self) -> DenseRetriever:
        """Loaded on first use, so keyword-only searches never import torch."""
        if self._dense is None:
            embedder = self._embedder or load_embedder(self.index.manifest["model"]["spec"], self.settings.device, self.settings.batch_size)
            self._embedder = embedder
            self._dense = DenseRetriever(self.index, embedder)
        return self._dense

    @property
    def chunks(self) -> list[Chunk]:
        return self.index.chunks

    def check(self, query: str, k: int, mode: str) -> str:
        """Validate user input; returns the query stripped of control characters."""
        if mode not in MODES:
            raise UsageError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if not isinstance(k, int) or k < 1:
            raise UsageError(f"k must be a positive whole number, not {k!r}")
        if k > self.settings.max_k:
            raise UsageError(f"k must be at most {self.settings.max_k}")
        cleaned = "".join(ch if ch.isprintable() else " " for ch in query).strip()
        if not cleaned:
            raise UsageError("the query is empty")
        if len(cleaned) > self.settings.max_query_chars:
            raise UsageError(f"the query is {len(cleaned)} characters; the limit is {self.settings.max_query_chars}")
        return cleaned

    def mask(self, filters: Mapping[str, list[str] | str] | None) -> np.ndarray | None:
        return filtering.mask(filters, self.doc_infos, self.index.chunks)

    def search(self, query: str, k: int | None = None, mode: str | None = None,
               filters: Mapping[str, list[str] | str] | None = None) -> list[Hit]:
        """Top-k cited passages for a query; filters are hard (keys ANDed, values ORed)."""
        k = self.settings.k if k is None else k
        mode = mode or self.settings.mode
        query = self.check(query, k, mode)
        allowed = self.mask(filters)
        if allowed is not None and not allowed.any():
            return []
        n = max(k, self.settings.candidates)
        ranked: dict[str, list[tuple[int, float]]] = {}
        if mode in ("bm25", "hybrid"):
            ranked["bm25"] = self.bm25.search(query, n if mode == "hybrid" else k, allowed)
        if mode in ("dense", "hybrid"):
            ranked["dense"] = self.dense.search(query, n if mode == "hybrid" else k, allowed)
        if mode == "hybrid":
            if self.settings.fusion == "rrf":
                fused = fusion.rrf([[i for i, _ in ranked["bm25"]], [i for i, _ in ranked["dense"]]], self.settings.rrf_k)
            else:
                fused = fusion.weighted(dict(ranked["dense"]), dict(ranked["bm25"]), self.settings.alpha)
            order = fusion.top(fused, k)
        else:
            order = ranked[mode][:k]
        return self._hits(order, ranked)

    def ask(self, question: str, k: int | None = None, filters: Mapping[str, list[str] | str] | None = None,
            mode: str | None = None) -> Answer:
        """An extractive answer with verified citations from the top-k passages, or an abstention."""
        from search.answer import answer_question
        from search.rerank import load_reranker

        reranker = load_reranker(self.settings.reranker, self.settings.device) if self.settings.reranker else None
        return answer_question(self, question, k=k, filters=filters, mode=mode, reranker=reranker)

    def _hits(self, order: list[tuple[int, float]], ranked: dict[str, list[tuple[int, float]]]) -> list[Hit]:
        positions = {name: {row: (r, s) for r, (row, s) in enumerate(items, start=1)} for name, items in ranked.items()}
        hits = []
        for rank, (row, score) in enumerate(order, start=1):
            chunk = self.index.chunks[row]
            ranks = {name: pos[row][0] for name, pos in positions.items() if row in pos}
            scores = {name: pos[row][1] for name, pos in positions.items() if row in pos}
            hits.append(Hit(chunk, self.doc_infos[chunk.doc_id], float(score), rank, ranks, scores))
        return hits

    def chunk(self, chunk_id: str) -> Chunk | None:
        row = self._row.get(chunk_id)
        return None if row is None else self.index.chunks[row]

    def section_context(self, chunk: Chunk) -> tuple[str, int, int]:
        """The whole section holding a chunk, and the chunk's span within it ("show in context")."""
        doc = self.index.docs[chunk.doc_id]
        for s in doc.sections:
            if s["char_start"] <= chunk.char_start and chunk.char_end <= s["char_end"]:
                return doc.text[s["char_start"]:s["char_end"]], chunk.char_start - s["char_start"], chunk.char_end - s["char_start"]
        return chunk.text, 0, len(chunk.text)

    def source_text(self, doc_id: str) -> str:
        return self.index.docs[doc_id].text


def open_index(path: str | Path | None = None, settings: Settings | None = None, embedder: Embedder | None = None) -> Searcher:
    """Open an index directory for searching (checksums verified unless settings.verify is off)."""
    settings = settings or Settings()
    index = load(Path(path or settings.index), verify=settings.verify)
    return Searcher(index, settings, embedder)
