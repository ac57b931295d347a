"""Milvus Lite beside the local backend: the size's index synced into a Milvus Lite database, the same queries."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any, Sequence

from eval.bench import latency
from quarry.settings import MODES as ALL_MODES, Settings

MODES = tuple(sorted(ALL_MODES))  # bm25, dense, hybrid: the retrievers, then their fusion


def latency_rows(index_dir: Path, size: int, workdir: Path, settings: Settings, embedder: Any,
                 queries: Sequence[str], local_p50: dict[str, float]) -> list[dict[str, Any]]:
    """Sync `index_dir` into a fresh Milvus Lite database (like the local build, every run writes every chunk)
    and time each mode.

    `embedder` is the local run's query embedder, so both backends pay the same query embedding;
    `local_p50` (mode -> quarry's local p50 ms) gives each row its ratio to the local backend."""
    from indexer.milvus_sync import sync
    from search import open_index

    db = workdir / f"milvus-{size}.db"
    shutil.rmtree(db, ignore_errors=True)  # Milvus Lite keeps its data in a folder of this name
    remote = settings.with_(backend="milvus", milvus_uri=str(db), milvus_collection="bench")
    t = time.perf_counter()
    summary = sync(index_dir, remote)
    sync_s = time.perf_counter() - t
    searcher = open_index(None, remote, embedder)
    rows = []
    for mode in MODES:
        searcher.embedder.clear()  # each mode pays for its own query vectors, as on the local backend
        stats = latency.percentiles(latency.time_each(lambda q, m=mode: searcher.search(q, k=10, mode=m), queries))
        rows.append({"kind": "latency", "engine": "milvus-lite", "size": size, "chunks": len(searcher.chunks), "mode": mode,
                     **stats, "vs_local": stats["p50_ms"] / local_p50[mode] if local_p50.get(mode) else None,
                     "sync_seconds": sync_s, "chunks_written": summary.chunks_written})
    return rows
