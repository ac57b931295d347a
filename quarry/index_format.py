"""The on-disk index format shared by the indexer (writer) and search (reader).

An index directory holds `builds/<id>/` folders of plain files and a `current` symlink to the
complete one. A build is written in full, checksummed into its manifest, and only then made
current by an atomic symlink swap, so readers never see a half-written index.

Files of a build:
  manifest.json     schema version, model id, settings, documents, counts, file checksums
  documents.*       the documents as tables (quarry/index_tables.py): every DocInfo as JSON columns; each
                    document's record (sections, page marks, content hash) and normalised text by row
  chunks.*          the chunks as tables: the document row and heading row of each chunk (numpy; each distinct
                    heading once in chunks.headings), each chunk's record
                    (Chunk fields and embedding-text hash) and verbatim text by row, decoded only when asked for
  vectors.npy       float32 (n_chunks, dim) unit vectors, row i = chunk i
  dense.faiss       FAISS inner-product index over vectors.npy
  bm25.*.npy        BM25 term-weight matrix in CSC arrays (passage text; a section's heading path on its first
                    chunk only); bm25.vocab.json its columns
  bm25.meta.*       the same for the document fields (title, authority, period, type) of each chunk
  glossary.json     acronyms the documents define {acronym: expansion}, for query expansion

Damage detection: the manifest holds each file's size and xxh3-64 hash. Opening checks every size and every
hash but dense.faiss's (~100 ms at 100,000 chunks); dense.faiss is hashed when first read. `verify_build`
(after every build, and `quarry index --check`) hashes every file and reads every table row once.
"""

from __future__ import annotations

import json
import mmap
from pathlib import Path
from typing import Any

from quarry.errors import IndexCorrupt, IndexMissing

SCHEMA_VERSION = 3  # 3: a heading column beside the chunk tables; 2: documents and chunks as memory-mapped tables,
# xxh3 file hashes; 1: JSON lines, sha256. An older build is refused at open and reused by the build that replaces it.
MANIFEST = "manifest.json"
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


HASHED_WHEN_READ = (DENSE,)  # files whose hash is checked when they are first read, not at open


def file_hash(path: Path) -> str:
    """xxh3-64 of a file's bytes (hex): ~5 GB/s, so checking a 100,000-chunk index at open costs ~100 ms."""
    import xxhash

    with path.open("rb") as f:
        if path.stat().st_size == 0:
            return xxhash.xxh3_64(b"").hexdigest()
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return xxhash.xxh3_64(data).hexdigest()


def rebuild_hint(folder: Path) -> str:
    return f"rebuild it with `quarry index --index {folder.parent.parent if folder.parent.name == BUILDS else folder}`"


def damaged(folder: Path, name: str) -> IndexCorrupt:
    return IndexCorrupt(f"index file {name} fails its checksum (truncated or altered): {rebuild_hint(folder)}")


def check_file(folder: Path, manifest: dict[str, Any], name: str) -> None:
    """One file's size and hash against the manifest (IndexCorrupt if either differs)."""
    meta = manifest.get("files", {}).get(name)
    path = folder / name
    if meta is None or not path.is_file():
        raise IndexCorrupt(f"index file {name} is missing: {rebuild_hint(folder)}")
    if path.stat().st_size != meta["bytes"] or file_hash(path) != meta["xxh3_64"]:
        raise damaged(folder, name)


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


def read_manifest(folder: Path, verify: bool = True, every_file: bool = False, schema: int = SCHEMA_VERSION) -> dict[str, Any]:
    """Load and check a build's manifest and every file's size; with `verify`, the hash of every file but
    those hashed when read (HASHED_WHEN_READ), or with `every_file` of those too. `schema`: the version
    expected (an older one only where a build is read for reuse)."""
    fix = rebuild_hint(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexMissing(f"no index at {folder}: {fix}") from None
    except (OSError, ValueError):
        raise IndexCorrupt(f"index manifest {folder / MANIFEST} is unreadable: {fix}") from None
    if manifest.get("schema_version") != schema:
        raise IndexCorrupt(f"index at {folder} has schema {manifest.get('schema_version')}, this quarry reads {schema}: {fix}")
    for name, meta in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file():
            raise IndexCorrupt(f"index file {name} is missing: {fix}")
        if path.stat().st_size != meta["bytes"]:
            raise damaged(folder, name)
        if (verify and name not in HASHED_WHEN_READ) or every_file:
            if file_hash(path) != meta["xxh3_64"]:
                raise damaged(folder, name)
    return manifest
