"""`open_index` and `Searcher.search`: the one entry point for the CLI, the UI and the harness."""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from quarry.embedders import Embedder, MemoEmbedder, load_embedder
from quarry.errors import UsageError
from quarry.records import Chunk, DocInfo, Hit
from quarry.settings import MODES, Settings
from search import filters as filtering
from search import fusion
from search.backends.base import Backend, Ranked
from search.backends.local import LocalBackend
from search.dense import query_embedder
from search.index import ChunkTable, LoadedIndex, load
from search.interpret import Interpretation, Interpreter
from search import features as feats
from search.hybrid import Candidates
from search.ranker import VERBATIM_BONUS, load_ranker

PREFERENCE_BONUS = 0.1  # weighted fusion: added to passages from the documents the query names
LOWERED_CHARS = 64_000_000  # passage texts kept in lower case per searcher (about 64 MB of text)
NAMED = 32  # named-document sets remembered per searcher (the interpreter hands back one object per field combination)


@dataclass(frozen=True)
class Results:
    """One search's answer: the ranked passages, and the interpretation of the query that ranked them
    (what it names: a soft preference, shown beside the hits), so no caller interprets again."""

    hits: list[Hit]
    interpretation: Interpretation


class Searcher:
    """An opened index: retrievers over it, built once, shared by every query."""

    def __init__(self, index: LoadedIndex, settings: Settings, embedder: Embedder | None = None,
                 backend: Backend | None = None):
        self.index = index
        self.settings = settings
        self._embedder = embedder
        self._memo: MemoEmbedder | None = None
        self.backend: Backend = backend or index.backend or LocalBackend(index, settings.meta_weight)
        self.doc_infos: Mapping[str, DocInfo] = index.docs.infos  # each decoded when first asked for
        self._present = index.chunks.present  # documents with at least one chunk
        self._named = lru_cache(maxsize=NAMED)(self._named_docs)
        self._lowered: dict[int, str] = {}  # lowered_of's memory: chunk row -> its text in lower case
        self._lowered_chars = 0
        self.interpreter = Interpreter(self.doc_infos, index.glossary, index.docs.facets)
        self._df: dict[str, int] | None = None
        self._derived: dict[str, Any] = {}

    @property
    def embedder(self) -> MemoEmbedder:
        """The query model, loaded on first use (so keyword-only searches never import torch), checked
        against the index's model and memoised: a query or sentence is embedded once per searcher."""
        if self._memo is None:
            spec = self.settings.query_model or self.index.manifest["model"]["spec"]
            self._embedder = self._embedder or load_embedder(spec, self.settings.device, self.settings.batch_size, self.settings.runtime, self.settings.model_cache)
            self._memo = query_embedder(self.index.model_id, self._embedder)
            self._embedder = self._memo  # handed on (search/live.py) so a new build keeps the vectors
        return self._memo

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of texts by the query model (remembered: see `embedder`)."""
        return self.embedder.embed(texts)

    @property
    def chunks(self) -> ChunkTable:
        """Every passage, by row: a Sequence of Chunks decoded on access (see quarry/index_tables.py)."""
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

    def allowed(self, filters: Mapping[str, list[str] | str] | None) -> set[str] | None:
        """The documents that pass the hard filters (None = all)."""
        return filtering.allowed_docs(filters, self.doc_infos)

    def interpret(self, query: str) -> Interpretation:
        """What the query names (authority, year, document type, acronyms); empty when disabled."""
        if not self.settings.interpret:
            return Interpretation(remainder=query)
        return self.interpreter.interpret(query)

    def search(self, query: str, k: int | None = None, mode: str | None = None,
               filters: Mapping[str, list[str] | str] | None = None) -> Results:
        """Top-k cited passages for a query, with what the query was read as naming; filters are hard
        (keys ANDed, values ORed).

        Hybrid mode orders both retrievers' candidates with the learned ranker (`fusion` learned, the
        default) or fuses their rankings (rrf, weighted). Authorities, years and document types named in
        the query are a soft preference: the named documents' own rankings join the candidates (a feature
        for the ranker, extra lists for RRF), so a wrong guess can lower a passage but never hide it.
        Acronyms the corpus defines are expanded.
        """
        k = self.settings.k if k is None else k
        mode = mode or self.settings.mode
        query = self.check(query, k, mode)
        interp = self.interpret(query)
        allowed = self.allowed(filters)
        if allowed is not None and not allowed:
            return Results([], interp)
        lexical_query = _lexical_query(query, interp)
        dense_query = interp.expanded(query)
        preferred = self.preferred(interp, allowed)
        n = max(k, self.settings.candidates)
        ranked: dict[str, list[tuple[int, float]]] = {}
        fuse = mode == "hybrid" or preferred is not None
        if mode == "hybrid" and self.settings.fusion == "learned":
            cands = self._candidates(query, interp, allowed, preferred, n)
            return Results(self._hits(self._learned(cands, k), {"bm25": cands.lexical, "dense": cands.dense}), interp)
        vector = self.embed([dense_query])[0] if mode in ("dense", "hybrid") else None
        if mode == "hybrid" and preferred is None and self.settings.fusion == "rrf":
            order = self.backend.hybrid(lexical_query, vector, k, n, self.settings.rrf_k, allowed)
            if order is not None:  # the store fused the two rankings itself (Milvus hybrid_search)
                return Results(self._hits(order, ranked), interp)
        scopes = [allowed] if preferred is None else [allowed, preferred]  # preferred: fuse, so n for both
        if mode in ("bm25", "hybrid"):
            for name, items in zip(("bm25", "bm25_preferred"),
                                   self.backend.lexical_rankings(lexical_query, n if fuse else k, scopes, meta_query=query)):
                ranked[name] = items
        if vector is not None:
            for name, items in zip(("dense", "dense_preferred"), self.backend.dense_rankings(vector, n if fuse else k, scopes)):
                ranked[name] = items
        if not fuse:
            order = ranked[mode][:k]
        elif self.settings.fusion == "rrf" or mode != "hybrid":
            prefer = fusion.preference_weight(self.settings.prefer_weight, interp.fields_matched)
            weights = [prefer if name.endswith("_preferred") else 1.0 for name in ranked]
            order = fusion.top(fusion.rrf([[i for i, _ in items] for items in ranked.values()], self.settings.rrf_k, weights), k)
        else:
            fused = fusion.weighted(dict(ranked["dense"]), dict(ranked["bm25"]), self.settings.alpha)
            if preferred is not None:
                fused = {row: score + PREFERENCE_BONUS * (self.index.chunks.doc_id(row) in preferred) for row, score in fused.items()}
            order = fusion.top(fused, k)
        return Results(self._hits(order, ranked), interp)

    def candidates(self, query: str, filters: Mapping[str, list[str] | str] | None = None) -> Candidates:
        """Both retrievers' top `candidates` passages for a query, their union and each one's features
        (what learned fusion scores; eval/fusion.py fits the ranker on exactly these)."""
        query = self.check(query, 1, "hybrid")
        interp = self.interpret(query)
        allowed = self.allowed(filters)
        return self._candidates(query, interp, allowed, self.preferred(interp, allowed), self.settings.candidates)

    def _candidates(self, query: str, interp: Interpretation, allowed: set[str] | None,
                    preferred: set[str] | None, n: int) -> Candidates:
        lexical_query = _lexical_query(query, interp)
        lexical = dense = lexical_pref = dense_pref = []
        if allowed is None or allowed:
            vector = self.embed([interp.expanded(query)])[0]
            # the named documents' own rankings join as candidates, ranked from the same scoring of the query
            scopes = [allowed] if preferred is None else [allowed, preferred]
            lexical, *rest = self.backend.lexical_rankings(lexical_query, n, scopes, meta_query=query)
            lexical_pref = rest[0] if rest else []
            dense, *rest = self.backend.dense_rankings(vector, n, scopes)
            dense_pref = rest[0] if rest else []
        return self._featurize(query, interp, lexical, dense, preferred, lexical_pref, dense_pref)

    def featurize(self, query: str, lexical: Ranked, dense: Ranked,
                  filters: Mapping[str, list[str] | str] | None = None, interp: Interpretation | None = None) -> Candidates:
        """Candidates and features of two given lists (what learned fusion adds to retrieval: `quarry bench` times
        it, given the query's interpretation, which every mode makes)."""
        interp = self.interpret(query) if interp is None else interp
        return self._featurize(query, interp, lexical, dense, self.preferred(interp, self.allowed(filters)))

    def query_terms(self, query: str, interp: Interpretation) -> feats.QueryTerms:
        """The query as the candidate features read it (its BM25 terms with their IDF in this index)."""
        from quarry.analysis import stopwords, terms

        return feats.query_terms(query, terms(_lexical_query(query, interp)), self._df_of, len(self.index.chunks), stopwords())

    def _featurize(self, query: str, interp: Interpretation, lexical: Ranked, dense: Ranked,
                   preferred: set[str] | None, lexical_pref: Ranked = (), dense_pref: Ranked = ()) -> Candidates:
        q = self.query_terms(query, interp)
        union = feats.candidate_rows(lexical, dense, lexical_pref, dense_pref)
        texts = feats.lowered(union, self)  # read by the row features and the verbatim test alike
        table = feats.row_features(q, union, self, self.contains, texts, held=self.holding(q.terms, union))
        rows, x = feats.features(q, lexical, dense, self, self.contains, preferred,
                                 fusion.preference_weight(1.0, interp.fields_matched), lexical_pref, dense_pref,
                                 rowwise=lambda _: table)
        return Candidates(rows, x, feats.verbatim(q, rows, self, texts), lexical, dense)

    def _learned(self, cands: Candidates, k: int) -> list[tuple[int, float]]:
        """The candidates ordered by the learned ranker; a passage holding a quoted phrase goes first."""
        if not cands.rows:
            return []
        scores = load_ranker(self.settings.fusion_model).score(cands.features) + VERBATIM_BONUS * cands.verbatim
        return fusion.top(dict(zip(cands.rows, scores.tolist())), k)

    # The view of a passage that search.features reads (by chunk row).
    def headings_of(self, rows: Sequence[int]) -> list[str]:
        return self.index.chunks.headings_of(rows)

    def lowered_of(self, rows: Sequence[int]) -> list[str]:
        """Passage texts in lower case, remembered up to LOWERED_CHARS characters (then forgotten at once):
        a comparison reads ~20,000 candidates, most of them again for its next topic."""
        cache = self._lowered
        try:  # every row remembered (a query's candidates, read twice): no copies, no checks
            return list(map(cache.__getitem__, rows))
        except KeyError:
            pass
        rows = [int(r) for r in rows]
        missing = [r for r in dict.fromkeys(rows) if r not in cache]
        if missing:
            if self._lowered_chars > LOWERED_CHARS:  # full: start again, with every row asked for now
                cache.clear()
                self._lowered_chars = 0
                missing = list(dict.fromkeys(rows))
            for r, text in zip(missing, self.index.chunks.texts_of(missing)):
                cache[r] = low = text.lower()
                self._lowered_chars += len(low)
        return [cache[r] for r in rows]

    def doc_ids_of(self, rows: Sequence[int]) -> list[str]:
        return self.index.chunks.doc_ids_of(rows)

    def _df_of(self, term: str) -> int:
        return self.document_frequency.get(term, 0)

    def contains(self, term: str, rows: Sequence[int]) -> np.ndarray:
        """1 for each row whose passage holds a BM25 term: the term matrix's column, or (Milvus) the text."""
        matrix = self.index.lexical.get("text")
        if matrix is None:
            return np.array([term in _passage_terms(self.index.chunks.text(r)) for r in rows], dtype=np.float32)
        col = matrix.vocab.get(term)
        if col is None:
            return np.zeros(len(rows), dtype=np.float32)
        # a column's rows are sorted (indexer/lexical.py), so each candidate is a binary search: a few
        # hundred candidates cost microseconds however many passages hold a common term (marking every
        # holder in a scratch mask cost ~1 ms per term at 100,000 passages)
        holders = matrix.indices[matrix.indptr[col]:matrix.indptr[col + 1]]
        if not len(holders):
            return np.zeros(len(rows), dtype=np.float32)
        # the rows in the column's own integer type: searching int32 rows for int64 ones copies the column first
        wanted = np.asarray(rows, dtype=holders.dtype)
        return (holders.take(holders.searchsorted(wanted), mode="clip") == wanted).astype(np.float32)

    def holding(self, terms: Sequence[str], rows: Sequence[int]) -> np.ndarray:
        """`contains` for several terms at once, (len(terms), len(rows)) of 0/1, as a query's candidate features
        ask: one binary search per term, then one step for all of them (reading what each search found,
        comparing); numpy steps per term cost more than the searches. The rows are searched in increasing
        order: numpy then starts each search where the last one ended, which reads less of a long column
        (a fifth to a quarter faster at 100,000 passages)."""
        matrix = self.index.lexical.get("text")
        if matrix is None:
            return feats.held_terms(terms, rows, self.contains)
        out = np.zeros((len(terms), len(rows)), dtype=np.float32)
        indptr, indices = matrix.indptr, matrix.indices
        cols = [(i, int(indptr[col]), int(indptr[col + 1]))
                for i, col in enumerate(map(matrix.vocab.get, terms)) if col is not None]
        spans = [(i, lo, hi) for i, lo, hi in cols if hi > lo]  # the terms some passage holds
        if not spans:
            return out
        wanted = np.asarray(rows, dtype=indices.dtype)  # see `contains`
        order = np.argsort(wanted)
        ascending = wanted[order]
        which, lo, hi = (np.array(v) for v in zip(*spans))
        at = np.array([indices[a:b].searchsorted(ascending) for _, a, b in spans]).reshape(len(spans), len(wanted))
        out[which[:, None], order] = indices[np.minimum(at, (hi - lo - 1)[:, None]) + lo[:, None]] == ascending
        return out

    def preferred(self, interp: Interpretation, allowed: set[str] | None) -> set[str] | None:
        """The documents the query names (within the hard filters), or None when that restricts nothing."""
        if not interp.docs:
            return None
        if allowed is None:  # the interpreter's own set, made once per field combination: masks find it again
            return self._named(interp.docs)
        present = self._present
        preferred = (interp.docs & present) & allowed
        scope = allowed & present
        if not preferred or preferred == scope:
            return None
        return preferred

    def _named_docs(self, docs: frozenset[str]) -> frozenset[str] | None:
        """Unfiltered `preferred`: the named documents that have passages, or None when that is all of them."""
        preferred = docs & self._present
        if not preferred or preferred == self._present:
            return None
        return docs if len(preferred) == len(docs) else preferred

    def _hits(self, order: list[tuple[int, float]], ranked: dict[str, list[tuple[int, float]]]) -> list[Hit]:
        positions = {name: {row: (r, s) for r, (row, s) in enumerate(items, start=1)}
                     for name, items in ranked.items() if not name.endswith("_preferred")}
        hits = []
        for rank, (row, score) in enumerate(order, start=1):
            chunk = self.index.chunks[row]
            ranks = {name: pos[row][0] for name, pos in positions.items() if row in pos}
            scores = {name: pos[row][1] for name, pos in positions.items() if row in pos}
            hits.append(Hit(chunk, self.doc_infos[chunk.doc_id], float(score), rank, ranks, scores))
        return hits

    def chunk(self, chunk_id: str) -> Chunk | None:
        row = self.index.chunks.row_of(chunk_id)
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

    def page_at(self, doc_id: str, offset: int) -> int | None:
        """The page holding a document offset, when the document has page marks."""
        marks = self.index.docs[doc_id].page_marks
        if not marks:
            return None
        i = bisect_right([m[0] for m in marks], offset) - 1
        return int(marks[max(i, 0)][1])

    def derived(self, name: str, make: Callable[["Searcher"], Any]) -> Any:
        """A fact of this index that later steps read often (the glossary's term links, the words naming
        its authorities), made once per opened index by `make(searcher)`; `name` keys it."""
        if name not in self._derived:
            self._derived[name] = make(self)
        return self._derived[name]

    @property
    def document_frequency(self) -> Mapping[str, int]:
        """How many passages hold each BM25 term, computed once: from the index's term matrix, or
        (Milvus, which keeps no term matrix here) from the loaded passages."""
        if self._df is None:
            text = self.index.lexical.get("text")
            if text is not None:
                counts = np.diff(text.indptr)
                self._df = {t: int(counts[col]) for t, col in text.vocab.items()}
            else:
                from collections import Counter

                from quarry.analysis import terms

                chunks = self.index.chunks
                self._df = dict(Counter(t for r in range(len(chunks)) for t in set(terms(chunks.text(r)))))
        return self._df


def _lexical_query(query: str, interp: Interpretation) -> str:
    """What BM25 reads of a query: what remains once the named authority, year or type is taken out
    (the whole query if nothing remains), with the corpus's acronyms expanded."""
    return interp.expanded(interp.remainder if len(interp.remainder.split()) >= 1 else query)


@lru_cache(maxsize=50_000)
def _passage_terms(text: str) -> frozenset[str]:
    """A passage's BM25 terms, for a backend with no term matrix here (Milvus): analysed once per passage."""
    from quarry.analysis import terms

    return frozenset(terms(text))


def hits_json(hits: Sequence[Hit], interpreted: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Each hit as one line of `quarry search --json` (the API's "hits" too): the hit plus what the query named."""
    named = dict(interpreted or {})
    return [{**h.to_dict(), "interpreted": named} for h in hits]


def open_index(path: str | Path | None = None, settings: Settings | None = None, embedder: Embedder | None = None) -> Searcher:
    """Open an index for searching: the local build folder (checksums verified unless settings.verify is
    off), or with settings.backend == "milvus" the Milvus collections at settings.milvus_uri."""
    settings = settings or Settings()
    if settings.backend == "milvus":
        from search.backends import milvus

        return Searcher(milvus.load(settings), settings, embedder)
    index = load(Path(path or settings.index), verify=settings.verify)
    return Searcher(index, settings, embedder)
