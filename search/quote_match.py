"""Aligning a claim with a stretch of source text: the pure steps of a quote check (no index needed)."""

from __future__ import annotations

from dataclasses import dataclass

from quarry.errors import UsageError
from search import quote_text as qt

from search.quote_records import Difference

MIN_SIMILARITY = 0.6  # Dice word overlap below which a source is not "the same sentence" (see eval/verify.py)
MIN_MATCHED_WORDS = 3  # ... and at least this many words in common (or every word of a shorter claim)


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
