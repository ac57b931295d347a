"""Acronyms defined in the documents themselves: "Deprivation of Liberty Safeguards (DoLS)" and
acronym-list lines ("MARAC - Multi-Agency Risk Assessment Conference"). Search expands a query's
acronyms with them, so "DoLS" finds a letter that only says "deprivation of liberty safeguards"."""

from __future__ import annotations

import re

_INLINE = re.compile(r"((?:[A-Za-z][\w'\u2019&-]*[ ]){1,8}?)\(([A-Z][A-Za-z&]{1,9})\)")
_LIST_LINE = re.compile(r"^([A-Z][A-Za-z&/]{1,11})\s*(?:\t+|\s+[-\u2013:=]\s+|\t*[-\u2013]\t*)\s*(\S.{3,120})$", re.M)
_SMALL = {"of", "and", "the", "for", "in", "on", "to", "a", "&"}


def _initials_match(acronym: str, words: list[str]) -> list[str] | None:
    """The shortest tail of `words` whose initials (skipping small words) spell the acronym."""
    letters = [c.lower() for c in acronym if c.isalpha() and c.isupper()] or [c.lower() for c in acronym if c.isalpha()]
    for start in range(len(words) - 1, -1, -1):
        tail = words[start:]
        initials = [w[0].lower() for w in tail if w.lower() not in _SMALL]
        parts = [p[0].lower() for w in tail if w.lower() not in _SMALL for p in w.split("-") if p]
        if initials == letters or parts == letters:
            return tail
    return None


def extract(text: str) -> dict[str, str]:
    """{acronym: expansion} found in one document's text."""
    found: dict[str, str] = {}
    for m in _LIST_LINE.finditer(text):
        acronym, expansion = m.group(1), m.group(2).strip().rstrip(".")
        if sum(c.isupper() for c in acronym) < max(2, len(acronym) // 2):
            continue
        if _initials_match(acronym, expansion.split()) is not None:
            found.setdefault(acronym, expansion)
    for m in _INLINE.finditer(text):
        words, acronym = m.group(1).split(), m.group(2)
        if sum(c.isupper() for c in acronym) < 2:
            continue
        tail = _initials_match(acronym, words)
        if tail:
            found.setdefault(acronym, " ".join(tail))
    return found


def merge(glossaries: list[dict[str, str]]) -> dict[str, str]:
    """One glossary for an index, keyed by lower-case acronym; the first expansion seen wins."""
    out: dict[str, str] = {}
    for g in glossaries:
        for acronym, expansion in g.items():
            out.setdefault(acronym.lower(), expansion)
    return dict(sorted(out.items()))
