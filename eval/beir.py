"""Load any folder in the BEIR layout: corpus.jsonl, queries.jsonl and qrels/<split>.tsv.

Nothing here knows any particular data set. A corpus row {"_id", "title", "text", "metadata"} becomes
an indexer Source whose doc id is the row's `_id`; metadata keys that are catalogue fields (title,
authority, years, ...) become its catalogue entry, others are ignored.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from indexer.build import Source
from quarry.jsonl import read_jsonl
from indexer.metadata import FIELDS
from quarry.errors import QuarryError, UsageError


@dataclass(frozen=True)
class BeirSet:
    """One BEIR data set and split, ready to index and score."""

    name: str  # folder name, plus ":<corpus stem>" when the corpus is not corpus.jsonl
    split: str
    sources: list[Source]
    titles: dict[str, str]  # doc id -> title, for the failure list
    queries: dict[str, str]  # query id -> text (only the judged queries)
    qrels: dict[str, dict[str, int]]  # query id -> {doc id: relevance}
    notes: tuple[str, ...] = ()


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for n, row in read_jsonl(path, "no such file (a BEIR folder has corpus.jsonl, queries.jsonl and qrels/<split>.tsv)"):
        if "_id" not in row:
            raise QuarryError(f"{path}:{n}: each line must be a JSON object with an \"_id\"")
        yield n, row


def source_for(row: dict[str, Any]) -> Source:
    """An indexer Source for one corpus row; a row with no text is indexed by its title."""
    doc_id = str(row["_id"])
    title = str(row.get("title") or "").strip()
    text = str(row.get("text") or "")
    meta = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
    entry = {k: v for k, v in meta.items() if k in FIELDS and k != "title" and v not in (None, "", [])}
    if title:
        entry["title"] = title
    return Source(doc_id, doc_id, entry or None, text=text if text.strip() else title)


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """qrels/<split>.tsv: query-id, corpus-id, score; a header line is recognised and skipped."""
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for n, cells in enumerate(csv.reader(f, delimiter="\t"), start=1):
            if not cells or not "".join(cells).strip():
                continue
            if len(cells) < 3:
                raise QuarryError(f"{path}:{n}: expected query-id<TAB>corpus-id<TAB>score")
            try:
                score = int(float(cells[2]))
            except ValueError:
                if n == 1:
                    continue  # header
                raise QuarryError(f"{path}:{n}: score {cells[2]!r} is not a number") from None
            qrels.setdefault(cells[0], {})[cells[1]] = score
    return qrels


def load_corpus(folder: Path, corpus: str = "corpus.jsonl") -> tuple[str, list[Source], dict[str, str]]:
    """A BEIR folder's name (the index cache name), its corpus as indexer Sources, and doc id -> title."""
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder")
    corpus_path = folder / corpus
    sources, titles = [], {}
    for _, row in _rows(corpus_path):
        source = source_for(row)
        sources.append(source)
        titles[source.doc_id] = str(row.get("title") or "")
    if len({s.doc_id for s in sources}) != len(sources):
        raise QuarryError(f"{corpus_path}: two rows share one _id")
    name = folder.resolve().name + ("" if corpus == "corpus.jsonl" else f":{Path(corpus).stem}")
    return name, sources, titles


def load(folder: Path, split: str = "test", corpus: str = "corpus.jsonl") -> BeirSet:
    """Read a BEIR folder; qrels naming unknown queries or documents are dropped and counted."""
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder")
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        found = sorted(p.stem for p in (folder / "qrels").glob("*.tsv"))
        raise UsageError(f"{qrels_path}: no such split" + (f" (splits here: {', '.join(found)})" if found else ""))
    name, sources, titles = load_corpus(folder, corpus)
    all_queries = {str(row["_id"]): str(row.get("text") or "") for _, row in _rows(folder / "queries.jsonl")}
    raw = read_qrels(qrels_path)
    notes = []
    unknown_q = sorted(set(raw) - set(all_queries))
    if unknown_q:
        notes.append(f"{len(unknown_q)} judged query id(s) not in queries.jsonl were dropped")
    unknown_d = {d for units in raw.values() for d in units} - set(titles)
    if unknown_d:
        notes.append(f"{len(unknown_d)} judged document id(s) not in {corpus} were dropped")
    qrels = {q: {d: r for d, r in units.items() if d in titles} for q, units in raw.items() if q in all_queries}
    qrels = {q: units for q, units in qrels.items() if any(r > 0 for r in units.values())}
    empty = [q for q in qrels if not all_queries[q].strip()]
    if empty:
        notes.append(f"{len(empty)} judged query(ies) with empty text were dropped")
        qrels = {q: u for q, u in qrels.items() if q not in empty}
    if not qrels:
        raise QuarryError(f"{qrels_path}: no query has a relevant document in {corpus}")
    return BeirSet(name, split, sources, titles, {q: all_queries[q] for q in qrels}, qrels, tuple(notes))
