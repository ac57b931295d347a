"""A quote that is not the source text at its span is caught (an internal error, never shown)."""

import pytest

from quarry.records import Chunk, Citation, DocInfo, Hit
from search.verify import CitationMismatch, verify_citations, verify_quote

SOURCE = "Intro line.\n\nWe had 76 children coming into care in 09/10. Then more."


def _citation(quote: str, start: int, end: int) -> Citation:
    chunk = Chunk("d:0", "d", None, "", (), SOURCE, 0, len(SOURCE))
    return Citation(1, Hit(chunk, DocInfo("d", "d.txt", "Doc"), 1.0, 1), quote, start, end)


def test_a_true_quote_passes():
    start = SOURCE.index("We had")
    end = SOURCE.index(" Then")
    verify_quote(SOURCE, SOURCE[start:end], start, end)
    verify_citations([_citation(SOURCE[start:end], start, end)], lambda doc: SOURCE)


@pytest.mark.parametrize("quote,shift", [
    ("We had 67 children coming into care in 09/10.", 0),  # a changed figure
    ("We had 76 children coming into care in 09/10.", 1),  # the right words at the wrong place
    ("We had  76 children coming into care in 09/10.", 0),  # whitespace counts too
])
def test_a_tampered_quote_is_caught(quote, shift):
    start = SOURCE.index("We had") + shift
    with pytest.raises(CitationMismatch):
        verify_quote(SOURCE, quote, start, start + len(quote))
    with pytest.raises(CitationMismatch):
        verify_citations([_citation(quote, start, start + len(quote))], lambda doc: SOURCE)


def test_empty_or_out_of_range_spans_are_caught():
    with pytest.raises(CitationMismatch):
        verify_quote(SOURCE, "", 3, 3)
    with pytest.raises(CitationMismatch):
        verify_quote(SOURCE, "Then more.x", len(SOURCE) - 10, len(SOURCE) + 1)
