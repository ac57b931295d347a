"""What a quote check returns: the verdict, the exact source span with its citation, and each difference."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from quarry.records import Chunk, DocInfo, format_citation
from search import quote_text as qt

VERDICTS = ("verbatim", "close", "altered", "not_found")


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
