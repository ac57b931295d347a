"""Vectors of finished embedding batches, kept in `<index>/pending/` until a build is made current.

A build writes each batch here as it returns (in this process or from a cluster worker), so a build
that is interrupted, killed or loses its cluster resumes without embedding those batches again. The
files are plain: `<batch>.npy` (float32, one row per text) and `<batch>.hashes` (the embed hashes, one
a line). An embed hash already names the model (indexer.hashing), so a vector found here is valid for
any later build that asks for the same hash. The hashes file is renamed into place last: a batch
without one was cut short and is ignored.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import numpy as np

PENDING = "pending"


class PendingVectors:
    """The finished batches of the builds of one index that have not been made current yet."""

    def __init__(self, index: Path) -> None:
        self.folder = Path(index) / PENDING

    def load(self) -> dict[str, np.ndarray]:
        """Every vector of every complete batch, by embed hash (an unreadable batch is skipped)."""
        found: dict[str, np.ndarray] = {}
        if not self.folder.is_dir():
            return found
        for stale in self.folder.glob("*.tmp"):
            stale.unlink(missing_ok=True)
        for names in sorted(self.folder.glob("*.hashes")):
            hashes = names.read_text(encoding="ascii").split()
            try:
                vectors = np.load(names.with_suffix(".npy"), allow_pickle=False)
            except (OSError, ValueError):
                continue
            if vectors.ndim != 2 or len(vectors) != len(hashes):
                continue
            found.update(zip(hashes, vectors))
        return found

    def add(self, hashes: list[str], vectors: np.ndarray) -> None:
        """Keep one finished batch (vectors first, then the hashes that make it visible)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = self.folder / uuid.uuid4().hex
        _replace_with(stem.with_suffix(".npy"), lambda f: np.save(f, np.asarray(vectors, dtype=np.float32), allow_pickle=False))
        _replace_with(stem.with_suffix(".hashes"), lambda f: f.write("".join(h + "\n" for h in hashes).encode("ascii")))

    def clear(self) -> None:
        """Forget every batch: the build that used them is current now."""
        shutil.rmtree(self.folder, ignore_errors=True)


def _replace_with(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        write(f)
    os.replace(tmp, path)
