"""PDF with pypdf, page by page; the text is repaired (furniture, hard wraps, hyphens) in repair.py."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from io import BytesIO
from typing import Iterator

from indexer.readers import RawDocument, Unreadable
from indexer.repair import repair


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs a warning for every odd object in a damaged file; the summary says what matters."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def read_pdf(data: bytes) -> RawDocument:
    """One string per page. Encrypted, damaged and image-only PDFs raise Unreadable with the reason."""
    import pypdf
    from pypdf.errors import DependencyError

    with _quiet_pypdf():
        try:
            reader = pypdf.PdfReader(BytesIO(data))
            if reader.is_encrypted:
                try:
                    opened = reader.decrypt("")  # many PDFs are encrypted only against editing
                except DependencyError:
                    raise Unreadable("encrypted PDF that needs the `cryptography` package to open") from None
                if not opened:
                    raise Unreadable("encrypted PDF: a password is needed to open it")
            pages: list[str] = []
            failed = 0
            for page in reader.pages:
                try:
                    pages.append(page.extract_text() or "")
                except Exception:  # one broken page must not lose the rest of the document
                    pages.append("")
                    failed += 1
        except Unreadable:
            raise
        except Exception as e:  # pypdf raises many types on damaged files; all mean "cannot parse"
            raise Unreadable(f"damaged PDF, cannot be parsed ({_one_line(e)})") from None
    if not pages:
        raise Unreadable("PDF has no pages")
    empty = sum(1 for p in pages if not p.strip())
    if empty == len(pages):
        raise Unreadable(f"no text layer in any of its {len(pages)} page(s) (scanned or image-only PDF; OCR it first)")
    notes = []
    if failed:
        notes.append(f"text of {failed} damaged page(s) could not be extracted")
    if empty - failed > 0:
        notes.append(f"{empty - failed} of {len(pages)} pages have no text layer (images only)")
    return RawDocument(repair(pages), "pdf", "; ".join(notes) or None)
