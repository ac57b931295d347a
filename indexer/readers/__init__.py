"""Files -> pages of text. The format is sniffed from the bytes; the extension only breaks ties.

One reader per format, each in its own module: text.py (.txt, .md), pdf.py, docx.py, html.py.
Every failure becomes `Unreadable` with a one-line reason that the index summary shows.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from quarry.errors import QuarryError

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
SUPPORTED = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx"}
# Bump when a reader or the text repair changes its output, so an index re-reads unchanged files.
TEXT_VERSION = "2"
_SNIFF_BYTES = 4096


class Unreadable(QuarryError):
    """This file cannot be indexed; the message is the reason shown in the summary."""


@dataclass(frozen=True)
class RawDocument:
    pages: list[str]  # one string per page; a single page when the format has none
    format: str
    note: str | None = None  # e.g. "decoded as cp1252"


_OTHER_FORMATS = (  # magic bytes of formats people drop into a folder of reports by mistake
    (b"\xd0\xcf\x11\xe0", "an old binary Office file (.doc/.xls); save it as .docx"),
    (b"\x89PNG", "an image (PNG), not a document"),
    (b"\xff\xd8\xff", "an image (JPEG), not a document"),
    (b"GIF8", "an image (GIF), not a document"),
    (b"{\\rtf", "a rich-text (.rtf) file; save it as .docx"),
)


def sniff(data: bytes, suffix: str) -> str:
    """"pdf", "docx", "html", "markdown" or "text", from the content first and the extension second."""
    head = data[:_SNIFF_BYTES]
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    for magic, what in _OTHER_FORMATS:
        if head.startswith(magic):
            raise Unreadable(what)
    if suffix == ".pdf":
        raise Unreadable("not a PDF (no %PDF- header): damaged or misnamed")
    if suffix == ".docx":
        raise Unreadable("not a Word .docx file (not a zip package): damaged or misnamed")
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html")) or (suffix in HTML_SUFFIXES and start.startswith(b"<")):
        return "html"
    return "markdown" if suffix in MARKDOWN_SUFFIXES else "text"


def _zip_kind(data: bytes) -> str:
    try:
        names = set(zipfile.ZipFile(BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError):
        raise Unreadable("damaged zip package (not a readable .docx)") from None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        raise Unreadable("an Excel workbook (.xlsx), not a document")
    if "ppt/presentation.xml" in names:
        raise Unreadable("a PowerPoint file (.pptx), not a document")
    raise Unreadable("a zip archive, not a document")


def check_size(path: Path, max_mb: float | None) -> None:
    """Refuse files over the size cap before reading them (a 100 MB log would swamp the index)."""
    if max_mb:
        size = path.stat().st_size
        if size > max_mb * 2**20:
            raise Unreadable(f"too large: {size / 2**20:.0f} MB is over max_file_mb={max_mb:g} (raise it to index this file)")


def read(path: Path, max_mb: float | None = None) -> RawDocument:
    """Read one file into pages; raises Unreadable with a one-line reason."""
    try:
        if path.exists() and not path.is_file():  # a folder, a pipe or a device would block or fail
            raise Unreadable("not a regular file")
        check_size(path, max_mb)
        data = path.read_bytes()
    except FileNotFoundError:
        raise Unreadable("file vanished before it could be read") from None
    except PermissionError:
        raise Unreadable("permission denied") from None
    except IsADirectoryError:
        raise Unreadable("is a directory") from None
    except OSError as e:
        raise Unreadable(f"cannot be read ({e.strerror or e})") from None
    if not data.strip():
        raise Unreadable("empty: no text")
    raw = parse(data, path.suffix.lower())
    if not any(p.strip() for p in raw.pages):
        raise Unreadable("empty: no text")
    return raw


def parse(data: bytes, suffix: str = "") -> RawDocument:
    """Bytes of a document -> pages, by the sniffed format."""
    kind = sniff(data, suffix)
    if kind == "pdf":
        from indexer.readers.pdf import read_pdf

        return read_pdf(data)
    if kind == "docx":
        from indexer.readers.docx import read_docx

        return read_docx(data)
    if kind == "html":
        from indexer.readers.html import read_html

        return read_html(data)
    from indexer.readers.text import read_text

    return read_text(data, markdown=kind == "markdown")
