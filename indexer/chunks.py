"""Sections -> chunks: a section is one chunk when it fits the model window, otherwise it is cut
on sentence boundaries into overlapping windows. A sentence is never split."""

from __future__ import annotations

import re
from typing import Callable

from quarry.analysis import sentence_spans
from quarry.records import Chunk, Section

CHUNKED_KINDS = {"body", "preamble", "acronyms", "table", "closing"}
# A run of characters between spaces, tabs and line breaks (whitespace to the tokenizer too) that holds an ASCII
# letter or digit is at least one word-piece, so a section with more such runs than the budget is too long for one
# chunk without counting it: a lower bound that never decides differently from the count.
_SURE_WORD = re.compile(r"[^ \t\n\r]*[A-Za-z0-9][^ \t\n\r]*")


def chunk_id(doc_id: str, start: int, end: int) -> str:
    """Stable while the document is unchanged, and readable: doc id plus character span."""
    return f"{doc_id}:{start}-{end}"


def heading_label(section: Section) -> str:
    return section.heading_path[-1] if section.heading_path else ""


def windows(spans: list[tuple[int, int]], sizes: list[int], budget: int, overlap: int) -> list[tuple[int, int]]:
    """Group consecutive sentences (index ranges [i, j)) so each group's size fits the budget.

    A sentence larger than the budget stands alone. Neighbouring groups share `overlap` sentences.
    """
    groups: list[tuple[int, int]] = []
    i = 0
    n = len(spans)
    while i < n:
        j, total = i, 0
        while j < n and (j == i or total + sizes[j] <= budget):
            total += sizes[j]
            j += 1
        groups.append((i, j))
        if j >= n:
            break
        i = max(j - overlap, i + 1)
    return groups


def chunk_sections(
    sections: list[Section],
    text: str,
    count_tokens: Callable[[list[str]], list[int]],
    max_tokens: int,
    overlap: int,
    page_at: Callable[[int], int | None] = lambda _: None,
) -> list[Chunk]:
    """Chunks of a document's sections, in order. Word-pieces are counted in two calls for the whole
    document (every section, then every sentence of the sections too long for one chunk): a call per
    section and per sentence list was a third of chunking the 431 Ofsted reports."""
    kept = [s for s in sections if s.kind in CHUNKED_KINDS and text[s.char_start:s.char_end].strip()]
    sure = [len(_SURE_WORD.findall(text, s.char_start, s.char_end)) for s in kept]
    unsure = [i for i, n in enumerate(sure) if n <= max_tokens]
    counted = dict(zip(unsure, count_tokens([text[kept[i].char_start:kept[i].char_end] for i in unsure]) if unsure else []))
    spans = {i: [(s.char_start + a, s.char_start + b) for a, b in sentence_spans(text[s.char_start:s.char_end])]
             for i, s in enumerate(kept) if counted.get(i, sure[i]) > max_tokens}
    flat = [span for i in spans for span in spans[i]]
    counts = iter(count_tokens([text[a:b] for a, b in flat]) if flat else [])

    def make(section: Section, start: int, end: int) -> Chunk:
        last = max(start, end - 1)
        return Chunk(chunk_id(section.doc_id, start, end), section.doc_id, section.number, heading_label(section),
                     section.heading_path, text[start:end], start, end, page_at(start), page_at(last), section.kind)

    out: list[Chunk] = []
    for i, section in enumerate(kept):
        if i not in spans:
            out.append(make(section, section.char_start, section.char_end))
            continue
        own = spans[i]
        own_sizes = [next(counts) for _ in own]
        out.extend(make(section, own[a][0], own[b - 1][1]) for a, b in windows(own, own_sizes, max_tokens, overlap))
    return out
