"""Where a build's new vectors are made: one seam, two engines.

`embed_missing` takes the texts a build has no vector for, drops those a previous, interrupted build
already embedded (indexer.pending), cuts the rest into batches and hands them to an engine: `InProcess`
(the model in this process) or, with the `cluster` setting, `indexer.cluster.DaskEmbedding` (the model
on each worker of a Dask cluster). An engine has one required method, `embed(batches)`, yielding each
batch's vectors as it finishes, in any order; every batch is kept on disk as it arrives.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import numpy as np

from indexer.batches import EmbeddedBatch, Engine, TextBatch, in_batches
from indexer.pending import PendingVectors
from indexer.progress import Progress
from indexer.summary import BuildSummary
from quarry.embedders import Embedder, load_embedder
from quarry.errors import QuarryError
from quarry.settings import Settings

IN_PROCESS = "this process"


class InProcess:
    """The model in this process, loaded on the first batch (or the embedder a caller passed)."""

    name = IN_PROCESS

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings, self.model = settings, embedder

    def embed(self, batches: list[TextBatch]) -> Iterator[EmbeddedBatch]:
        for batch in batches:
            if self.model is None:
                self.model = load_embedder(self.settings.model, self.settings.device, self.settings.batch_size,
                                           self.settings.runtime, self.settings.model_cache, passages=True)
            start = time.perf_counter()
            vectors = self.model.embed(batch.texts)
            yield EmbeddedBatch(batch.hashes, vectors, self.model.model_id, IN_PROCESS, time.perf_counter() - start,
                                getattr(self.model, "precision", ""))

    def close(self) -> None:
        pass


def open_engine(settings: Settings, model_id: str, embedder: Embedder | None = None) -> Engine:
    """The engine the `cluster` setting names (empty: this process)."""
    if not settings.cluster:
        return InProcess(settings, embedder)
    from indexer.cluster import DaskEmbedding

    return DaskEmbedding(settings, model_id, embedder)


def embed_missing(index: Path, todo: dict[str, str], settings: Settings, model_id: str, embedder: Embedder | None,
                  summary: BuildSummary, report: Progress) -> dict[str, np.ndarray]:
    """A vector for every text in `todo` (embed hash -> text): kept ones from an interrupted build, the rest embedded now."""
    kept = PendingVectors(index)
    vectors = {h: v for h, v in kept.load().items() if h in todo}
    summary.resumed_vectors = len(vectors)
    # longest first, across the whole build: a batch then pads its texts to nearly their own length (batches cut from
    # document order padded the 431 Ofsted reports' word-pieces by 1.5%, by 0.6% sorted), and a live ETA errs long
    missing = dict(sorted(((h, t) for h, t in todo.items() if h not in vectors), key=lambda item: -len(item[1])))
    if not missing:
        return vectors
    start = time.perf_counter()
    size = max(settings.batch_size * 4, 16)  # small enough for a live rate and ETA, and for a cluster to share out
    engine = open_engine(settings, model_id, embedder)
    summary.embedded_on = engine.name
    if settings.cluster:
        summary.seconds["cluster_start"] = time.perf_counter() - start  # starting or reaching the cluster
        start = time.perf_counter()
    try:
        stage = report.stage("embedding", len(missing), "chunk")
        for batch in engine.embed(in_batches(missing, size)):
            if batch.model_id != model_id:
                raise QuarryError(f"{batch.worker} embeds with model {batch.model_id}, this index needs {model_id}: "
                                  "install the same quarry and model everywhere")
            kept.add(batch.hashes, batch.vectors)
            vectors.update(zip(batch.hashes, batch.vectors))
            summary.note_batch(batch.worker, len(batch.hashes), batch.seconds, batch.precision)
            stage.advance(len(batch.hashes))
            if settings.cluster:
                stage.status(summary.worker_rates(short=True))
        stage.close()
    finally:
        engine.close()
    if lost := [h for h in missing if h not in vectors]:
        raise QuarryError(f"{len(lost)} passage(s) came back without a vector from {engine.name}; the previous index is unchanged")
    summary.embedded = len(missing)
    summary.seconds["embed"] = time.perf_counter() - start
    return vectors

