"""One document through the text pipeline: normalise, catalogue fields, sections, chunks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from indexer import metadata, readers
from indexer.chunks import chunk_sections
from indexer.normalise import NormalText, normalise
from indexer.sections import detect_sections
from quarry.records import Chunk, DocInfo
from quarry.settings import Settings


@dataclass
class ProcessedDoc:
    info: DocInfo
    content_hash: str
    text: str
    page_marks: list[list[int]]
    sections: list[dict[str, Any]]
    chunks: list[Chunk]

    def record(self) -> dict[str, Any]:
        """The document's line in documents.jsonl."""
        return {**self.info.to_dict(), "content_hash": self.content_hash, "text": self.text,
                "page_marks": self.page_marks, "sections": self.sections}


def process(doc_id: str, source: str, raw: readers.RawDocument, entry: dict[str, Any] | None,
            count_tokens: Callable[[str], int], settings: Settings, content_hash: str) -> ProcessedDoc:
    norm: NormalText = normalise(raw.pages)
    info = metadata.doc_info(doc_id, source, norm.text, entry)
    sections = detect_sections(doc_id, norm.text)
    chunks = chunk_sections(sections, norm.text, count_tokens, settings.max_chunk_tokens, settings.overlap_sentences,
                            norm.page_at)
    return ProcessedDoc(info, content_hash, norm.text, [list(m) for m in norm.page_marks],
                        [{"number": s.number, "title": s.title, "level": s.level, "heading_path": list(s.heading_path),
                          "char_start": s.char_start, "char_end": s.char_end, "kind": s.kind} for s in sections], chunks)
