"""The on-disk index format shared by the indexer (writer) and search (reader).

An index directory holds `builds/<id>/` folders of plain files and a `current` symlink to the
complete one. A build is written in full, checksummed into its manifest, and only then made
current by an atomic symlink swap, so readers never see a half-written index.

Files of a build:
  manifest.json     schema version, model id, settings, documents, counts, file checksums
  documents.jsonl   one DocInfo per line plus the normalised text and page marks
  chunks.jsonl      one Chunk per line plus its embedding-text hash
  vectors.npy       float32 (n_chunks, dim) unit vectors, row i = chunk i
  dense.faiss       FAISS inner-product index over vectors.npy
  bm25.*.npy        BM25 term-weight matrix in CSC arrays (passage text; a section's heading path on its first
                    chunk only); bm25.vocab.json its columns
  bm25.meta.*       the same for the document fields (title, authority, period, type) of each chunk
  glossary.json     acronyms the documents define {acronym: expansion}, for query expansion
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from quarry.errors import IndexCorrupt, IndexMissing

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
DOCUMENTS = "documents.jsonl"
CHUNKS = "chunks.jsonl"
VECTORS = "vectors.npy"
DENSE = "dense.faiss"
GLOSSARY = "glossary.json"
BM25_FIELDS = ("text", "meta")  # passage text with its heading path; document title/authority/period/type


def bm25_files(field: str) -> tuple[str, str, str, str]:
    """data, indices, indptr (.npy) and vocabulary (.json) file names of one BM25 field."""
    prefix = "bm25" if field == "text" else f"bm25.{field}"
    return (f"{prefix}.data.npy", f"{prefix}.indices.npy", f"{prefix}.indptr.npy", f"{prefix}.vocab.json")
CURRENT = "current"
BUILDS = "builds"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def build_dir(index: Path) -> Path:
    """The folder of the current build of an index (or the index itself if it is a build)."""
    if (index / MANIFEST).is_file():
        return index
    current = index / CURRENT
    if current.is_symlink() or current.is_dir():
        target = current.resolve()
        if (target / MANIFEST).is_file():
            return target
    raise IndexMissing(f"no index at {index}: build one with `quarry index [PATH ...] --index {index}`")


def read_manifest(folder: Path, verify: bool = True) -> dict[str, Any]:
    """Load and check a build's manifest; with `verify`, every file's size and sha256 too."""
    fix = f"rebuild it with `quarry index --index {folder.parent.parent if folder.parent.name == BUILDS else folder}`"
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexMissing(f"no index at {folder}: {fix}") from None
    except (OSError, ValueError):
        raise IndexCorrupt(f"index manifest {folder / MANIFEST} is unreadable: {fix}") from None
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise IndexCorrupt(f"index at {folder} has schema {manifest.get('schema_version')}, this quarry reads {SCHEMA_VERSION}: {fix}")
    for name, meta in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file():
            raise IndexCorrupt(f"index file {name} is missing: {fix}")
        if path.stat().st_size != meta["bytes"] or (verify and sha256_file(path) != meta["sha256"]):
            raise IndexCorrupt(f"index file {name} fails its checksum (truncated or altered): {fix}")
    return manifest
