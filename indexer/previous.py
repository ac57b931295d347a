"""The previous build of an index, read for reuse: unchanged documents keep their chunks, known text its vector."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from quarry import index_format as fmt
from quarry.errors import IndexCorrupt, IndexMissing
from quarry.jsonl import read_jsonl


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
    except (IndexMissing, IndexCorrupt):
        return PreviousBuild()
    docs: dict[str, dict[str, Any]] = {}
    for _, rec in read_jsonl(folder / fmt.DOCUMENTS):
        rec["chunks"] = []
        docs[rec["doc_id"]] = rec
    vectors = np.load(folder / fmt.VECTORS, mmap_mode="r", allow_pickle=False)
    by_hash: dict[str, np.ndarray] = {}
    for row, (_, rec) in enumerate(read_jsonl(folder / fmt.CHUNKS)):
        docs[rec["doc_id"]]["chunks"].append(rec)
        if manifest["model"]["id"] == model_id:
            by_hash[rec["embed_hash"]] = vectors[row]
    return PreviousBuild(manifest, docs, by_hash)
