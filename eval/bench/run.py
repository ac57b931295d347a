"""`run_bench`: every measurement of `quarry bench`, as rows (one per size and mode) plus context."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from eval.bench import latency
from eval.bench.corpus_index import INSPECTIONS, load_passages
from quarry.settings import Settings

PARTS = ("build", "latency", "milvus", "ann", "embed", "cluster", "cold", "compare")
BASELINE_MAX = 200_000  # rank-bm25 keeps a Python dict per passage: at 1M passages the baseline alone outgrows 16 GB
MILVUS_MAX = 10_000  # default largest size also timed on Milvus Lite (syncing a size into it is the slow step)
ROOT = Path(__file__).resolve().parents[2]


def machine() -> dict[str, Any]:
    """nproc, CPU model and the SIMD flags that decide int8/fp32 speed, RAM and the load average right now (a shared machine overstates latency)."""
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines() if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) / 1024 / 1024 for line in _read("/proc/meminfo").splitlines() if line.startswith("MemTotal")), 0.0)
    from quarry.onnx_models import cpu_flags

    return {"nproc": os.cpu_count(), "cpu": cpu, "cpu_flags": cpu_flags(_read("/proc/cpuinfo")), "ram_gb": round(mem, 1),
            "load_avg": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "faiss_simd": _faiss_simd()}


def _faiss_simd() -> str:
    """The instruction set FAISS chose at run time (it dispatches per CPU), or "" when unknown."""
    try:
        import faiss

        return str(faiss.SIMDConfig.get_level_name())
    except (ImportError, AttributeError):
        return ""


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


@dataclass
class BenchResult:
    rows: list[dict[str, Any]] = field(default_factory=list)
    machine_start: dict[str, Any] = field(default_factory=dict)
    machine_end: dict[str, Any] = field(default_factory=dict)
    command: str = ""


def _build(size: int, workdir: Path, model: str, vectors_model: str, inspections: Path, ann_threshold: int,
           standins: bool = False) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "eval.bench.corpus_index", "--size", str(size), "--workdir", str(workdir), "--model", model,
           "--vectors-model", vectors_model, "--inspections", str(inspections), "--ann-threshold", str(ann_threshold)] + (["--standins"] if standins else [])
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"building the {size}-chunk corpus failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_bench(sizes: list[int], n_queries: int, workdir: Path, settings: Settings, vectors_model: str,
              parts: tuple[str, ...] = PARTS, inspections: Path = INSPECTIONS, standins: bool = False,
              ann_sizes: list[int] | None = None, embed_passages: int = 500, say: Callable[[str], None] = lambda m: None,
              milvus_sizes: list[int] | None = None) -> BenchResult:
    """Build each size, time quarry and the baseline on the same queries; ANN, embedding, cold start once."""
    from search import open_index
    from search.answer import ask

    res = BenchResult(machine_start=machine())
    queries = latency.load_queries(n_queries)
    model = settings.model
    index_dir: Path | None = None
    for size in sizes:
        index_dir = workdir / f"index-{size}"
        if "build" in parts or (not index_dir.exists() and {"latency", "milvus", "ann", "cold"} & set(parts)):
            say(f"building {size} chunks")
            b = _build(size, workdir, model, vectors_model, inspections, settings.ann_threshold, standins)
            st = b["stage_seconds"]
            rate = {k: (b["chunks"] / v if v > 0 else None) for k, v in st.items()}
            res.rows.append({"kind": "build", "size": size, "mode": "build", "chunks": b["chunks"], "seconds": b["seconds"],
                             "stage_seconds": st, "chunks_per_s": rate, "computed_vectors": b["computed"], "standin_vectors": b.get("standins", 0),
                             "peak_rss_mb": b["peak_rss_mb"], "disk_mb": b["disk_mb"],
                             "reindex_embedded": b["reindex_embedded"], "reindex_up_to_date": b["reindex_up_to_date"]})
        if not ({"latency", "milvus", "ann"} & set(parts)):
            continue
        searcher = open_index(index_dir, settings)
        embedder = searcher.embedder.inner  # the query model (settings.query_model may name the index model's int8 twin)
        n_chunks = len(searcher.chunks)
        if "latency" in parts:
            say(f"{size}: timing quarry")
            ours: dict[str, dict[str, float]] = {}
            modes = ["bm25", "dense", "hybrid", "ask"]
            for mode in modes:
                searcher.embedder.clear()  # each mode pays for its own query vectors (the memo would hand dense's to hybrid)
                run = (lambda q: ask(searcher, q)) if mode == "ask" else (lambda q, m=mode: searcher.search(q, k=10, mode=m))
                ours[mode] = latency.percentiles(latency.time_each(run, queries))
                res.rows.append({"kind": "latency", "engine": "quarry", "size": size, "chunks": n_chunks, "mode": mode, **ours[mode]})
            # hybrid again with each query's vector already memoised: retrieval and fusion alone, and one query
            # embedding alone, so the two costs are read apart
            for q in queries:
                searcher.search(q, k=10, mode="hybrid")
            res.rows.append({"kind": "latency", "engine": "quarry", "size": size, "chunks": n_chunks, "mode": "hybrid-vector-memoised",
                             **latency.percentiles(latency.time_each(lambda q: searcher.search(q, k=10, mode="hybrid"), queries))})
            res.rows.append({"kind": "latency", "engine": "quarry", "size": size, "chunks": n_chunks, "mode": "query-embedding",
                             **latency.percentiles(latency.time_each(lambda q: embedder.embed([q]), queries))})
            for name, ms in latency.fusion_costs(searcher, queries).items():
                res.rows.append({"kind": "latency", "engine": "quarry", "size": size, "chunks": n_chunks,
                                 "mode": f"fusion-{name}", **latency.percentiles(ms)})
        if "latency" in parts and n_chunks <= BASELINE_MAX:
            say(f"{size}: timing the baseline")
            from indexer.build import lexical_text

            base = latency.Baseline([lexical_text(c) for c in searcher.chunks], searcher.index.vectors, embedder.embed,
                                    settings.bm25_k1, settings.bm25_b, settings.rrf_k, settings.candidates)
            for mode, fn in (("bm25", base.bm25_search), ("dense", base.dense_search), ("hybrid", base.hybrid_search)):
                stats = latency.percentiles(latency.time_each(fn, queries))
                res.rows.append({"kind": "latency", "engine": "baseline", "size": size, "chunks": n_chunks, "mode": f"{mode}-baseline",
                                 **stats, "speedup": latency.speedup(stats, ours[mode])})
            del base
        if "milvus" in parts and "latency" in parts and (size in milvus_sizes if milvus_sizes is not None else size <= MILVUS_MAX):
            from eval.bench.milvus import latency_rows

            say(f"{size}: timing Milvus Lite")
            res.rows += latency_rows(index_dir, size, workdir, settings, embedder, queries,
                                     {m: ours[m]["p50_ms"] for m in ("bm25", "dense", "hybrid")})
        if "ann" in parts and (size in ann_sizes if ann_sizes is not None else n_chunks >= 5000):
            from eval.bench.ann import compare

            say(f"{size}: HNSW vs flat")
            qv = embedder.embed(queries)
            for row in compare(searcher.index.vectors, qv):
                res.rows.append({"kind": "ann", "size": size, "chunks": n_chunks, "mode": "ann", **row})
    if "embed" in parts and not model.startswith("hash"):
        from eval.bench.embedspeed import ceiling_rows, throughput

        say("matrix-product ceiling of this CPU at the model's shapes")
        ceiling = ceiling_rows()  # one measurement: printed, and the denominator of every "of ceiling"
        for row in ceiling:
            res.rows.append({"kind": "ceiling", "size": 0, "mode": "embed", **row})
        texts = [p.text for p in load_passages(workdir, inspections, max(sizes + [embed_passages]))[:embed_passages]]
        # index chunks are ~240 word-pieces, three benchmark passages: both lengths, the same words
        long_texts = [" ".join(texts[i:i + 3]) for i in range(0, len(texts) - 2, 3)]
        for label, batch in (("benchmark passages", texts), ("index-length (3 passages joined)", long_texts)):
            say(f"embedding throughput on {len(batch)} {label}")
            for row in throughput(batch, label, settings.model_cache, ceiling):
                res.rows.append({"kind": "embed", "size": len(batch), "mode": "embed", **row})
    if "cluster" in parts:
        from eval.bench.clusterspeed import LOCAL, throughput as cluster_throughput

        say(f"embedding {embed_passages} passages in this process and on {settings.cluster or LOCAL}")
        texts = [p.text for p in load_passages(workdir, inspections, max(sizes + [embed_passages]))[:embed_passages]]
        for row in cluster_throughput(texts, settings):
            res.rows.append({"kind": "cluster", "size": len(texts), "mode": "cluster", **row})
    if "compare" in parts:
        from eval.bench.comparespeed import timings

        say("timing quarry compare by authority over the inspections and the focused-visit letters")
        res.rows.append({"kind": "compare", "size": 0, "mode": "compare", **timings(inspections, settings)})
    if "cold" in parts and index_dir is not None:
        from eval.bench import coldstart

        say("cold starts")
        q = queries[0] if queries else "children in care"
        extra = {"QUARRY_QUERY_MODEL": settings.query_model} if getattr(settings, "query_model", "") else None
        size = sizes[-1]
        res.rows.append({"kind": "cold", "size": size, "mode": "cold", "what": "quarry --help", "seconds": coldstart.help_seconds()})
        for mode in ("bm25", "hybrid"):
            res.rows.append({"kind": "cold", "size": size, "mode": "cold", "what": f"quarry search --mode {mode}",
                             "seconds": coldstart.search_seconds(index_dir, q, mode, extra)})
        res.rows.append({"kind": "cold", "size": size, "mode": "cold", "what": "quarry serve until the first /api/search 200",
                         "seconds": coldstart.serve_seconds(index_dir, q, extra_env=extra)})
    res.machine_end = machine()
    return res

