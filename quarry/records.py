"""One small typed record per concept: documents, sections, chunks and hits."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class DocInfo:
    """What a citation needs to know about a document (no text)."""

    doc_id: str
    source: str
    title: str
    authority: str | None = None
    period: str | None = None
    year: int | None = None
    years: tuple[int, ...] = ()
    doc_type: str | None = None
    published: str | None = None
    publisher: str | None = None
    inferred: tuple[str, ...] = ()  # metadata fields guessed from the text, not catalogued

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["years"] = list(self.years)
        d["inferred"] = list(self.inferred)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DocInfo":
        d = dict(d)
        d["years"] = tuple(d.get("years") or ())
        d["inferred"] = tuple(d.get("inferred") or ())
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__ if k in d})


@dataclass(frozen=True)
class Section:
    """A stretch of a document under one heading; `kind` says what it holds."""

    doc_id: str
    number: str | None  # "3.4.2", or None for unnumbered headings
    title: str  # heading text without its number
    level: int
    heading_path: tuple[str, ...]  # ("3. Review of ...", "3.4 Corporate Parenting")
    char_start: int  # body span in the normalised text (heading line excluded)
    char_end: int
    kind: str = "body"  # body | preamble | contents | acronyms | closing


@dataclass(frozen=True)
class Chunk:
    """The unit of retrieval: verbatim text of a section (or a window of one) with its place."""

    chunk_id: str
    doc_id: str
    section: str | None
    heading: str  # the section's own heading ("3.4 Corporate Parenting")
    heading_path: tuple[str, ...]
    text: str  # == document text[char_start:char_end]
    char_start: int
    char_end: int
    page_start: int | None = None
    page_end: int | None = None
    kind: str = "body"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["heading_path"] = list(self.heading_path)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Chunk":
        d = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        d["heading_path"] = tuple(d.get("heading_path") or ())
        return cls(**d)


@dataclass(frozen=True)
class Hit:
    """A ranked chunk with its document, citation and per-retriever score breakdown."""

    chunk: Chunk
    doc: DocInfo
    score: float
    rank: int
    ranks: dict[str, int] = field(default_factory=dict)  # retriever -> 1-based rank
    scores: dict[str, float] = field(default_factory=dict)  # retriever -> raw score

    @property
    def page_label(self) -> str | None:
        return page_label(self.chunk.page_start, self.chunk.page_end)

    @property
    def citation(self) -> str:
        return format_citation(self.doc, self.chunk)

    def to_dict(self) -> dict[str, Any]:
        """The search JSON contract (one object per hit)."""
        c = self.chunk
        return {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "chunk_id": c.chunk_id,
            "doc_id": c.doc_id,
            "title": self.doc.title,
            "authority": self.doc.authority,
            "period": self.doc.period,
            "year": self.doc.year,
            "doc_type": self.doc.doc_type,
            "section": c.section,
            "heading": c.heading,
            "heading_path": list(c.heading_path),
            "text": c.text,
            "citation": self.citation,
            "char_start": c.char_start,
            "char_end": c.char_end,
            "page": c.page_start,
            "page_end": c.page_end,
            "ranks": dict(self.ranks),
            "scores": {k: round(float(v), 6) for k, v in self.scores.items()},
        }


def page_label(start: int | None, end: int | None) -> str | None:
    """"p. 7" or "pp. 7–8"; None when the page is unknown."""
    if start is None:
        return None
    if end is None or end == start:
        return f"p. {start}"
    return f"pp. {start}\u2013{end}"


def format_citation(doc: DocInfo, chunk: Chunk) -> str:
    """Title, authority, §section heading, page: the parts that are known, in that order."""
    parts = [doc.title]
    if doc.authority and doc.authority.lower() not in doc.title.lower():
        parts.append(doc.authority)
    if chunk.heading:
        parts.append(f"\u00a7{chunk.heading}" if chunk.section else chunk.heading)
    label = page_label(chunk.page_start, chunk.page_end)
    if label:
        parts.append(label)
    return ", ".join(parts)


@dataclass(frozen=True)
class Citation:
    """A verbatim quote from the stored source text, with where it stands."""

    n: int  # the marker number used in the answer text: [1], [2]
    hit: Hit  # the passage the quote comes from
    quote: str  # == document text[char_start:char_end], checked before it is shown
    char_start: int
    char_end: int
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        c, d = self.hit.chunk, self.hit.doc
        return {
            "n": self.n,
            "chunk_id": c.chunk_id,
            "doc_id": c.doc_id,
            "title": d.title,
            "authority": d.authority,
            "period": d.period,
            "section": c.section,
            "heading": c.heading,
            "citation": format_citation(d, c) if self.page is None else _with_page(d, c, self.page),
            "quote": self.quote,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "page": self.page,
        }


def _with_page(doc: DocInfo, chunk: Chunk, page: int) -> str:
    from dataclasses import replace

    return format_citation(doc, replace(chunk, page_start=page, page_end=page))


@dataclass(frozen=True)
class Answer:
    """An extractive answer: 1-3 quoted sentences with [n] markers, or an abstention."""

    question: str
    answer: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    passages: tuple[Hit, ...] = ()
    interpreted: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The `quarry ask --json` contract (exactly one object)."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [h.to_dict() for h in self.passages],
            "interpreted": dict(self.interpreted),
        }
