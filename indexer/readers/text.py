"""Plain text and Markdown: decode the bytes, split pages at form feeds, repair hard-wrapped text."""

from __future__ import annotations

import re

from indexer.readers import RawDocument, Unreadable
from indexer.repair import looks_hard_wrapped, repair

_SETEXT = re.compile(r"^(?P<title>[^\n]*\S[^\n]*)\n(?P<rule>=+|-+)[ \t]*$", re.M)


def decode(data: bytes) -> tuple[str, str | None]:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else cp1252, else latin-1; says which when not UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "decoded as utf-16"
        except UnicodeDecodeError:
            raise Unreadable("broken UTF-16 text") from None
    if b"\x00" in data[:4096]:
        raise Unreadable("binary content, not text")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            return text, None if encoding == "utf-8-sig" else f"decoded as {encoding}"
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "decoded as latin-1"


def setext_to_atx(text: str) -> str:
    """Markdown "Title\\n=====" and "Title\\n-----" headings as "# Title" and "## Title"."""
    def sub(m: re.Match[str]) -> str:
        title = m.group("title").strip()
        if title.startswith(("#", "-", "*", "|", ">")) or len(title) > 150:
            return m.group(0)
        return ("# " if m.group("rule")[0] == "=" else "## ") + title

    return _SETEXT.sub(sub, text)


def read_text(data: bytes, markdown: bool = False) -> RawDocument:
    """Text pages; text that looks hard-wrapped (a PDF's text saved as .txt) is repaired like a PDF."""
    text, note = decode(data)
    if markdown:
        return RawDocument([setext_to_atx(text.replace("\r\n", "\n"))], "markdown", note)
    pages = text.split("\f") if "\f" in text else [text]
    if looks_hard_wrapped(text):
        return RawDocument(repair(pages), "text", note)
    return RawDocument(pages, "text", note)
