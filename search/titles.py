"""Titles and names as a reader writes them, derived at display time.

An index built from files without a catalogue entry carries the file name as its title ("children's
services focused visit - 08 december 2021"). That title is embedded and BM25-indexed with every
passage, so it stays as it is in the index; what citations, cards and tables show is derived here
from the document's own first heading ("Focused visit to Dorset children's services") and its date.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Iterable, Mapping

from quarry.records import Answer, DocInfo, Hit

if TYPE_CHECKING:
    from search.api import Searcher

MONTHS = ("january february march april may june july august september october november december").split()
HEAD_CHARS = 3000  # the document's title stands in its first page
TITLE_WORDS = (3, 24)  # a heading line has this many words
_SMALL = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "upon", "with"}
_WORD = re.compile(r"[^\W\d_][\w'\u2019]*")
_RUN_ON = re.compile(r"\s+(?=(?:This|The|These|We|Inspectors) [a-z]+ )")  # a subject line running into the body
_DATE_WORDS = re.compile(r"\b\d{1,2}\s+(?:" + "|".join(MONTHS) + r")\s+\d{4}\b|\b\d{4}\b", re.I)


def words(text: str) -> set[str]:
    """Lower-cased words of a text, apostrophes unified, without dates and numbers."""
    return {re.sub(r"'s$", "", w.lower().replace("\u2019", "'")) for w in _WORD.findall(_DATE_WORDS.sub(" ", text))}


def reader_date(published: str | None) -> str | None:
    """"2021-12-08" -> "8 December 2021" (None when missing or not an ISO date)."""
    try:
        d = date.fromisoformat(published or "")
    except ValueError:
        return None
    return f"{d.day} {MONTHS[d.month - 1].capitalize()} {d.year}"


def sentence_case(file_title: str) -> str:
    """A file name as a reader writes it: "children's services focused visit - 08 december 2021" ->
    "Children's services focused visit – 8 December 2021" (first letter, months, dash, day)."""
    text = " ".join(file_title.split())
    text = re.sub(r"\s+-\s+", " \u2013 ", text)
    text = re.sub(r"\b0(\d)\s+(?=(?:" + "|".join(MONTHS) + r")\b)", r"\1 ", text, flags=re.I)
    text = re.sub(r"\b(" + "|".join(MONTHS) + r")\b", lambda m: m.group(1).capitalize(), text, flags=re.I)
    return text[:1].upper() + text[1:]


def place_case(name: str) -> str:
    """A place as written: "Richmond Upon Thames" -> "Richmond upon Thames", "Southend-On-Sea" ->
    "Southend-on-Sea", "Hammersmith & Fulham" -> "Hammersmith and Fulham"; other words untouched."""
    name = " ".join(name.replace(" & ", " and ").split())
    parts = re.split(r"([ -])", name)
    return "".join(p.lower() if i and p.lower() in _SMALL else p for i, p in enumerate(parts))


def first_heading(text: str, file_title: str) -> str | None:
    """The document's own title: the first line of its first page that holds (nearly) every word of
    the file-name title ("Focused visit to Dorset children's services"), joined with its lower-case
    continuation lines ("Inspection of Dorset local authority" / "children's services") and cut
    where the letter's first sentence runs on ("... services This letter summarises")."""
    wanted = words(file_title)
    need = min(3, len(wanted))
    lines = [" ".join(line.split()) for line in text[:HEAD_CHARS].splitlines()]
    for i, line in enumerate(lines):
        if not line or not line[0].isupper() or line.startswith("Dear ") or line.endswith((",", ";", ":")) \
                or _RUN_ON.match(" " + line):
            continue
        for more in lines[i + 1:i + 3]:
            if not more[:1].islower() or line.endswith("."):
                break
            line = f"{line} {more}"
        line = re.sub(r"\s+(?:and|of|the|to|for|in)$", "", _RUN_ON.split(line, maxsplit=1)[0].rstrip(" ."))
        n = len(line.split())
        if TITLE_WORDS[0] <= n <= TITLE_WORDS[1] and len(words(line) & wanted) >= need:
            return line
    return None


def display_title(info: DocInfo, text: str) -> str:
    """What a reader calls the document: a catalogued title as catalogued; a file-name title replaced
    by the document's first heading with its date ("Focused visit to Dorset children's services,
    22 June 2023"), or failing that the file name in sentence case."""
    if "title" not in info.inferred:
        return info.title
    heading = first_heading(text, info.title)
    if heading is None:
        return sentence_case(info.title)
    when = reader_date(info.published)
    return f"{heading}, {when}" if when and when.lower() not in heading.lower() else heading


def display_info(info: DocInfo, text: str) -> DocInfo:
    """The document record as shown: display title, authority in place case (the index keeps its own)."""
    return replace(info, title=display_title(info, text),
                   authority=place_case(info.authority) if info.authority else info.authority)


class _Shown(Mapping[str, DocInfo]):
    """Every document of a searcher as shown, each computed on first access (a search shows a few of
    100,000 documents; reading every inferred title's text up front cost seconds)."""

    def __init__(self, searcher: "Searcher"):
        self._searcher = weakref.ref(searcher)
        self._infos = searcher.doc_infos
        self._done: dict[str, DocInfo] = {}

    def __getitem__(self, doc_id: str) -> DocInfo:
        shown = self._done.get(doc_id)
        if shown is None:
            info = self._infos[doc_id]
            searcher = self._searcher()
            text = searcher.source_text(doc_id) if "title" in info.inferred and searcher is not None else ""
            shown = self._done[doc_id] = display_info(info, text)
        return shown

    def __iter__(self):
        return iter(self._infos)

    def __len__(self) -> int:
        return len(self._infos)


_SHOWN: "weakref.WeakKeyDictionary[object, _Shown]" = weakref.WeakKeyDictionary()


def shown_infos(searcher: "Searcher") -> Mapping[str, DocInfo]:
    """Every document of a searcher as shown (each computed once per searcher, when first asked for)."""
    shown = _SHOWN.get(searcher)
    if shown is None:
        shown = _SHOWN[searcher] = _Shown(searcher)
    return shown


def shown_hits(searcher: "Searcher", hits: Iterable[Hit]) -> list[Hit]:
    """Hits whose document is shown with its display title (citations follow)."""
    infos = shown_infos(searcher)
    return [replace(h, doc=infos.get(h.chunk.doc_id, h.doc)) for h in hits]


def shown_answer(searcher: "Searcher", answer: Answer) -> Answer:
    """An answer whose citations and passages carry display titles (quotes and spans unchanged)."""
    infos = shown_infos(searcher)
    citations = tuple(replace(c, hit=replace(c.hit, doc=infos.get(c.hit.chunk.doc_id, c.hit.doc))) for c in answer.citations)
    return replace(answer, citations=citations, passages=tuple(shown_hits(searcher, answer.passages)))
