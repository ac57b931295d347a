"""Vectors cached on disk by text hash, so the benchmark corpus is embedded once, ever.

Each `embed` call that computes new vectors appends one shard (`NNNNNN.npy` + `NNNNNN.keys`), so
an interrupted run resumes where it stopped. The cached embedder reports the real model's id: an
index built through it is valid for queries embedded by the real model.

Not quarry.embedders.MemoEmbedder: this cache outlives the process (shards on disk, keyed by text hash)
and can serve stand-ins. Each vector is computed and written once: texts already cached, or repeated in
one call, are not embedded again, and nothing wraps this embedder in a second cache.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable

import numpy as np

from quarry.embedders import Embedder


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class VectorCache:
    """text hash -> unit vector, stored as append-only shards in one folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.vectors: dict[str, np.ndarray] = {}
        for keys_file in sorted(folder.glob("*.keys")):
            array = np.load(keys_file.with_suffix(".npy"), allow_pickle=False)
            keys = keys_file.read_text(encoding="ascii").split()
            if len(keys) == len(array):
                self.vectors.update(zip(keys, array))

    def __len__(self) -> int:
        return len(self.vectors)

    def add(self, keys: list[str], array: np.ndarray) -> None:
        """Store one shard (vectors first, keys last: a shard without keys is ignored)."""
        n = len(list(self.folder.glob("*.keys")))
        stem = self.folder / f"{n:06d}-{os.getpid()}"
        np.save(stem.with_suffix(".npy"), np.asarray(array, dtype=np.float32), allow_pickle=False)
        tmp = stem.with_suffix(".keys.tmp")
        tmp.write_text("\n".join(keys), encoding="ascii")
        tmp.rename(stem.with_suffix(".keys"))
        self.vectors.update(zip(keys, array))


class CachedEmbedder:
    """Serves vectors from a VectorCache; texts it lacks are embedded by `compute()` and cached."""

    def __init__(self, cache: VectorCache, model_id: str, compute: Callable[[], Embedder],
                 count_tokens: Callable[[list[str]], list[int]], dim: int = 384, max_tokens: int = 256,
                 standins: bool = False):
        self.cache = cache
        self.standins = standins  # texts not cached get stand-in vectors (never cached): see `standin`
        self.standin_count = 0
        self.model_id = model_id
        self.dim = dim
        self.max_tokens = max_tokens
        self._compute = compute
        self._model: Embedder | None = None
        self._count = count_tokens
        self.computed = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in self.cache.vectors}.items())
        if missing and self.standins and len(self.cache.vectors):
            made = {k: self.standin(k) for k, _ in missing}
            self.standin_count += len(made)
            return np.stack([self.cache.vectors[k] if k in self.cache.vectors else made[k] for k in keys]).astype(np.float32)
        if missing:
            if self._model is None:
                self._model = self._compute()
            array = self._model.embed([t for _, t in missing])
            self.cache.add([k for k, _ in missing], array)
            self.computed += len(missing)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.cache.vectors[k] for k in keys]).astype(np.float32)

    def standin(self, key: str, noise: float = 0.05) -> np.ndarray:
        """A stand-in for a text never embedded: a real cached vector (picked by the text's hash) plus small
        noise, renormalised. Flat search costs the same whatever the values; ANN recall on stand-ins is only
        indicative. Used only when asked (`quarry bench --standins`), and reported."""
        if not hasattr(self, "_pool"):
            self._pool = np.stack(list(self.cache.vectors.values())).astype(np.float32)
        rng = np.random.default_rng(int(key[:12], 16))
        v = self._pool[int(key[12:24], 16) % len(self._pool)] + rng.normal(0.0, noise, self.dim).astype(np.float32)
        return v / np.linalg.norm(v)

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self._count(texts)
