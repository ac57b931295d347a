"""The records an embedding engine takes and gives back, and the one method an engine has (indexer.embedding)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

import numpy as np


@dataclass(frozen=True)
class TextBatch:
    """Texts to embed together, with the embed hash of each."""

    hashes: list[str]
    texts: list[str]


@dataclass(frozen=True)
class EmbeddedBatch:
    """One batch's vectors, the model that made them, and where and how long it took."""

    hashes: list[str]
    vectors: np.ndarray
    model_id: str
    worker: str
    seconds: float
    precision: str = ""  # the embedder's arithmetic ("fp32", "bf16", "int8"); "" when it does not say


class Engine(Protocol):
    name: str  # for the summary: "this process", "dask local:2", "dask tcp://host:8786"

    def embed(self, batches: list[TextBatch]) -> Iterator[EmbeddedBatch]: ...

    def close(self) -> None: ...


def in_batches(todo: dict[str, str], size: int) -> list[TextBatch]:
    """`todo` (embed hash -> text) in batches of `size`, in its own order."""
    keys = list(todo)
    return [TextBatch(keys[i:i + size], [todo[k] for k in keys[i:i + size]]) for i in range(0, len(keys), size)]
