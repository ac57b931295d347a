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
from dataclasses import dataclass, replace
from typing import Any, Mapping

from quarry.analysis import sentence_spans
from quarry.errors import UsageError
from quarry.records import Chunk, DocInfo, format_citation
from search import quote_text as qt
from search.quote_shingles import ShingleIndex
from search.verify import verify_quote

VERDICTS = ("verbatim", "close", "altered", "not_found")
MIN_SIMILARITY = 0.6  # Dice word overlap below which a source is not "the same sentence" (see eval/verify.py)
MIN_MATCHED_WORDS = 3  # ... and at least this many words in common (or every word of a shorter claim)
PHRASE_CANDIDATES = 6  # sections sharing most word 3-grams with the claim, aligned
LEXICAL_CANDIDATES = 6  # BM25 passages whose sections are aligned too
DENSE_CANDIDATES = 5  # dense passages tried when no lexical section comes close
NEAREST = 3  # passages shown with not_found


@dataclass(frozen=True)
class Difference:
    """One word difference between the claim and its source, with the source side's exact span."""

    kind: str  # benign: punctuation, spacing, number format, spelling, filler; meaning: see quote_text._MEANING_KINDS
    claim: str  # the claim's words ("" when the source has words the claim lacks)
    source: str  # the source text at [char_start, char_end) ("" when the claim adds words)
    char_start: int
    char_end: int

    @property
    def changes_meaning(self) -> bool:
        return qt.is_meaning_kind(self.kind)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "changes_meaning": self.changes_meaning, "claim": self.claim, "source": self.source,
                "char_start": self.char_start, "char_end": self.char_end}


@dataclass(frozen=True)
class SourceSpan:
    """A stretch of one document that a claim was matched to, with its citation and sentence context."""

    doc: DocInfo
    chunk: Chunk  # the passage holding most of the span (heading, section)
    char_start: int
    char_end: int
    quote: str  # == source_text(doc_id)[char_start:char_end]
    context: str  # the sentence(s) around the span
    context_start: int
    context_end: int
    page_start: int | None
    page_end: int | None
    similarity: float
    parts: tuple[tuple[int, int], ...] = ()  # each elided part's span, when the claim has elisions

    @property
    def citation(self) -> str:
        return format_citation(self.doc, replace(self.chunk, page_start=self.page_start, page_end=self.page_end))

    def to_dict(self) -> dict[str, Any]:
        return {"doc_id": self.doc.doc_id, "title": self.doc.title, "authority": self.doc.authority,
                "chunk_id": self.chunk.chunk_id, "section": self.chunk.section, "heading": self.chunk.heading,
                "citation": self.citation, "page": self.page_start, "page_end": self.page_end,
                "char_start": self.char_start, "char_end": self.char_end, "quote": self.quote,
                "context": self.context, "context_start": self.context_start, "context_end": self.context_end,
                "similarity": round(self.similarity, 4), "parts": [list(p) for p in self.parts]}


@dataclass(frozen=True)
class QuoteCheck:
    """The verdict on a claim: its best source span and the differences, or the nearest passages."""

    text: str
    verdict: str  # one of VERDICTS
    source: SourceSpan | None  # None for not_found
    differences: tuple[Difference, ...] = ()
    nearest: tuple[SourceSpan, ...] = ()  # not_found only: the closest stretches found

    @property
    def changed(self) -> tuple[Difference, ...]:
        """The differences that change meaning (what makes a claim `altered`)."""
        return tuple(d for d in self.differences if d.changes_meaning)

    def diff_runs(self) -> tuple[str | Difference, ...]:
        """The source quote cut at its differences, in order: plain source text between Difference records
        (each stands for its `source` text, which the claim has as `claim`): a word diff, claim -> source."""
        if self.source is None:
            return ()
        s, runs, at = self.source, [], self.source.char_start
        for d in sorted(self.differences, key=lambda d: (d.char_start, d.char_end)):
            start, end = min(max(d.char_start, at), s.char_end), min(max(d.char_end, at), s.char_end)
            if start > at:
                runs.append(s.quote[at - s.char_start:start - s.char_start])
            runs.append(d)
            at = max(at, end)
        if at < s.char_end:
            runs.append(s.quote[at - s.char_start:])
        return tuple(runs)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract: text, verdict, source, differences, nearest."""
        return {"text": self.text, "verdict": self.verdict,
                "source": self.source.to_dict() if self.source else None,
                "differences": [d.to_dict() for d in self.differences],
                "nearest": [n.to_dict() for n in self.nearest]}


@dataclass(frozen=True)
class Claim:
    """A claim as tokens (spans into `text`), one tuple per elided part, and the sentence mark it ended with."""

    text: str
    parts: tuple[tuple[qt.Token, ...], ...]
    end_mark: str | None

    @property
    def words(self) -> int:
        return sum(1 for p in self.parts for t in p if qt.is_word(t.key))


def parse_claim(text: str) -> Claim:
    """Split at elisions, tokenise and trim each part's edge punctuation; UsageError when no word is left."""
    parts, end_mark = [], None
    for start, end in qt.elided_parts(text):
        toks, end_mark = qt.trim_punctuation(qt.tokens(text[start:end], start))
        if toks:
            parts.append(tuple(toks))
    if not parts:
        raise UsageError("the text to check is empty: give a sentence or a passage")
    return Claim(text, tuple(parts), end_mark)


@dataclass(frozen=True)
class Region:
    """A section of one document, tokenised: where a claim is aligned."""

    doc_id: str
    start: int
    end: int
    tokens: tuple[qt.Token, ...]


@dataclass(frozen=True)
class Match:
    """A claim aligned in a region: one alignment per elided part, and the word overlap overall."""

    region: Region
    parts: tuple[qt.Alignment, ...]
    similarity: float
    matched: int

    @property
    def exact(self) -> bool:
        return all(a.exact for a in self.parts)


def match_claim(claim: Claim, region: Region, tries: int = 5) -> Match | None:
    """Align each part of the claim, in order, within the region: the longest part first (at each of its
    first `tries` exact places, keeping the best overall), the parts before it at their last place before it,
    the parts after at their first place after it."""
    keys = [t.key for t in region.tokens]
    lead = max(range(len(claim.parts)), key=lambda i: len(claim.parts[i]))
    lead_keys = [t.key for t in claim.parts[lead]]
    places, lo = [], 0
    while len(claim.parts) > 1 and len(places) < tries:
        a = qt.align(lead_keys, keys, lo)
        if a is None or not a.exact:
            break
        places.append(a)
        lo = a.start + 1
    if not places:
        a = qt.align(lead_keys, keys)
        places = [a] if a is not None else []
    best = None
    for a in places:
        m = _match_around(claim, region, keys, lead, a)
        if m is not None and (best is None or m.similarity > best.similarity):
            best = m
    return best


def _match_around(claim: Claim, region: Region, keys: list[str], lead: int, placed: qt.Alignment) -> Match | None:
    """The other parts aligned before and after the lead part's place."""
    found = {lead: placed}
    hi = placed.start
    for i in range(lead - 1, -1, -1):
        a = qt.align([t.key for t in claim.parts[i]], keys, 0, hi, last=True)
        if a is None:
            return None
        found[i], hi = a, a.start
    lo = placed.end
    for i in range(lead + 1, len(claim.parts)):
        a = qt.align([t.key for t in claim.parts[i]], keys, lo, len(keys))
        if a is None:
            return None
        found[i], lo = a, a.end
    if claim.end_mark:
        last = len(claim.parts) - 1
        found[last] = qt.to_sentence_end([t.key for t in claim.parts[last]], keys, found[last], claim.end_mark)
    parts = tuple(found[i] for i in range(len(claim.parts)))
    matched = sum(p.matched for p in parts)
    total = sum(p.claim_words + p.source_words for p in parts)
    return Match(region, parts, 2 * matched / total if total else 0.0, matched)


def differences(claim: Claim, m: Match, source_text: str) -> tuple[Difference, ...]:
    """Every non-equal opcode of every part as a Difference, classified and given its exact source span."""
    out = []
    src = m.region.tokens
    for part, a in zip(claim.parts, m.parts):
        for tag, i1, i2, j1, j2 in a.opcodes:
            if tag == "equal":
                continue
            c_toks, s_toks = part[i1:i2], src[a.start + j1:a.start + j2]
            c_keys, s_keys = [t.key for t in c_toks], [t.key for t in s_toks]
            kind = qt.benign_kind(c_keys, s_keys)
            if kind is None:
                named = qt.capitalised(part, i1, i2, claim.text) or qt.capitalised(src, a.start + j1, a.start + j2, source_text)
                kind = qt.meaning_kind(c_keys, s_keys, named)
            if s_toks:
                start, end = s_toks[0].start, s_toks[-1].end
            else:  # the claim adds words: the point in the source where they would stand
                at = a.start + j1
                start = end = src[at - 1].end if at > 0 else src[at].start
            claim_words = " ".join(claim.text[t.start:t.end] for t in c_toks)
            out.append(Difference(kind, claim_words, source_text[start:end], start, end))
    return tuple(out)


def verdict(claim: Claim, m: Match | None, diffs: tuple[Difference, ...]) -> str:
    """verbatim / close / altered / not_found for a claim's best match and its differences."""
    if m is None or m.similarity < MIN_SIMILARITY or m.matched < min(MIN_MATCHED_WORDS, claim.words):
        return "not_found"
    if m.exact:
        return "verbatim"
    return "altered" if any(d.changes_meaning for d in diffs) else "close"


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
        self._chunks_by_doc: dict[str, list[Chunk]] = {}
        for c in searcher.chunks:
            self._chunks_by_doc.setdefault(c.doc_id, []).append(c)

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
        chunk = max(self._chunks_by_doc[doc_id], key=lambda c: min(c.char_end, end) - max(c.char_start, start))
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
