"""Does the report really say that? Check a quote or claim against the indexed collection (#19).

Lexical first: the claim's BM25 passages (the backend's own ranking) name candidate sections, and the
claim is aligned word by word against each section's normalised text (search/quote_text.py). Only when
no section comes close are the dense passages tried as well (a paraphrase shares few words). Verdicts:

- verbatim: every part of the claim (split at "..." elisions) occurs, in order, within one section,
  after normalising whitespace, quotes, dashes, hyphenation and case;
- close: the best source differs only in punctuation, spacing, filler words, number format or spelling;
- altered: the best source differs in a number, date, name, negation, quantifier, comparative or other word;
- not_found: no section shares enough words (similarity below MIN_SIMILARITY); the nearest passages are given.

Every span is an exact slice of the stored source text and is checked with search/verify.verify_quote.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, Mapping

from quarry.analysis import sentence_spans
from quarry.errors import UsageError
from quarry.records import Chunk
from search import quote_text as qt
from search.quote_shingles import ShingleIndex
from search.verify import verify_quote
from search.quote_match import Claim, Match, Region, differences, match_claim, parse_claim, verdict
from search.quote_records import VERDICTS, Difference, QuoteCheck, SourceSpan

PHRASE_CANDIDATES = 6  # sections sharing most word 3-grams with the claim, aligned
LEXICAL_CANDIDATES = 6  # BM25 passages whose sections are aligned too
DENSE_CANDIDATES = 5  # dense passages tried when no lexical section comes close
NEAREST = 3  # passages shown with not_found



def _section_span(sections: list[dict[str, Any]], chunk: Chunk) -> tuple[int, int]:
    """The body span of the section holding a chunk (the chunk's own span if none does)."""
    for s in sections:
        if s["char_start"] <= chunk.char_start and chunk.char_end <= s["char_end"]:
            return s["char_start"], s["char_end"]
    return chunk.char_start, chunk.char_end


def _page_at(page_marks: list[list[int]], offset: int) -> int | None:
    page = None
    for at, number in page_marks:
        if at > offset:
            break
        page = number
    return page


def _context(text: str, lo: int, hi: int, start: int, end: int) -> tuple[int, int]:
    """The sentences of text[lo:hi] that overlap [start, end): the span's context (a line break ends a sentence)."""
    lo = max(lo, text.rfind("\n", lo, start) + 1)
    hi = min(hi, text.find("\n", end, hi) if text.find("\n", end, hi) >= 0 else hi)
    spans = [(lo + s, lo + e) for s, e in sentence_spans(text[lo:hi]) if lo + s < end and start < lo + e]
    return (min(spans[0][0], start), max(spans[-1][1], end)) if spans else (start, end)


SectionKey = tuple[str, int, int]  # (doc_id, body start, body end)


class QuoteChecker:
    """Quote checking over one opened index (a `search.Searcher`): its phrase index and tokenised sections."""

    def __init__(self, searcher: Any, cache_size: int = 512):
        # weak: checkers are cached per searcher (checker_for), and a strong reference back would keep
        # every index a server ever opened alive
        self._searcher = weakref.ref(searcher)
        self._regions: dict[SectionKey, Region] = {}
        self._cache_size = cache_size
        self._shingles: ShingleIndex | None = None

    @property
    def searcher(self) -> Any:
        """The opened index this checker reads (it must still be open)."""
        searcher = self._searcher()
        if searcher is None:
            raise RuntimeError("the index this quote checker was made for has been closed")
        return searcher

    @property
    def shingles(self) -> ShingleIndex:
        """The phrase index of every section, built on first use (about 2 s for 374 documents)."""
        if self._shingles is None:
            docs = self.searcher.index.docs
            self._shingles = ShingleIndex.build({d: (sd.text, [(x["char_start"], x["char_end"]) for x in sd.sections])
                                                 for d, sd in docs.items()})
        return self._shingles

    def region(self, key: SectionKey) -> Region:
        """A section, tokenised (kept for the next claims)."""
        if key not in self._regions:
            if len(self._regions) >= self._cache_size:
                self._regions.pop(next(iter(self._regions)))
            doc_id, start, end = key
            self._regions[key] = Region(doc_id, start, end, tuple(qt.tokens(self.searcher.source_text(doc_id)[start:end], start)))
        return self._regions[key]

    def _section_of(self, chunk: Chunk) -> SectionKey:
        return (chunk.doc_id, *_section_span(self.searcher.index.docs[chunk.doc_id].sections, chunk))

    def candidates(self, claim: Claim, query: str, allowed: set[str] | None, dense: bool) -> list[SectionKey]:
        """Sections to align the claim in: those sharing most phrases with it and BM25's best passages'
        sections, or (dense) the nearest passages' sections."""
        s = self.searcher
        if dense:
            vector = s.embed([query])[0]
            return [self._section_of(s.chunks[row]) for row, _ in s.backend.dense(vector, DENSE_CANDIDATES, allowed)]
        found = self.shingles.lookup([[t.key for t in part] for part in claim.parts], PHRASE_CANDIDATES, allowed)
        found += [self._section_of(s.chunks[row]) for row, _ in s.backend.lexical(query, LEXICAL_CANDIDATES, allowed)]
        return list(dict.fromkeys(found))

    def span(self, m: Match, end_mark: str | None) -> SourceSpan:
        """The matched stretch as a cited, verified SourceSpan."""
        toks = m.region.tokens
        first, last = m.parts[0], m.parts[-1]
        start, end = toks[first.start].start, toks[last.end - 1].end
        if end_mark and last.end < len(toks) and toks[last.end].key == end_mark:
            end = toks[last.end].end  # the claim ended its sentence where the source does
        parts = tuple((toks[a.start].start, toks[a.end - 1].end) for a in m.parts) if len(m.parts) > 1 else ()
        return self._source_span(m.region.doc_id, start, end, m.similarity, parts)

    def _source_span(self, doc_id: str, start: int, end: int, similarity: float,
                     parts: tuple[tuple[int, int], ...] = ()) -> SourceSpan:
        doc = self.searcher.index.docs[doc_id]
        text = doc.text
        verify_quote(text, text[start:end], start, end, where=doc_id)
        chunks = self.searcher.chunks
        chunk = max((chunks[int(r)] for r in chunks.rows_of(doc_id)), key=lambda c: min(c.char_end, end) - max(c.char_start, start))
        lo, hi = _section_span(doc.sections, chunk)
        c_start, c_end = _context(text, min(lo, start), max(hi, end), start, end)
        marks = doc.page_marks
        return SourceSpan(doc.info, chunk, start, end, text[start:end], text[c_start:c_end], c_start, c_end,
                          _page_at(marks, start), _page_at(marks, max(start, end - 1)), similarity, parts)

    def check(self, text: str, filters: Mapping[str, list[str] | str] | None = None) -> QuoteCheck:
        """The verdict on `text` (a sentence to a paragraph; may hold elisions) against the collection."""
        if not isinstance(text, str):
            raise UsageError("the text to check must be a string")
        if len(text) > self.searcher.settings.max_query_chars:
            raise UsageError(f"the text is {len(text)} characters; the limit is {self.searcher.settings.max_query_chars}")
        claim = parse_claim(text)
        allowed = self.searcher.allowed(filters)
        if allowed is not None and not allowed:
            return QuoteCheck(text, "not_found", None)
        query = " ".join(claim.text[p[0].start:p[-1].end] for p in claim.parts)
        judged = [self._judge(claim, key) for key in self.candidates(claim, query, allowed, dense=False)]
        if not any(j[0] != "not_found" for j in judged):
            seen = {j[3] for j in judged}
            judged += [self._judge(claim, key) for key in self.candidates(claim, query, allowed, dense=True) if key not in seen]
        ranked = sorted(judged, key=lambda j: (VERDICTS.index(j[0]), -(j[1].similarity if j[1] else 0.0)))
        if not ranked or ranked[0][0] == "not_found":
            near = sorted((j for j in judged if j[1] is not None), key=lambda j: -j[1].similarity)[:NEAREST]
            return QuoteCheck(text, "not_found", None, (), tuple(self._nearest(j[1]) for j in near))
        v, m, diffs, _ = ranked[0]
        return QuoteCheck(text, v, self.span(m, claim.end_mark), diffs if v != "verbatim" else ())

    def _judge(self, claim: Claim, key: SectionKey) -> tuple[str, Match | None, tuple[Difference, ...], SectionKey]:
        m = match_claim(claim, self.region(key))
        if verdict(claim, m, ()) == "not_found":  # too far apart: no differences worth listing
            return "not_found", m, (), key
        diffs = differences(claim, m, self.searcher.source_text(key[0])) if not m.exact else ()
        return verdict(claim, m, diffs), m, diffs, key

    def _nearest(self, m: Match) -> SourceSpan:
        """A not_found neighbour: the aligned stretch widened to its sentences."""
        s = self.span(m, None)
        return self._source_span(m.region.doc_id, s.context_start, s.context_end, m.similarity)


_checkers: weakref.WeakKeyDictionary[Any, QuoteChecker] = weakref.WeakKeyDictionary()
_checkers_lock = threading.Lock()


def checker_for(searcher: Any) -> QuoteChecker:
    """The QuoteChecker of an opened index, made on first use and forgotten with the index, so its phrase
    index and tokenised sections are built once per index (a server's rebuilt index gets a fresh one)."""
    with _checkers_lock:
        checker = _checkers.get(searcher)
        if checker is None:
            checker = _checkers[searcher] = QuoteChecker(searcher)
        return checker


def check_quote(searcher: Any, text: str, filters: Mapping[str, list[str] | str] | None = None) -> QuoteCheck:
    """Check a quote or claim against an opened index: verbatim, close, altered or not_found, with its source."""
    return checker_for(searcher).check(text, filters)
