"""Files -> pages of text. One reader per format, chosen by extension and checked by content."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from quarry.errors import QuarryError

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
SUPPORTED = TEXT_SUFFIXES


class Unreadable(QuarryError):
    """This file cannot be indexed; the message is the reason shown in the summary."""


@dataclass(frozen=True)
class RawDocument:
    pages: list[str]  # one string per page; a single page when the format has none
    format: str
    note: str | None = None  # e.g. "decoded as cp1252"


def decode(data: bytes) -> tuple[str, str | None]:
    """UTF-8 (with or without BOM), else cp1252, else latin-1; says which when not UTF-8."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Unreadable("binary content, not text")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            return text, None if encoding == "utf-8-sig" else f"decoded as {encoding}"
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "decoded as latin-1"


def read_text(path: Path) -> RawDocument:
    text, note = decode(path.read_bytes())
    pages = text.split("\f") if "\f" in text else [text]
    return RawDocument(pages, "text", note)


def read(path: Path) -> RawDocument:
    """Read one file into pages; raises Unreadable with a one-line reason."""
    suffix = path.suffix.lower()
    try:
        if suffix in TEXT_SUFFIXES:
            raw = read_text(path)
        else:
            raise Unreadable(f"unsupported file type {suffix or '(none)'}")
    except FileNotFoundError:
        raise Unreadable("file vanished before it could be read") from None
    except PermissionError:
        raise Unreadable("permission denied") from None
    except IsADirectoryError:
        raise Unreadable("is a directory") from None
    if not any(p.strip() for p in raw.pages):
        raise Unreadable("empty: no text")
    return raw
