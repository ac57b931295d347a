"""Quotable sentences of retrieved passages: every sentence once, placed in its document, with the
heading and the sentence before it as context; a sentence that continues another is quoted with it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np

from quarry.analysis import sentence_spans, terms
from quarry.records import Chunk, Hit
from search.answer_types import RATING, has_figure

MIN_WORDS = 3  # shorter "sentences" are headings or list labels
HEADING_WORDS = 8  # a capitalised line this short without closing punctuation is a heading
NEXT_SENTENCE_CHARS = 600  # how far after a passage's last sentence its continuation is looked for
TABLE_LINES = 4  # this many lines in a row without closing punctuation are a table (a judgement table, a key-figures box)
VALUE_WORDS = 5  # a table line this short after a longer one is that line's value ("Outstanding", "Requires improvement to be good")
_SEPARATOR = re.compile(r"\s[-\u2013\u2014]\s|:\s")  # a line holding its own label and value

# A next sentence starting like this refers back to the one before: quote them together.
_CONTINUES = re.compile(r"^[\"'\u2018\u201c(]*(?:This|These|That|Those|It|Its|They|Their|Them|He|She|His|Her|Such|"
                        r"Consequently|As a result|However|During this)\b")


# A sentence that leans on the one before it without opening with a pronoun: "The details for the focus of
# these will be confirmed." ("these" standing alone, followed by a verb or punctuation, not by a noun).
_LEANS_BACK = re.compile(r"^[\"'\u2018\u201c(]*(?:The (?:details|same|above|latter|former)|Both of|Each of|All of|Some of|"
                         r"None of|Neither|Either)\b|\b(?:these|those)\b(?=\s+(?:will|would|is|are|was|were|has|have|had|"
                         r"can|could|should|may|might|must|include|includes)\b|\s*[.,;:)])", re.I)

# Letter furniture that says nothing about the services: copy lists, sign-offs, publication notices, thanks.
# Each is quoted only when the question asks about it, i.e. uses one of its words ("Which bodies was the
# letter copied to?"): pattern -> the BM25 terms of such a question.
BOILERPLATE = (
    (re.compile(r"\b(?:letter|report) (?:has been|is being|will be|was) copied\b|\bcopied to colleagues\b|\bI am copying\b", re.I),
     frozenset({"copi", "copy"})),
    (re.compile(r"\bworks closely with partner inspectorates\b", re.I), frozenset({"inspector"})),
    (re.compile(r"^\W*(?:Yours (?:sincerely|faithfully)|Kind regards|Best wishes)\b", re.I), frozenset({"sign", "sincer"})),
    (re.compile(r"\b(?:this|the) letter (?:will|has been|is) (?:be )?published\b|\bwill be published on\b", re.I),
     frozenset({"publish"})),
    (re.compile(r"\bOfsted will take the findings\b", re.I), frozenset({"next"})),
    (re.compile(r"\bIf you have any (?:queries|questions|comments)\b|\bplease (?:do not hesitate to )?contact\b", re.I),
     frozenset({"contact", "queri"})),
    (re.compile(r"^\W*(?:I|We) (?:would like to )?(?:thank|am grateful)\b|^\W*Thank you\b", re.I), frozenset({"thank"})),
    # the notices closing every Ofsted inspection report: who Ofsted is, reuse, formats, the newsletter
    (re.compile(r"\bregulates and inspects to achieve excellence\b|\bIt assesses council children\S* services, and inspects\b|"
                r"\bOfsted produces this report\b", re.I), frozenset({"regul", "role"})),
    (re.compile(r"\bYou may reuse this information\b|\bIf you would like a copy of this document\b", re.I),
     frozenset({"reus", "format", "braill", "licenc"})),
    (re.compile(r"\bInterested in our work\b|\bsubscribe to our monthly newsletter\b", re.I), frozenset({"newslett", "subscrib"})),
)


# "This letter summarises...", "This report...": the document speaking of itself, not of the sentence before
_SELF = re.compile(r"^[\"'\u2018\u201c(]*This (?:letter|report|annual report|overview|document|summary)\b", re.I)
MAX_LEAN = 2  # a quote reaches back at most this many sentences for what its first one refers to


def depends_on_context(sentence: str) -> bool:
    """True when a sentence means little without the one before it ("This is due to...", "The details of these...")."""
    return not _SELF.match(sentence) and bool(_CONTINUES.match(sentence) or _LEANS_BACK.search(sentence))


def antecedent(texts: Sequence[str], titles: Sequence[bool], i: int) -> int | None:
    """Where a quote of sentence i must start so that its first sentence stands on its own (a chain like
    "A plan was agreed. This involved... It..." goes back to the plan), or None when that is not in the
    passage (a heading, the passage start, or more than MAX_LEAN sentences back)."""
    first = i
    while depends_on_context(texts[first]):
        if not first or titles[first - 1] or i - first >= MAX_LEAN:
            return None
        first -= 1
    return first


@lru_cache(maxsize=50_000)  # a pure test of the text: comparisons read the same passages' sentences again
def boilerplate(sentence: str) -> frozenset[str] | None:
    """When a sentence is letter furniture (copy list, sign-off, publication notice, thanks): the terms
    of a question that asks about it; None for a sentence about the services."""
    for pattern, asked_by in BOILERPLATE:
        if pattern.search(sentence):
            return asked_by
    return None


@dataclass
class Candidate:
    """A quotable stretch of a retrieved passage: one sentence, or two when one continues the other."""

    hit: Hit
    start: int  # document offsets of the quote
    end: int
    quote: str  # == document text[start:end]
    context: str = ""  # the sentence before the quote and the sub-heading line above it
    coverage: float = 0.0
    cosine: float = 0.0
    figure: bool = False
    score: float = 0.0
    vector: np.ndarray | None = field(default=None, repr=False)


def candidates_from(hits: Sequence[Hit], source_text: Callable[[str], str]) -> list[Candidate]:
    """Every sentence of the passages, once (the best-ranked passage holding it wins), in rank order.

    Heading-like lines are left out (they become the context of the sentences under them), unless they
    state a judgement ("Overall effectiveness Outstanding", a short table row read as one line). A
    sentence that refers back ("This is due to...") is quoted with the sentence before it, and one
    ending in ":" or followed by such a sentence with the next.
    """
    seen: set[tuple[str, int, int]] = set()
    out = []
    for hit in hits:
        c = hit.chunk
        spans = passage_sentences(c.text)
        texts = [c.text[a:b] for a, b in spans]
        titles = [heading_like(t) for t in texts]
        rows, tables = table_rows(c.text)
        subheading = ""
        for i, (a, b) in enumerate(spans):
            text = texts[i]
            table = next((t for t in tables if t[0] <= a < t[1]), None)
            if table is not None:  # a table's lines are quoted as its rows, once, where the table starts
                for ra, rb in rows if a == table[0] else ():
                    key = (c.doc_id, c.char_start + ra, c.char_start + rb)
                    if key not in seen and table[0] <= ra < table[1]:
                        seen.add(key)
                        out.append(Candidate(hit, key[1], key[2], c.text[ra:rb], context=subheading))
                continue
            if titles[i]:
                subheading = text
                if not has_figure(text, RATING):  # "Overall effectiveness Outstanding" is a table row, and answers
                    continue
            if len(text.split()) < MIN_WORDS or not re.search(r"[^\W\d_]", text):
                continue
            if text.rstrip().endswith(","):  # a line cut off mid-sentence: an address or salutation line ("St Peter's
                continue  # Square,", "Dear Ms Moore,") or a broken sentence ("This support ensures that,"): says nothing alone
            start, end, first = c.char_start + a, c.char_start + b, i
            if depends_on_context(text):
                first = antecedent(texts, titles, i)
                if first is None:
                    continue  # what it refers to is not in the passage: meaningless on its own
                start = c.char_start + spans[first][0]
            else:
                following = (c.char_start + spans[i + 1][0], c.char_start + spans[i + 1][1], texts[i + 1]) if i + 1 < len(spans) \
                    else next_sentence(source_text(c.doc_id), end)
                if following and not (i + 1 < len(spans) and titles[i + 1]) and \
                        (text.rstrip().endswith(":") or _CONTINUES.match(following[2])):
                    end = following[1]
            if (c.doc_id, start, end) in seen:
                continue
            seen.add((c.doc_id, start, end))
            context = "\n".join(x for x in (subheading, texts[first - 1] if first else "") if x)
            out.append(Candidate(hit, start, end, cut_quote(c, start, end, source_text), context=context))
    return out


@lru_cache(maxsize=20_000)  # a pure function of the passage's text, read again for every topic a comparison asks
def table_rows(text: str) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """The rows of the tables in a passage, as quotable spans, and the spans of the tables themselves.

    A table is TABLE_LINES or more consecutive lines none of which ends like a sentence (extracted from a
    PDF table, a label and its value often stand on lines of their own). A line followed by a shorter one of
    at most VALUE_WORDS words is a row with its value: "The impact of leaders on social work practice
    with children and families\nOutstanding"; any other line of MIN_WORDS words or more is a row by itself
    ("Overall effectiveness Good"). A line starting in lower case continues the label above it ("The impact
    of leaders on social work\npractice with children and families\nGood" is one row). Only a run with two
    such labelled values is a table (a bullet list or an address is not: its lines stay sentences and
    headings). A table's lines are its rows, nothing else."""
    lines, offset = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        lead = len(line) - len(line.lstrip())
        words = len(re.findall(r"[^\W\d_]{2,}", stripped))  # words of letters ("© Crown copyright 2021": 2)
        bare = bool(stripped) and not re.search(r"[.!?;:,]\W*$", stripped) and words > 0
        own = bool(_SEPARATOR.search(stripped))  # "MARAC - Multi-Agency ...", "Inspection dates: ...": label and value in one
        if bare and lines and lines[-1][3] and not lines[-1][4] and not own and stripped[:1].islower():
            start, _, before, _, _ = lines.pop()  # a label wrapped onto this line: one line of the table
            lines.append((start, offset + lead + len(stripped), before + words, True, False))
        else:
            lines.append((offset + lead, offset + lead + len(stripped), words, bare, own))
        offset += len(line) + 1
    rows, tables, i = [], [], 0
    while i < len(lines):
        j = i
        while j < len(lines) and lines[j][3]:
            j += 1
        if j - i >= TABLE_LINES:
            found, pairs, k = [], 0, i
            while k < j:
                start, end, n, _, own = lines[k]
                if k + 1 < j and lines[k + 1][2] <= VALUE_WORDS < n and not own and not lines[k + 1][4]:
                    found.append((start, lines[k + 1][1]))
                    pairs += 1
                    k += 2
                    continue
                if n >= MIN_WORDS:
                    found.append((start, end))
                k += 1
            if pairs >= 2:  # labels with values; other runs of bare lines (a list, an address) are read as before
                rows += found
                tables.append((lines[i][0], lines[j - 1][1]))
        i = max(j, i + 1)
    return tuple(rows), tuple(tables)


def cut_quote(chunk: Chunk, start: int, end: int, source_text: Callable[[str], str]) -> str:
    """The quote cut from the passage's own text (from the source only where it runs past the passage)."""
    if chunk.char_start <= start and end <= chunk.char_end:
        return chunk.text[start - chunk.char_start:end - chunk.char_start]
    source = source_text(chunk.doc_id)
    head = chunk.text[start - chunk.char_start:] if chunk.char_start <= start < chunk.char_end else ""
    return head + source[start + len(head):end]


@lru_cache(maxsize=20_000)
def passage_sentences(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans of a passage, computed once per passage text in a process."""
    return tuple(sentence_spans(text))


@lru_cache(maxsize=200_000)
def term_set(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def next_sentence(source: str, end: int) -> tuple[int, int, str] | None:
    """The sentence after document offset `end` in the same section (no heading between), if any."""
    window = source[end:end + NEXT_SENTENCE_CHARS]
    for a, b in passage_sentences(window):
        if "\n\n" in window[:a].strip(" ") and heading_like(window[a:b]):
            return None
        if b == len(window) and end + b < len(source):
            return None  # cut by the window: too long to quote whole
        return end + a, end + b, window[a:b]
    return None


@lru_cache(maxsize=200_000)  # a pure test of the line: every comparison and answer reads the same passages' lines
def heading_like(text: str) -> bool:
    """A title or heading line: no closing punctuation, starts capitalised, and is either short
    (at most HEADING_WORDS words) or mostly capitalised words. Table rows ("a | b") are not headings."""
    stripped = text.strip()
    words = re.findall(r"[^\W\d_][\w'\u2019-]*", stripped)
    if not words or "|" in stripped or re.search(r"[.!?;:,\"\u201d]\s*$", stripped) or not words[0][0].isupper():
        return False
    return len(words) <= HEADING_WORDS or sum(w[0].isupper() for w in words) / len(words) >= 0.6


def collapse(text: str) -> str:
    return " ".join(text.split())

