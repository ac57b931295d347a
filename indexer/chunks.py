"""Sections -> chunks: a section is one chunk when it fits the model window, otherwise it is cut
on sentence boundaries into overlapping windows. A sentence is never split."""

from __future__ import annotations

from typing import Callable

from quarry.analysis import sentence_spans
from quarry.records import Chunk, Section

CHUNKED_KINDS = {"body", "preamble", "acronyms", "table", "closing"}


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


def chunk_section(
    section: Section,
    text: str,
    count_tokens: Callable[[list[str]], list[int]],
    max_tokens: int,
    overlap: int,
    page_at: Callable[[int], int | None] = lambda _: None,
) -> list[Chunk]:
    """Chunks of one section; each chunk's text is exactly text[char_start:char_end]."""
    if section.kind not in CHUNKED_KINDS:
        return []
    body = text[section.char_start:section.char_end]
    if not body.strip():
        return []
    label = heading_label(section)

    def make(start: int, end: int) -> Chunk:
        last = max(start, end - 1)
        return Chunk(chunk_id(section.doc_id, start, end), section.doc_id, section.number, label,
                     section.heading_path, text[start:end], start, end, page_at(start), page_at(last),
                     section.kind)

    if count_tokens([body])[0] <= max_tokens:
        return [make(section.char_start, section.char_end)]
    spans = [(section.char_start + s, section.char_start + e) for s, e in sentence_spans(body)]
    sizes = count_tokens([text[s:e] for s, e in spans])
    return [make(spans[i][0], spans[j - 1][1]) for i, j in windows(spans, sizes, max_tokens, overlap)]
