"""The documents and chunks of a build as columns that open in O(1) and decode one row at a time.

A table of strings is one UTF-8 blob (`<name>.bin`) and its int64 row offsets (`<name>.offsets.npy`, n + 1
entries), both memory-mapped: opening reads nothing, row i is `blob[offsets[i]:offsets[i + 1]]` decoded when
asked for. A table of records is a table of strings holding one JSON object per row (never pickle).

What every search needs for every row is a numpy column (`chunks.doc.npy`: the document row of each chunk);
texts and the rest of each chunk's record are decoded only for the rows a search returns. The per-document
fields of a document (`DocInfo`) are a table of records too, decoded when a document is first asked for;
what query interpretation needs of every document (which documents have each authority, document type and
year) is computed at build time into one small JSON file (`documents.facets.json`). A document's text,
sections and page marks are decoded when one is shown or checked.

Over 350 lines because the writer, the readers and the full check of one format belong together: a change
to the layout is made, read and checked in this one file.
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from quarry.records import Chunk, DocInfo

DOC_IDS = "documents.ids.json"  # [doc_id per document]
DOC_INFO = "documents.info"  # JSON per document: its DocInfo
DOC_FACETS = "documents.facets.json"  # {"authority"|"doc_type"|"year": {value: [document rows]}}
DOC_RECORDS = "documents.records"  # JSON per document: its record without the text
DOC_TEXT = "documents.text"  # the normalised text per document
CHUNK_DOC = "chunks.doc.npy"  # int32 document row of each chunk
CHUNK_RECORDS = "chunks.records"  # JSON per chunk: Chunk fields but text and doc_id, plus embed_hash
CHUNK_TEXT = "chunks.text"  # the verbatim text per chunk
CHUNK_HEADING = "chunks.heading.npy"  # int32 row in CHUNK_HEADINGS of each chunk's heading
CHUNK_HEADINGS = "chunks.headings"  # each distinct heading (a chunk's heading path joined, else its own heading)
STRING_TABLES = (DOC_INFO, DOC_RECORDS, DOC_TEXT, CHUNK_RECORDS, CHUNK_TEXT, CHUNK_HEADINGS)
FACETS = ("authority", "year", "doc_type")


def table_files(name: str) -> tuple[str, str]:
    """Blob and offsets file names of a string table."""
    return f"{name}.bin", f"{name}.offsets.npy"


class TableDamaged(ValueError):
    """A table's files disagree with each other (a truncated or altered file that slipped past its size)."""


@dataclass
class StoredDoc:
    """One document of an index: its metadata, normalised text, sections and page marks."""

    info: DocInfo
    text: str
    sections: list[dict[str, Any]]
    page_marks: list[list[int]]


# Writing -------------------------------------------------------------------------------------------------


def write_strings(folder: Path, name: str, items: Iterable[str]) -> None:
    """Write a string table, streaming (the blob is never held whole in memory)."""
    blob, offsets_name = table_files(name)
    offsets = [0]
    with (folder / blob).open("wb") as f:
        for item in items:
            data = item.encode("utf-8", "surrogatepass")
            f.write(data)
            offsets.append(offsets[-1] + len(data))
    with (folder / offsets_name).open("wb") as f:
        np.save(f, np.asarray(offsets, dtype=np.int64), allow_pickle=False)


def _json(row: Mapping[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def write_tables(folder: Path, records: list[dict[str, Any]], chunk_rows: list[dict[str, Any]]) -> None:
    """The document and chunk tables of a build: `records` as documents.jsonl held them (with "text"),
    `chunk_rows` as chunks.jsonl did (Chunk fields plus "embed_hash"), both in index order."""
    doc_row = {r["doc_id"]: i for i, r in enumerate(records)}
    infos = [DocInfo.from_dict(r) for r in records]
    (folder / DOC_IDS).write_text(json.dumps([i.doc_id for i in infos], ensure_ascii=False), encoding="utf-8")
    write_strings(folder, DOC_INFO, (_json(i.to_dict()) for i in infos))
    facets = DocFacets.of_infos({i.doc_id: i for i in infos})
    (folder / DOC_FACETS).write_text(json.dumps({name: {str(v): rows.tolist() for v, rows in table.items()}
                                                 for name, table in facets.rows.items()}, ensure_ascii=False), encoding="utf-8")
    write_strings(folder, DOC_RECORDS, (_json({k: v for k, v in r.items() if k != "text"}) for r in records))
    write_strings(folder, DOC_TEXT, (r["text"] for r in records))
    with (folder / CHUNK_DOC).open("wb") as f:
        np.save(f, np.asarray([doc_row[c["doc_id"]] for c in chunk_rows], dtype=np.int32), allow_pickle=False)
    write_strings(folder, CHUNK_RECORDS, (_json({k: v for k, v in c.items() if k not in ("text", "doc_id")}) for c in chunk_rows))
    write_strings(folder, CHUNK_TEXT, (c["text"] for c in chunk_rows))
    distinct: dict[str, int] = {}
    heading_ids = [distinct.setdefault(heading_of(c), len(distinct)) for c in chunk_rows]
    with (folder / CHUNK_HEADING).open("wb") as f:
        np.save(f, np.asarray(heading_ids, dtype=np.int32), allow_pickle=False)
    write_strings(folder, CHUNK_HEADINGS, distinct)


def heading_of(chunk: Mapping[str, Any]) -> str:
    """What the candidate features read as a chunk's heading: its heading path joined, else its own heading."""
    return " ".join(chunk.get("heading_path") or ()) or chunk.get("heading", "")


# Reading -------------------------------------------------------------------------------------------------


class Strings(Sequence[str]):
    """A string table read through a memory map: nothing is read until a row is asked for."""

    def __init__(self, folder: Path, name: str):
        blob, offsets_name = table_files(name)
        # np.asarray: a plain array over the same memory map (numpy.memmap's own indexing costs ~3 us a row)
        self.offsets = np.asarray(np.load(folder / offsets_name, mmap_mode="r", allow_pickle=False))
        if self.offsets.ndim != 1 or len(self.offsets) < 1:
            raise TableDamaged(f"{offsets_name} is not a list of offsets")
        size = (folder / blob).stat().st_size
        if int(self.offsets[-1]) != size:
            raise TableDamaged(f"{blob} holds {size} bytes, its offsets say {int(self.offsets[-1])}")
        if size:
            with (folder / blob).open("rb") as f:
                self._blob: Any = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        else:
            self._blob = b""

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, row: int) -> str:  # type: ignore[override]
        if not -len(self) <= row < len(self):
            raise IndexError(row)
        row %= len(self)
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        if not 0 <= start <= end:
            raise TableDamaged(f"row {row} has offsets {start}..{end}")
        return self._blob[start:end].decode("utf-8", "surrogatepass")

    def many(self, rows: Sequence[int]) -> list[str]:
        """Several rows at once: their offsets read in one numpy step (what a query's candidates cost)."""
        at = np.asarray(rows, dtype=np.int64)
        if len(at) and (int(at.min()) < 0 or int(at.max()) >= len(self)):
            raise IndexError(f"rows outside 0..{len(self) - 1}")
        starts, ends = self.offsets[at].tolist(), self.offsets[at + 1].tolist()
        blob = self._blob
        return [blob[a:b].decode("utf-8", "surrogatepass") if 0 <= a <= b else _bad(a, b) for a, b in zip(starts, ends)]

    def check(self) -> None:
        """Every row's offsets in order and every row valid UTF-8 (the full check; reads the whole blob)."""
        if int(self.offsets[0]) != 0 or (len(self.offsets) > 1 and bool(np.any(np.diff(self.offsets) < 0))):
            raise TableDamaged("offsets out of order")
        bytes(self._blob[:]).decode("utf-8", "surrogatepass")


def _bad(start: int, end: int) -> str:
    raise TableDamaged(f"a row has offsets {start}..{end}")


class Records(Sequence[dict[str, Any]]):
    """A table of JSON objects, decoded one row at a time."""

    def __init__(self, strings: Strings):
        self.strings = strings

    def __len__(self) -> int:
        return len(self.strings)

    def __getitem__(self, row: int) -> dict[str, Any]:  # type: ignore[override]
        try:
            return json.loads(self.strings[row])
        except ValueError:
            raise TableDamaged(f"row {row} is not a JSON object") from None


def _chunk(doc_id: str, text: str, record: dict[str, Any]) -> Chunk:
    return Chunk.from_dict({**record, "doc_id": doc_id, "text": text})


class ChunkTable(Sequence[Chunk]):
    """The chunks of an index, row i = vector i; a row becomes a Chunk only when asked for.

    Backed by a build's memory-mapped tables (`open`) or by Chunks already in memory (`of_chunks`, Milvus);
    the document of every row is a numpy column either way, so per-document masks cost no decoding.
    """

    def __init__(self, doc_rows: np.ndarray, doc_ids: Sequence[str], texts: Sequence[str],
                 records: Sequence[dict[str, Any]], heading_rows: np.ndarray, headings: Sequence[str],
                 chunks: Sequence[Chunk] | None = None):
        self.doc_rows = np.asarray(doc_rows)  # (n,) int: index into doc_ids (a memory map, read as a plain array)
        self.doc_ids = doc_ids  # every document of the index, in table order
        self.texts = texts
        self.records = records
        self.heading_rows = np.asarray(heading_rows)  # (n,) int: index into headings
        self.headings = headings  # each distinct heading once
        self._chunks = chunks
        self._heading: dict[int, str] = {}

    @classmethod
    def open(cls, folder: Path, doc_ids: Sequence[str]) -> "ChunkTable":
        doc_rows = np.load(folder / CHUNK_DOC, mmap_mode="r", allow_pickle=False)
        heading_rows = np.load(folder / CHUNK_HEADING, mmap_mode="r", allow_pickle=False)
        table = cls(doc_rows, doc_ids, Strings(folder, CHUNK_TEXT), Records(Strings(folder, CHUNK_RECORDS)),
                    heading_rows, Strings(folder, CHUNK_HEADINGS))
        if not (len(doc_rows) == len(table.texts) == len(table.records) == len(heading_rows)):
            raise TableDamaged("the chunk tables differ in length")
        return table

    @classmethod
    def of_chunks(cls, chunks: Sequence[Chunk]) -> "ChunkTable":
        doc_ids = sorted({c.doc_id for c in chunks})
        at = {d: i for i, d in enumerate(doc_ids)}
        doc_rows = np.asarray([at[c.doc_id] for c in chunks], dtype=np.int32)
        distinct: dict[str, int] = {}
        heading_rows = np.asarray([distinct.setdefault(heading_of(c.to_dict()), len(distinct)) for c in chunks], dtype=np.int32)
        return cls(doc_rows, doc_ids, [c.text for c in chunks], [], heading_rows, list(distinct), list(chunks))

    def __len__(self) -> int:
        return len(self.doc_rows)

    def __getitem__(self, row: int) -> Chunk:  # type: ignore[override]
        if self._chunks is not None:
            return self._chunks[row]
        return _chunk(self.doc_id(row), self.texts[row], self.records[row])

    def __iter__(self) -> Iterator[Chunk]:
        for row in range(len(self)):
            yield self[row]

    def text(self, row: int) -> str:
        return self.texts[row]

    def doc_id(self, row: int) -> str:
        return self.doc_ids[int(self.doc_rows[row])]

    def doc_ids_of(self, rows: Sequence[int]) -> list[str]:
        """The document ids of several rows."""
        ids = self.doc_ids
        return [ids[i] for i in self.doc_rows[np.asarray(rows, dtype=np.int64)].tolist()]

    def texts_of(self, rows: Sequence[int]) -> list[str]:
        """The texts of several rows (one offsets read for all of them on disk)."""
        if isinstance(self.texts, Strings):
            return self.texts.many(rows)
        return [self.texts[r] for r in rows]

    def heading(self, row: int) -> str:
        """A chunk's heading path joined (its own heading when it has no path), from the heading column: what
        the candidate features read of thousands of rows, without decoding a record for each."""
        return self.headings_of([row])[0]

    def headings_of(self, rows: Sequence[int]) -> list[str]:
        """The headings of several rows; each distinct heading is decoded once per table."""
        ids = self.heading_rows[np.asarray(rows, dtype=np.int64)].tolist()
        done = self._heading
        for i in set(ids).difference(done):
            done[i] = self.headings[i]
        return [done[i] for i in ids]

    def record(self, row: int) -> dict[str, Any]:
        """A chunk as chunks.jsonl held it: its fields with the text, doc_id and embed hash."""
        return {**self.records[row], "doc_id": self.doc_id(row), "text": self.texts[row]}

    def doc_id_of_rows(self) -> list[str]:
        """The document id of every row (a list of n references; no decoding)."""
        ids = list(self.doc_ids)
        return [ids[i] for i in self.doc_rows.tolist()]

    @cached_property
    def present(self) -> frozenset[str]:
        """The documents with at least one chunk."""
        rows = np.unique(self.doc_rows)
        if len(rows) == len(self.doc_ids):
            return frozenset(self.doc_ids)
        ids = list(self.doc_ids)
        return frozenset(ids[i] for i in rows.tolist())

    @cached_property
    def _by_doc(self) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
        order = np.argsort(self.doc_rows, kind="stable")
        bounds = np.searchsorted(self.doc_rows[order], np.arange(len(self.doc_ids) + 1))
        return {d: i for i, d in enumerate(self.doc_ids)}, order.astype(np.int64), bounds

    def rows_of(self, doc_id: str) -> np.ndarray:
        """The chunk rows of one document, in order (empty for an unknown document)."""
        at, order, bounds = self._by_doc
        i = at.get(doc_id)
        return order[bounds[i]:bounds[i + 1]] if i is not None else np.zeros(0, dtype=np.int64)

    def mask_of(self, doc_ids: Iterable[str]) -> np.ndarray:
        """A boolean row mask: the chunks of the given documents (unknown ids are ignored)."""
        at = self._by_doc[0]
        wanted = np.zeros(len(self.doc_ids), dtype=bool)
        wanted[[at[d] for d in doc_ids if d in at]] = True
        return wanted[self.doc_rows]

    @cached_property
    def _row_by_id(self) -> dict[str, int]:
        if self._chunks is not None:
            return {c.chunk_id: i for i, c in enumerate(self._chunks)}
        return {rec["chunk_id"]: i for i, rec in enumerate(self.records)}

    def row_of(self, chunk_id: str) -> int | None:
        """The row of a chunk id (the id map is built on the first call: it decodes every record)."""
        return self._row_by_id.get(chunk_id)


@dataclass(frozen=True)
class DocFacets:
    """Which documents (rows of `ids`) have each authority, document type and year: what query
    interpretation matches against, without a DocInfo per document."""

    ids: list[str]
    rows: dict[str, dict[Any, np.ndarray]]  # facet -> value -> document rows

    @classmethod
    def of_infos(cls, infos: Mapping[str, DocInfo]) -> "DocFacets":
        by: dict[str, dict[Any, list[int]]] = {name: {} for name in FACETS}
        for row, info in enumerate(infos.values()):
            values = {"authority": [info.authority] if info.authority else [], "doc_type": [info.doc_type] if info.doc_type else [],
                      "year": sorted(set(info.years or ((info.year,) if info.year else ())))}
            for name, found in values.items():
                for value in found:
                    by[name].setdefault(value, []).append(row)
        return cls(list(infos), {name: {v: np.asarray(r, dtype=np.int64) for v, r in table.items()} for name, table in by.items()})

    @classmethod
    def open(cls, folder: Path, ids: list[str]) -> "DocFacets":
        stored = json.loads((folder / DOC_FACETS).read_text(encoding="utf-8"))
        rows = {name: {(int(v) if name == "year" else v): np.asarray(r, dtype=np.int64) for v, r in stored[name].items()}
                for name in FACETS}
        if any(len(r) and (int(r.min()) < 0 or int(r.max()) >= len(ids)) for table in rows.values() for r in table.values()):
            raise TableDamaged(f"{DOC_FACETS} names a document that is not in the index")
        return cls(ids, rows)


class DocInfos(Mapping[str, DocInfo]):
    """Every document's DocInfo by id, each decoded from its row when first asked for."""

    def __init__(self, ids: list[str], records: Sequence[dict[str, Any]]):
        self.ids = ids
        self._row = {d: i for i, d in enumerate(ids)}
        if len(self._row) != len(ids):
            raise TableDamaged("two documents share one id")
        self.records = records
        self._done: dict[str, DocInfo] = {}

    def __getitem__(self, doc_id: str) -> DocInfo:
        info = self._done.get(doc_id)
        if info is None:
            info = self._done[doc_id] = DocInfo.from_dict(self.records[self._row[doc_id]])
        return info

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._row

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)


class DocTable(Mapping[str, StoredDoc]):
    """The documents of an index by id: `infos` (DocInfo by id, each decoded when first asked for), `facets`
    (for query interpretation); text and sections decoded on demand."""

    def __init__(self, infos: Mapping[str, DocInfo], texts: Sequence[str], records: Sequence[dict[str, Any]],
                 facets: DocFacets, stored: Mapping[str, StoredDoc] | None = None):
        self.infos = infos
        self.texts = texts
        self.records = records
        self.facets = facets
        self._stored = stored
        self.ids = list(infos)
        self._row = {d: i for i, d in enumerate(self.ids)}

    @classmethod
    def open(cls, folder: Path) -> "DocTable":
        ids = json.loads((folder / DOC_IDS).read_text(encoding="utf-8"))
        infos = DocInfos(ids, Records(Strings(folder, DOC_INFO)))
        table = cls(infos, Strings(folder, DOC_TEXT), Records(Strings(folder, DOC_RECORDS)), DocFacets.open(folder, ids))
        if not (len(ids) == len(infos.records) == len(table.texts) == len(table.records)):
            raise TableDamaged("the document tables differ in length")
        return table

    @classmethod
    def of_stored(cls, docs: Mapping[str, StoredDoc]) -> "DocTable":
        infos = {d: s.info for d, s in docs.items()}
        return cls(infos, [], [], DocFacets.of_infos(infos), dict(docs))

    def __len__(self) -> int:
        return len(self.infos)

    def __iter__(self) -> Iterator[str]:
        return iter(self.infos)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.infos

    def __getitem__(self, doc_id: str) -> StoredDoc:
        if self._stored is not None:
            return self._stored[doc_id]
        row = self._row[doc_id]
        rec = self.records[row]
        return StoredDoc(self.infos[doc_id], self.texts[row], rec["sections"], rec.get("page_marks") or [])

    def record(self, row: int) -> dict[str, Any]:
        """A document as documents.jsonl held it (with its text)."""
        return {**self.records[row], "text": self.texts[row]}


def read_records(folder: Path) -> tuple[Iterator[dict[str, Any]], Iterator[dict[str, Any]]]:
    """Every document record (with text) and every chunk record (with text, doc_id, embed hash) of a build,
    in index order: what the indexer reuses and Milvus is synced from."""
    docs = DocTable.open(folder)
    doc_rows = np.load(folder / CHUNK_DOC, mmap_mode="r", allow_pickle=False)
    texts, records = Strings(folder, CHUNK_TEXT), Records(Strings(folder, CHUNK_RECORDS))
    if not len(doc_rows) == len(texts) == len(records):
        raise TableDamaged("the chunk tables differ in length")
    ids = list(docs.ids)  # the heading column is not read: a schema-2 build (without it) is read here for reuse
    return ((docs.record(i) for i in range(len(docs))),
            ({**records[i], "doc_id": ids[int(d)], "text": texts[i]} for i, d in enumerate(doc_rows.tolist())))


def document_ids(folder: Path) -> list[str]:
    """The ids of a build's documents, in table order (one small JSON file read)."""
    return json.loads((folder / DOC_IDS).read_text(encoding="utf-8"))


def content_hashes(folder: Path) -> dict[str, str]:
    """Each document's content hash by id (what Milvus is synced by)."""
    records = DocTable.open(folder).records
    return {rec["doc_id"]: rec["content_hash"] for rec in records}


def check_tables(folder: Path) -> int:
    """Open the tables and read every row once (the full check after a build and in `quarry index --check`);
    returns the number of chunks. Raises TableDamaged (or ValueError/KeyError) on anything inconsistent."""
    docs = DocTable.open(folder)
    chunks = ChunkTable.open(folder, docs.ids)
    for table in (docs.texts, docs.records.strings, Strings(folder, DOC_INFO), chunks.texts, chunks.records.strings):
        table.check()
    if len(chunks) and (int(np.min(chunks.doc_rows)) < 0 or int(np.max(chunks.doc_rows)) >= len(docs)):
        raise TableDamaged("a chunk names a document that is not in the index")
    for i, doc_id in enumerate(docs.ids):
        docs.records[i]["sections"]
        if docs.infos[doc_id].doc_id != doc_id:
            raise TableDamaged(f"document row {i} is not {doc_id}")
    chunks.headings.check()  # type: ignore[attr-defined]
    if len(chunks) and (int(np.min(chunks.heading_rows)) < 0 or int(np.max(chunks.heading_rows)) >= len(chunks.headings)):
        raise TableDamaged("a chunk names a heading that is not in the index")
    for i, heading in zip(range(len(chunks)), chunks.headings_of(range(len(chunks)))):
        record = chunks.records[i]
        record["chunk_id"]
        if heading != heading_of(record):
            raise TableDamaged(f"chunk row {i}: its heading column disagrees with its record")
    return len(chunks)
