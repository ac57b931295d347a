"""Normalise extracted text and rejoin sentences broken across page breaks or text boxes.

The normalised text is the citation source of truth: every chunk span and every quoted sentence
is an exact slice of it. Page numbers survive as `page_marks`: (char offset, page number) pairs.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # Unicode category Cc except tab and newline
_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f]+$", re.M)
_PARA_SPLIT = re.compile(r"\n[ \t]*\n")
_ENDS_SENTENCE = re.compile(r"""[.!?:;)"'\u201d\u2019*]\s*$""")
_STARTS_LOWER = re.compile(r"^[a-z]")
_BULLET = re.compile(r"^\s*(?:[-\u2022*\u25aa\u25cf]|\(?[0-9a-z]{1,3}[.)])\s")


@dataclass(frozen=True)
class NormalText:
    text: str
    page_marks: tuple[tuple[int, int], ...] = ()  # (offset, page) sorted by offset; empty = no pages

    def page_at(self, offset: int) -> int | None:
        if not self.page_marks:
            return None
        i = bisect_right([m[0] for m in self.page_marks], offset) - 1
        return self.page_marks[max(i, 0)][1]


def clean(text: str) -> str:
    """Unicode NFC, Unix newlines, no trailing spaces, non-breaking spaces as spaces."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u00ad", "").replace("\ufeff", "")
    text = _CONTROL.sub("", text)
    return _SPACES.sub("", text)


def _continues(prev: str, nxt: str) -> bool:
    """A paragraph that stops mid-sentence and a next one that starts in lower case are one."""
    last_line = prev.rsplit("\n", 1)[-1]
    if _ENDS_SENTENCE.search(last_line) or len(last_line.split()) < 6:
        return False
    return bool(_STARTS_LOWER.match(nxt.lstrip())) and not _BULLET.match(nxt)


def normalise(pages: list[str]) -> NormalText:
    """Join pages into one normalised text, rejoining sentences split at a page break or box."""
    paragraphs: list[tuple[str, int]] = []
    for number, page in enumerate(pages, start=1):
        for para in _PARA_SPLIT.split(clean(page)):
            para = para.strip("\n")
            if para.strip():
                paragraphs.append((para, number))
    if not paragraphs:
        return NormalText("", ())
    parts: list[str] = []
    marks: list[tuple[int, int]] = []
    offset = 0
    last_page = None
    for i, (para, page) in enumerate(paragraphs):
        if i:
            sep = " " if _continues(paragraphs[i - 1][0], para) else "\n\n"
            parts.append(sep)
            offset += len(sep)
            if sep == " ":
                para = para.lstrip()
        if page != last_page:
            marks.append((offset, page))
            last_page = page
        parts.append(para)
        offset += len(para)
    text = "".join(parts) + "\n"
    return NormalText(text, tuple(marks) if len(pages) > 1 else ())
