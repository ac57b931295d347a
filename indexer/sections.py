"""Detect a document's structure: headings, the contents table, acronym lists, the letter closing.

Works on normalised text (paragraphs separated by blank lines). Heading kinds recognised:
Markdown "#" lines (how the .docx and .html readers mark headings too; the level is the markup's),
numbered ("3.4.2 Fostering and Adoption", "5. REVIEW OF ..."), ALL CAPS lines, short title lines
("Well-being", "Prevention"), and lone bullet lines used as headings in letters ("- People").
A contents table is its own section of kind "contents" and is not chunked. A paragraph of four or
more short label lines and at least 40 words (a grade table) is its own section of kind "table",
so it becomes a passage of its own instead of the head of the prose that follows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from quarry.records import Section

_ATX = re.compile(r"^(#{1,6})[ \t]+(\S.*?)(?:[ \t]+#+)?[ \t]*$")  # Markdown; also how .docx and .html headings arrive
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+(\S.*)$")
_QUESTION_OR_VERDICT = re.compile(r"^([A-Z][^:?]{3,}?)(?:\?|: [a-z][a-z ]{1,30})$")
_BULLET_HEADING = re.compile(r"^[-\u2022*\u25aa\u25cf]\s+(\S.*)$")
_CONTENTS_LINE = re.compile(r"^(?:\S.{0,120}?)(?:\t+|\s*\.{3,}\s*|\s{2,})(?:\d{1,3})\s*$")
_ACRONYM_LINE = re.compile(r"^[A-Z][A-Za-z&/]{1,11}\s*(?:\t+|\s+[-\u2013:=]\s+|\t*[-\u2013]\t*)\s*[A-Z(]")
_NOT_HEADING_START = re.compile(r"""^(?:dear|yours|source\s*:|cc\b|tel\b|e-?mail\b|www\.|https?:|["'\u201c\u2018*(<\[])""", re.I)
_CLOSING = re.compile(r"^(?:yours\s+(?:sincerely|faithfully)|kind regards|best wishes)\b", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*")
_CELL_END = re.compile(r"[.;:,!?]$")
TABLE_MIN_LINES = 4
TABLE_MAX_WORDS = 14  # a label or a grade, not a line of wrapped prose
TABLE_MIN_WORDS = 40  # smaller label blocks (addresses, sign-offs) stay with their neighbours: a tiny passage retrieves badly


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str
    lone: bool  # the line is a paragraph by itself (blank line before and after)


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    offset = 0
    raw = text.split("\n")
    for i, line in enumerate(raw):
        blank_before = i == 0 or not raw[i - 1].strip()
        blank_after = i == len(raw) - 1 or not raw[i + 1].strip()
        if line.strip():
            out.append(_Line(offset, offset + len(line), line.strip(), blank_before and blank_after))
        offset += len(line) + 1
    return out


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) / len(letters) >= 0.85


def _title_like(title: str, max_words: int = 16) -> bool:
    words = title.split()
    if not words or len(words) > max_words or len(title) > 110:
        return False
    if not (title[0].isupper() or title[0].isdigit()):
        return False
    if re.search(r"[,;:!?]$", title) or (title.endswith(".") and not title.endswith("...")):
        return False
    if _NOT_HEADING_START.match(title) or ": " in title:
        return False
    return len(_WORD.findall(title)) >= 1


@dataclass(frozen=True)
class Heading:
    number: str | None
    title: str
    minor: bool  # a short unnumbered title nests under the previous unnumbered major heading
    level: int | None = None  # given by the markup ("## Title" is level 2), not guessed


def classify(line: str, lone: bool, next_text: str | None) -> Heading | None:
    """The heading on this line, or None. `next_text` is the following paragraph's first line."""
    atx = _ATX.match(line)
    if atx:
        title = atx.group(2).strip()
        numbered = _NUMBERED.match(title)
        number, title = (numbered.group(1), numbered.group(2).strip()) if numbered else (None, title)
        return Heading(number, title, False, len(atx.group(1)))
    if not lone or next_text is None:
        return None
    m = _NUMBERED.match(line)
    if m:
        title = m.group(2).strip()
        short_with_stop = title.endswith(".") and len(title.split()) <= 12 and _title_like(title[:-1]) and _capitalised(title)
        if _title_like(title) or short_with_stop or (len(title.split()) <= 16 and _is_caps(title)):
            return Heading(m.group(1), title, False)
        return None
    b = _BULLET_HEADING.match(line)
    if b:
        title = b.group(1).strip()
        if len(title.split()) <= 4 and _title_like(title) and len(next_text.split()) >= 8:
            return Heading(None, title, True)
        return None
    if len(line.split()) <= 14 and _is_caps(line) and not _NOT_HEADING_START.match(line):  # the word count first: a paragraph is one line
        return Heading(None, line, False)
    if _title_like(line) and not _mostly_digits(line) and (len(next_text.split()) >= 6 or _title_like(next_text.lstrip("-\u2022* "))):
        return Heading(None, line, len(line.split()) <= 3)
    # inspection reports: "What needs to improve?" and "The experiences of children in care: good"
    stem = _QUESTION_OR_VERDICT.match(line)
    if stem and _title_like(stem.group(1), 12) and len(next_text.split()) >= 6:
        return Heading(None, line, False)
    return None


_MINOR_WORDS = frozenset("a an and as at by for from in into of on or the to with".split())


def _capitalised(title: str) -> bool:
    """Title Case: most words other than short function words start with a capital."""
    words = [w for w in _WORD.findall(title) if w.lower() not in _MINOR_WORDS]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def _mostly_digits(text: str) -> bool:
    chars = [c for c in text if not c.isspace()]
    return sum(c.isdigit() for c in chars) > 0.3 * len(chars)


def _is_cell(text: str) -> bool:
    return (len(text.split()) <= TABLE_MAX_WORDS and not _CELL_END.search(text)
            and not _BULLET_HEADING.match(text) and not text.startswith(("\u25fc", "\u25aa", "\u25cf")))


def _table_end(lines: list[_Line], i: int) -> int | None:
    """Index after a table paragraph starting at line i: four or more short unpunctuated lines with
    no blank line between them, the whole paragraph (so prose after it is never swallowed)."""
    if i > 0 and lines[i - 1].end + 1 == lines[i].start:
        return None  # not the start of a paragraph
    j = i
    while j < len(lines) and _is_cell(lines[j].text) and (j == i or lines[j - 1].end + 1 == lines[j].start):
        j += 1
    ends_paragraph = j == len(lines) or lines[j - 1].end + 1 != lines[j].start
    words = sum(len(line.text.split()) for line in lines[i:j])
    return j if j - i >= TABLE_MIN_LINES and words >= TABLE_MIN_WORDS and ends_paragraph else None


def _block_kind(lines: list[_Line], i: int) -> tuple[str, int] | None:
    """A contents table, acronym list or table paragraph starting at line i: (kind, index after its last line)."""
    for kind, pattern in (("contents", _CONTENTS_LINE), ("acronyms", _ACRONYM_LINE)):
        j = i
        while j < len(lines) and (pattern.match(lines[j].text) or (kind == "contents" and j == i and "\t" in lines[j].text and j + 1 < len(lines) and pattern.match(lines[j + 1].text))):
            j += 1
        if j - i >= 3:
            return kind, j
    j = _table_end(lines, i)
    return ("table", j) if j is not None else None


def _label(number: str | None, title: str) -> str:
    return f"{number} {title}" if number else title


def detect_sections(doc_id: str, text: str) -> list[Section]:
    """Split a normalised document into sections that tile it (gaps only at heading lines)."""
    lines = _lines(text)
    sections: list[Section] = []
    # stack of (level, number, label, local) for the heading path; `local` marks numbering that
    # restarts inside a section ("1. Personalisation" under "6.2 Adult Social Care")
    stack: list[tuple[int, str | None, str, bool]] = []
    top_numbers: list[int] = []
    body_start = 0
    kind = "preamble"
    closing = False

    def close(end: int) -> None:
        if end > body_start and text[body_start:end].strip():
            start, stop = body_start, end
            while start < stop and text[start].isspace():
                start += 1
            while stop > start and text[stop - 1].isspace():
                stop -= 1
            top = stack[-1] if stack else (0, None, "", False)
            sections.append(Section(doc_id, top[1], _title_of(top[2], top[1]), len(stack),
                                    tuple(s[2] for s in stack), start, stop, kind))

    i = 0
    while i < len(lines):
        line = lines[i]
        block = None if closing else _block_kind(lines, i)
        if block:
            close(line.start)
            block_kind, j = block
            body_start, kind = line.start, block_kind
            close(lines[j - 1].end)
            body_start, kind = lines[j - 1].end, "body" if stack else "preamble"
            i = j
            continue
        if not closing and _CLOSING.match(line.text):
            close(line.start)
            body_start, kind, closing = line.start, "closing", True
            i += 1
            continue
        nxt = lines[i + 1].text if i + 1 < len(lines) else None
        heading = None if closing else classify(line.text, line.lone, nxt)
        if heading is not None:
            level, local = _level(heading, stack, top_numbers)
            close(line.start)
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading.number, _label(heading.number, heading.title), local))
            body_start = line.end
            kind = "contents" if re.search(r"\bcontents\b", heading.title, re.I) and _block_follows(lines, i + 1) else "body"
        i += 1
    close(len(text))
    return sections


def _block_follows(lines: list[_Line], i: int) -> bool:
    return i < len(lines) and _block_kind(lines, i) is not None


def _title_of(label: str, number: str | None) -> str:
    return label[len(number) + 1:] if number and label.startswith(number + " ") else label


def _level(h: Heading, stack: list[tuple[int, str | None, str, bool]], top_numbers: list[int]) -> tuple[int, bool]:
    """(nesting level, is local numbering) of a heading given the open ones."""
    if h.level is not None:
        return h.level, False
    sections = [e for e in stack if e[1] is not None and not e[3]]
    base = sections[-1][0] if sections else 0
    if h.number is not None:
        parts = [int(p) for p in h.number.split(".")]
        if len(parts) == 1:
            n = parts[0]
            if not top_numbers or 0 < n - top_numbers[-1] <= 2:
                top_numbers.append(n)
                return 1, False
            return base + 1, True  # "1." restarting inside section 6.1
        if top_numbers and 0 < parts[0] - top_numbers[-1] <= 2:
            top_numbers.append(parts[0])
        return len(parts), False
    if sections:
        local = [e for e in stack if e[3]]
        return (local[-1][0] + 1 if local else base + 1), False
    if h.minor and any(e[0] == 1 for e in stack):
        return 2, False
    return 1, False
