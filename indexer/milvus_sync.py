"""Milvus sync from the finished local build: upsert documents whose content changed, delete removed ones.

`quarry index --backend milvus` builds the local index as always (read, normalise, sections, chunks,
embed; unchanged documents and vectors reused), then copies it to Milvus. A document is rewritten in
Milvus only when its sync hash (its content hash + the model + the chunking settings) differs from
the one stored there, so re-indexing an unchanged corpus writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from indexer.views import bm25_texts
from quarry import index_format as fmt
from quarry import milvus_layout as mv
from quarry.errors import QuarryError
from quarry.index_tables import content_hashes, read_records
from quarry.settings import Settings

BATCH = 500


@dataclass
class SyncSummary:
    uri: str
    collection: str
    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    chunks_written: int = 0
    recreated: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def line(self) -> str:
        return (f"milvus: {self.uri} ({self.collection}): {len(self.written)} document(s) written "
                f"({self.chunks_written} chunks), {len(self.deleted)} deleted, {self.unchanged} unchanged"
                + (", collections recreated" if self.recreated else "") + f" in {self.seconds:.1f}s")


def sync_hash(content_hash: str, manifest: dict[str, Any]) -> str:
    """What a document's Milvus rows depend on: its content, the model and the chunking settings."""
    key = json.dumps([content_hash, manifest["model"]["id"], manifest["settings"]["chunking"]], sort_keys=True)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _layout(manifest: dict[str, Any]) -> dict[str, Any]:
    """Collection-level facts: a change means dropping and recreating the collections."""
    return {"schema": mv.SCHEMA, "model": manifest["model"]["id"], "dim": manifest["model"]["dim"],
            "lexical": manifest["settings"]["lexical"], "headings": "first chunk of a section"}


def sync(index: Path, settings: Settings, progress: Any = None) -> SyncSummary:
    """Make the Milvus collections match the current local build of `index` (progress: a Reporter or a callable)."""
    say: Callable[[str], None] = getattr(progress, "note", progress) or (lambda msg: None)
    t0 = time.perf_counter()
    folder = fmt.build_dir(index)
    manifest = fmt.read_manifest(folder, verify=True)
    client = mv.connect(settings)
    n = mv.names(settings)
    summary = SyncSummary(settings.milvus_uri, settings.milvus_collection)
    try:
        layout = _layout(manifest)
        exists = all(client.has_collection(c) for c in n.values())
        if exists:
            client.load_collection(n["meta"])
            if mv.read_json(client, n["meta"], 'doc_id == "layout"').get("layout") != layout:
                exists = False
        if not exists:
            for c in n.values():
                if client.has_collection(c):
                    client.drop_collection(c)
            mv.create_collections(client, settings, manifest["model"]["dim"])
            summary.recreated = True
        for c in n.values():
            client.load_collection(c)
        stored = {r["doc_id"]: r["sync_hash"] for r in mv.query_all(client, n["docs"], ["doc_id", "sync_hash"], "piece == 0")}
        wanted = {d: sync_hash(h, manifest) for d, h in content_hashes(folder).items()}
        todo = {d for d, h in wanted.items() if stored.get(d) != h}
        gone = set(stored) - set(wanted)
        summary.unchanged = len(wanted) - len(todo)
        if todo or gone:
            stale = sorted(todo | gone)
            for start in range(0, len(stale), BATCH):  # old rows of changed and removed documents
                expr = mv.doc_filter(set(stale[start:start + BATCH]))
                client.delete(n["chunks"], filter=expr)
                client.delete(n["docs"], filter=expr)
        if todo:
            say(f"writing {len(todo)} document(s) to Milvus")
            vectors = np.load(folder / fmt.VECTORS, mmap_mode="r", allow_pickle=False)
            infos: dict[str, dict[str, Any]] = {}
            doc_records, chunk_records = read_records(folder)
            for rec in doc_records:
                if rec["doc_id"] in todo:
                    infos[rec["doc_id"]] = rec
                    client.insert(n["docs"], mv.doc_rows(rec["doc_id"], rec, wanted[rec["doc_id"]]))
            batch: list[dict[str, Any]] = []
            seq: dict[str, int] = {}
            previous: list[dict[str, Any]] = []
            for row, rec in enumerate(chunk_records):
                d = rec["doc_id"]
                lexical = bm25_texts(previous[-1:] + [rec])[-1]  # the local BM25's rule: a heading on its first chunk
                previous = [rec]
                if d not in todo:
                    continue
                batch.append(mv.chunk_row(rec, seq.get(d, 0), infos[d], vectors[row], lexical))
                seq[d] = seq.get(d, 0) + 1
                if len(batch) >= BATCH:
                    client.insert(n["chunks"], batch)
                    summary.chunks_written += len(batch)
                    batch = []
            if batch:
                client.insert(n["chunks"], batch)
                summary.chunks_written += len(batch)
        glossary_file = folder / fmt.GLOSSARY
        glossary = json.loads(glossary_file.read_text(encoding="utf-8")) if glossary_file.is_file() else {}
        meta = {"manifest": manifest, "glossary": glossary, "layout": layout,
                "stamp": {"build": folder.name, "synced_at": time.time()}}  # written last: readers reopen on a new stamp
        if not (todo or gone or summary.recreated):
            meta.pop("stamp")
        client.delete(n["meta"], filter='doc_id in ["manifest", "glossary"]')
        client.insert(n["meta"], [row for k, v in meta.items() if k not in ("layout", "stamp") or summary.recreated
                                  for row in mv.meta_rows(k, v)])
        if "stamp" in meta:
            client.upsert(n["meta"], [mv.stamp_row(meta["stamp"])])
        try:
            client.flush(n["chunks"])
        except Exception:  # flush is optional (Milvus Lite persists on write)
            pass
    except QuarryError:
        raise
    except Exception as e:
        raise QuarryError(f"could not write to Milvus at {settings.milvus_uri}: {mv.reason(e)}") from None
    summary.written = sorted(todo)
    summary.deleted = sorted(gone)
    summary.seconds = time.perf_counter() - t0
    return summary
