"""Every quote is checked against the stored source text before an answer leaves search/.

A quote that is not exactly `source_text(doc_id)[char_start:char_end]` is a bug in quarry, not a
user mistake: it raises CitationMismatch (an internal error), so a wrong quote is never shown.
"""

from __future__ import annotations

from typing import Callable, Iterable

from quarry.records import Citation


class CitationMismatch(AssertionError):
    """A citation's quote differs from the source text at its span (an internal error)."""


def verify_quote(source: str, quote: str, char_start: int, char_end: int, where: str = "") -> None:
    """Raise CitationMismatch unless `source[char_start:char_end] == quote` (and the span is sane)."""
    if not (0 <= char_start < char_end <= len(source)) or source[char_start:char_end] != quote or not quote.strip():
        found = source[max(0, char_start):max(0, char_end)]
        raise CitationMismatch(f"quote {quote[:60]!r} is not the source text at {where}[{char_start}:{char_end}] ({found[:60]!r})")


def verify_citations(citations: Iterable[Citation], source_text: Callable[[str], str]) -> None:
    """Check every citation against `source_text(doc_id)`; raises CitationMismatch on the first failure."""
    for c in citations:
        doc_id = c.hit.chunk.doc_id
        verify_quote(source_text(doc_id), c.quote, c.char_start, c.char_end, where=doc_id)
