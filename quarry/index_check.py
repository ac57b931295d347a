"""The full check of a build: every file's hash, every table row, and the files against each other.

Run after every build (indexer/store.finish) and by `quarry index --check`; opening an index does the
cheaper part (sizes and hashes, search/index.py) so that a search starts in O(1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from quarry import index_format as fmt
from quarry import index_tables
from quarry.errors import IndexCorrupt


def verify_build(folder: Path) -> dict[str, Any]:
    """Check a build folder in full; returns its counts, or raises IndexCorrupt with one line saying what to do."""
    manifest = fmt.read_manifest(folder, every_file=True)
    fix = fmt.rebuild_hint(folder)
    try:
        chunks = index_tables.check_tables(folder)
        vectors = np.load(folder / fmt.VECTORS, mmap_mode="r", allow_pickle=False)
        for field in fmt.BM25_FIELDS:
            _check_matrix(folder, field, chunks)
        documents = len(index_tables.document_ids(folder))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise IndexCorrupt(f"index at {folder} cannot be read ({e}): {fix}") from None
    if vectors.ndim != 2 or vectors.shape[0] != chunks or manifest["counts"]["chunks"] != chunks \
            or manifest["counts"]["documents"] != documents:
        raise IndexCorrupt(f"index at {folder} is inconsistent (chunks, vectors and manifest counts differ): {fix}")
    import faiss

    try:
        dense = faiss.read_index(str(folder / fmt.DENSE))
    except (OSError, RuntimeError):
        raise IndexCorrupt(f"index file {fmt.DENSE} cannot be read: {fix}") from None
    if dense.ntotal != chunks:
        raise IndexCorrupt(f"index at {folder} is inconsistent ({fmt.DENSE} holds {dense.ntotal} vectors for {chunks} chunks): {fix}")
    return {"documents": documents, "chunks": chunks, "files": len(manifest["files"]),
            "bytes": sum(m["bytes"] for m in manifest["files"].values())}


def _check_matrix(folder: Path, field: str, rows: int) -> None:
    names = fmt.bm25_files(field)
    data, indices, indptr = (np.load(folder / name, mmap_mode="r", allow_pickle=False) for name in names[:3])
    vocab = json.loads((folder / names[3]).read_text(encoding="utf-8"))
    if len(indptr) != len(vocab) + 1 or len(data) != len(indices) or int(indptr[-1]) != len(indices) \
            or bool(np.any(np.diff(indptr) < 0)) or (len(indices) and (int(indices.min()) < 0 or int(indices.max()) >= rows)):
        raise ValueError(f"BM25 field {field} is inconsistent")
