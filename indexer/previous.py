"""The previous build of an index, read for reuse: unchanged documents keep their chunks, known text its vector."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from quarry import index_format as fmt
from quarry.errors import IndexCorrupt, IndexMissing, QuarryError
from quarry.index_tables import TableDamaged, read_records
from quarry.jsonl import read_jsonl

LEGACY_SCHEMA = 1  # documents.jsonl + chunks.jsonl, sha256: read here only so an upgrade re-embeds nothing
TABLES_SCHEMA = 2  # the current tables without the heading column: read by the current reader, for reuse only


@dataclass
class PreviousBuild:
    manifest: dict[str, Any] | None = None  # None: no usable previous build
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)  # document records by id, each with its "chunks"
    vectors: dict[str, np.ndarray] = field(default_factory=dict)  # by embed hash; only for the same model


def load_previous(index: Path, model_id: str) -> PreviousBuild:
    """The current build of `index` if it is intact (checksums verified), else an empty PreviousBuild."""
    try:
        folder = fmt.build_dir(index)
        manifest = fmt.read_manifest(folder, verify=True)
    except IndexMissing:
        return PreviousBuild()
    except IndexCorrupt:
        try:  # an older build: never up to date (so never kept as it is), its documents are re-chunked
            manifest = fmt.read_manifest(folder, verify=True, schema=TABLES_SCHEMA)
            manifest["settings"] = {**manifest["settings"], "indexer_code": None}
        except IndexCorrupt:
            return _legacy(folder, model_id)
    try:
        doc_records, chunk_records = read_records(folder)
        return _reuse(manifest, folder, doc_records, chunk_records, model_id)
    except (TableDamaged, OSError, ValueError, KeyError):
        return PreviousBuild()


def _reuse(manifest: dict[str, Any], folder: Path, doc_records: Iterable[dict[str, Any]],
           chunk_records: Iterable[dict[str, Any]], model_id: str) -> PreviousBuild:
    """Documents with their chunks, and (same model only) each chunk's vector by its embed hash."""
    docs: dict[str, dict[str, Any]] = {}
    for rec in doc_records:
        rec["chunks"] = []
        docs[rec["doc_id"]] = rec
    vectors = np.load(folder / fmt.VECTORS, mmap_mode="r", allow_pickle=False)
    by_hash: dict[str, np.ndarray] = {}
    for row, rec in enumerate(chunk_records):
        docs[rec["doc_id"]]["chunks"].append(rec)
        if manifest["model"]["id"] == model_id:
            by_hash[rec["embed_hash"]] = vectors[row]
    return PreviousBuild(manifest, docs, by_hash)


def _legacy(folder: Path, model_id: str) -> PreviousBuild:
    """A schema-1 build (JSON lines, sha256 per file), if intact: its documents and vectors are reused once,
    by the build that replaces it; anything else that fails its checks is no previous build at all."""
    try:
        manifest = json.loads((folder / fmt.MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("schema_version") != LEGACY_SCHEMA:
            return PreviousBuild()
        for name, meta in manifest["files"].items():
            path = folder / name
            if path.stat().st_size != meta["bytes"] or _sha256(path) != meta["sha256"]:
                return PreviousBuild()
        # never up to date (so never kept as it is): its documents are re-chunked into the current format
        manifest["settings"] = {**manifest["settings"], "indexer_code": None}
        doc_records = (rec for _, rec in read_jsonl(folder / "documents.jsonl"))
        chunk_records = (rec for _, rec in read_jsonl(folder / "chunks.jsonl"))
        return _reuse(manifest, folder, doc_records, chunk_records, model_id)
    except (QuarryError, OSError, ValueError, KeyError, TypeError):
        return PreviousBuild()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
