"""Build a real quarry index of N benchmark passages, vectors served from the on-disk cache."""

from __future__ import annotations

import json
import resource
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Callable

from eval.bench.cache import CachedEmbedder, VectorCache
from eval.bench.corpus import Passage, passages
from indexer.build import BuildSummary, Source, build_from_sources
from quarry.embedders import Embedder, load_embedder, model_id_for, token_counter
from quarry.jsonl import read_jsonl
from quarry.settings import Settings

INSPECTIONS = Path("/work/shared/datasets/ofsted/inspections")


def load_passages(cache_dir: Path, folder: Path, size: int) -> list[Passage]:
    """The first `size` benchmark passages, from the cache file when it holds enough."""
    file = cache_dir / "passages.jsonl"
    if file.is_file():
        rows = [row for _, row in islice(read_jsonl(file), size)]
        if len(rows) >= size:
            return [Passage(**r) for r in rows]
    made = passages(folder, size)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = file.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for p in made:
            f.write(json.dumps(p.__dict__, ensure_ascii=False) + "\n")
    tmp.rename(file)
    return made


def sources(items: list[Passage]) -> list[Source]:
    """One in-memory document per passage (a passage is short, so it is exactly one chunk)."""
    return [Source(p.pid, f"{p.title} #{p.pid}", {"title": p.title, "authority": p.authority,
                                                   "years": [p.year] if p.year else [], "doc_type": "inspection"},
                   text=p.text) for p in items]


def cached_embedder(cache_dir: Path, model: str, compute_model: str, standins: bool = False) -> Embedder:
    """An embedder reporting `model`'s id whose vectors come from the cache (computed by `compute_model`)."""
    if model == "hash" or model.startswith("hash-"):
        return load_embedder(model)
    cache = VectorCache(cache_dir / "vectors" / compute_model.replace("/", "_"))
    return CachedEmbedder(cache, model_id_for(model), lambda: load_embedder(compute_model), token_counter(model),
                          standins=standins)


@dataclass
class BuiltCorpus:
    size: int
    index: Path
    summary: BuildSummary
    seconds: float
    peak_rss_mb: float
    disk_mb: float


def disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def build_corpus(size: int, workdir: Path, settings: Settings, embedder: Embedder,
                 folder: Path = INSPECTIONS, progress: Callable[[str], None] | None = None) -> BuiltCorpus:
    """Index the first `size` passages into workdir/index-<size> (incremental: reruns are cheap)."""
    items = load_passages(workdir, folder, size)
    index = workdir / f"index-{size}"
    t = time.perf_counter()
    summary = build_from_sources(sources(items), settings.with_(index=str(index)), embedder, progress)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return BuiltCorpus(size, index, summary, seconds, peak, disk_mb(index))


def main(argv: list[str] | None = None) -> int:
    """Worker: build one size in a fresh process (so peak RSS is the build's own) and print JSON."""
    import argparse
    import shutil

    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--workdir", type=Path, required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--vectors-model", required=True)
    p.add_argument("--inspections", type=Path, default=INSPECTIONS)
    p.add_argument("--ann-threshold", type=int, default=Settings().ann_threshold)
    p.add_argument("--standins", action="store_true")
    a = p.parse_args(argv)
    shutil.rmtree(a.workdir / f"index-{a.size}", ignore_errors=True)  # a fresh build: every stage runs
    embedder = cached_embedder(a.workdir, a.model, a.vectors_model, a.standins)
    settings = Settings(model=a.model, ann_threshold=a.ann_threshold)
    built = build_corpus(a.size, a.workdir, settings, embedder, a.inspections)
    again = build_from_sources(sources(load_passages(a.workdir, a.inspections, a.size)),
                               settings.with_(index=str(built.index)), embedder)
    print(json.dumps({"size": a.size, "index": str(built.index), "chunks": built.summary.chunks,
                      "documents": built.summary.documents, "embedded": built.summary.embedded,
                      "computed": getattr(embedder, "computed", built.summary.embedded),
                      "standins": getattr(embedder, "standin_count", 0),
                      "stage_seconds": built.summary.seconds, "seconds": built.seconds,
                      "peak_rss_mb": built.peak_rss_mb, "disk_mb": built.disk_mb,
                      "reindex_embedded": again.embedded, "reindex_up_to_date": again.up_to_date}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
