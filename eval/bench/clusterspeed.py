"""Embedding the same passages in this process and on a Dask cluster, through the engines `quarry index` uses."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from indexer.batches import in_batches
from indexer.embedding import open_engine
from quarry.embedders import model_id_for
from quarry.settings import Settings

LOCAL = "local:2"  # the cluster timed when the `cluster` setting is empty: two worker processes on this machine


def _run(settings: Settings, texts: list[str]) -> tuple[dict[str, Any], np.ndarray]:
    """One engine from start to last vector: start seconds, wall seconds, per-worker busy rates, the vectors."""
    todo = {f"{i:08d}": t for i, t in enumerate(texts)}
    size = max(settings.batch_size * 4, 16)  # the batch a build sends (indexer.embedding)
    t0 = time.perf_counter()
    engine = open_engine(settings, model_id_for(settings.model))
    started = time.perf_counter() - t0
    vectors: dict[str, np.ndarray] = {}
    workers: dict[str, list[float]] = {}
    try:
        for batch in engine.embed(in_batches(todo, size)):
            vectors.update(zip(batch.hashes, batch.vectors))
            w = workers.setdefault(batch.worker, [0, 0.0])
            w[0] += len(batch.hashes)
            w[1] += batch.seconds
    finally:
        engine.close()
    wall = time.perf_counter() - t0
    rates = {name: n / s for name, (n, s) in sorted(workers.items()) if s > 0}
    return ({"engine": engine.name, "workers": len(workers), "start_s": started, "wall_s": wall,
             "passages_per_s": len(texts) / wall, "steady_per_s": len(texts) / (wall - started),
             "busy_per_s_per_worker": rates}, np.stack([vectors[k] for k in todo]))


def throughput(texts: list[str], settings: Settings) -> list[dict[str, Any]]:
    """Rows for this process and for the cluster (`settings.cluster`, or local:2), with cosine to in-process vectors.

    Wall time counts everything a build pays: starting the cluster, loading the model (once per process),
    shipping texts and vectors; busy rate is a worker's chunks over the seconds it spent in `embed`."""
    single, ref = _run(settings.with_(cluster=""), texts)
    rows = [{**single, "min_cosine": 1.0}]
    on_cluster, vecs = _run(settings.with_(cluster=settings.cluster or LOCAL), texts)
    rows.append({**on_cluster, "min_cosine": float(np.sum(vecs * ref, axis=1).min())})
    for r in rows:
        r["vs_single"] = r["passages_per_s"] / single["passages_per_s"]
    return rows
