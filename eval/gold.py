"""Span-based gold sets: questions whose answer is a verbatim span of a named document.

A passage (chunk) is relevant to a question when its text contains one of the question's spans,
compared with whitespace collapsed (a span cut by a chunk boundary is credited to the chunks that
overlap it). Two row shapes are read, so any set in either shape works unchanged:
  {"id", "question", "kind"?, "answerable"?, "answers": [{"doc", "span"}, ...]}   (quarry's gold sets)
  {"id", "question", "source_txt" | "doc", "evidence" | "span"}                     (one span per row)
`doc` is a path; it names an indexed file when its trailing path parts match that file's path.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Sequence

from quarry.jsonl import read_jsonl
from indexer.build import Source
from quarry.errors import QuarryError
from quarry.records import Chunk


@dataclass(frozen=True)
class Answer:
    doc: str  # path as the gold set gives it
    span: str


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    kind: str
    answerable: bool
    answers: tuple[Answer, ...]
    split: str = ""  # "calibration" or "report" when the set fixes its halves (eval/gold/summary.jsonl)


def _answers(row: dict) -> tuple[Answer, ...]:
    if isinstance(row.get("answers"), list):
        return tuple(Answer(str(a["doc"]), str(a["span"])) for a in row["answers"] if a.get("doc") and a.get("span"))
    doc, span = row.get("doc") or row.get("source_txt"), row.get("span") or row.get("evidence")
    return (Answer(str(doc), str(span)),) if doc and span else ()


def load(path: Path) -> list[GoldQuestion]:
    """Read a gold set (JSON lines); a row with no answer span counts as unanswerable."""
    out = []
    for n, row in read_jsonl(path, "no such gold set"):
        try:
            answers = _answers(row)
            question = str(row["question"])
        except (KeyError, TypeError, AttributeError):
            raise QuarryError(f"{path}:{n}: expected {{\"question\", \"answers\": [{{\"doc\", \"span\"}}]}}") from None
        answerable = bool(row.get("answerable", True)) and bool(answers)
        kind = str(row.get("kind") or row.get("names") or "all")
        out.append(GoldQuestion(str(row.get("id") or f"{path.stem}-{n}"), question, kind, answerable, answers,
                                str(row.get("split") or "")))
    if not out:
        raise QuarryError(f"{path}: no questions")
    return out


def collapse(text: str) -> str:
    """Text compared for containment: NFC, soft hyphens dropped, runs of whitespace as one space."""
    return " ".join(unicodedata.normalize("NFC", text).replace("\u00ad", "").split())


def _collapse_with_offsets(text: str) -> tuple[str, list[int]]:
    """collapse(text) and, for each of its characters, the offset of that character in `text`."""
    chars: list[str] = []
    offsets: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        if ch == "\u00ad":
            continue
        if ch.isspace():
            pending_space = bool(chars)
            continue
        if pending_space:
            chars.append(" ")
            offsets.append(i - 1)
            pending_space = False
        chars.append(ch)
        offsets.append(i)
    return "".join(chars), offsets


def span_ranges(doc_text: str, span: str) -> list[tuple[int, int]]:
    """Every (start, end) character range of `doc_text` where `span` occurs, whitespace collapsed."""
    flat, offsets = _collapse_with_offsets(unicodedata.normalize("NFC", doc_text))
    needle = collapse(span)
    out, at = [], flat.find(needle) if needle else -1
    while at >= 0:
        out.append((offsets[at], offsets[at + len(needle) - 1] + 1))
        at = flat.find(needle, at + 1)
    return out


def relevant_chunks(span: str, chunks: Sequence[Chunk], doc_text: str) -> tuple[set[str], str]:
    """Chunk ids of one document that hold `span`, and how: "contains", "overlaps" or "missing".

    "overlaps": no single chunk holds the whole span (a chunk boundary cuts it), so the chunks
    overlapping where it occurs are credited instead.
    """
    needle = collapse(span)
    holding = {c.chunk_id for c in chunks if needle in collapse(c.text)}
    if holding:
        return holding, "contains"
    ranges = span_ranges(doc_text, span)
    overlapping = {c.chunk_id for c in chunks for start, end in ranges if c.char_start < end and start < c.char_end}
    return (overlapping, "overlaps") if overlapping else (set(), "missing")


class DocMatcher:
    """Map a gold set's document paths to indexed doc ids by their trailing path parts.

    A gold path names a file when its tail equals the end of the file's path and covers at least
    the file's path below the folder it was indexed from: "inspections/x/report.txt" finds
    <anything>/inspections/x/report.txt, but a bare "report.txt" never picks one of several x/report.txt.
    """

    def __init__(self, sources: Iterable[Source], roots: Iterable[Path]):
        folders = [r.resolve() if r.is_dir() else r.resolve().parent for r in roots]
        self._by_suffix: dict[tuple[str, ...], set[str]] = {}
        for s in sources:
            path = Path(s.path if s.path is not None else s.name).resolve()
            below = min((len(path.relative_to(f).parts) for f in folders if path.is_relative_to(f)), default=1)
            parts = path.parts
            for i in range(len(parts) - below + 1):
                self._by_suffix.setdefault(tuple(parts[i:]), set()).add(s.doc_id)

    def doc_id(self, gold_path: str) -> str | None:
        """The one indexed document whose path ends with the longest tail of `gold_path`, or None."""
        parts = [p for p in PurePosixPath(gold_path.replace("\\", "/")).parts if p not in ("", ".", "/")]
        for i in range(len(parts)):
            ids = self._by_suffix.get(tuple(parts[i:]))
            if ids:
                return next(iter(ids)) if len(ids) == 1 else None
        return None
