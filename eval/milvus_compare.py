"""Local vs Milvus backend on the seed gold set and CISI: retrieval metrics and search latency.

    python -m eval.milvus_compare --work /tmp/quarry-milvus [--cisi ../shared/datasets/cisi] [--rounds 3]

Builds (or reuses) a local index with the real model under --work, syncs it to Milvus Lite
(<work>/milvus.db), then runs every question through `Searcher.search` on both backends. Query
vectors are computed once per question and shared, so the latency figures are the backends' (plus
fusion), not the model's. A stop-gap until `quarry eval` / `quarry bench` take --backend.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from dataclasses import replace
from pathlib import Path

from eval import beir, gold, metrics
from eval.harness import doc_ranking
from indexer.build import build_from_sources, build_index
from indexer.milvus_sync import sync
from quarry.embedders import MemoEmbedder, load_embedder
from quarry.settings import MODES as ALL_MODES, Settings
from search import open_index

ROOT = Path(__file__).resolve().parents[1]
MODES = tuple(sorted(ALL_MODES))  # bm25, dense, hybrid: the retrievers, then their fusion
SEED_METRICS = {"S@1": "success@1", "S@5": "success@5", "MRR@10": "mrr@10"}  # names here -> eval/metrics.py's
CISI_METRICS = {"nDCG@10": "ndcg@10", "MRR@10": "mrr@10", "R@100": "recall@100"}


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def mean_scores(qrels: metrics.Qrels, rankings: metrics.Rankings, names: dict[str, str], queries: int) -> dict[str, float]:
    """Each metric (eval/metrics.py) averaged over `queries` questions: those no passage can answer
    (left out of `qrels`, so ranx never sees them) count as 0."""
    scores = metrics.evaluate(qrels, rankings, {name: metrics.METRICS[ours] for name, ours in names.items()})
    unjudged = [0.0] * (queries - scores.queries)
    return {name: statistics.mean([*scores.per_query[name].values(), *unjudged]) for name in names}


def _pair(local: Settings, name: str, embedder) -> dict[str, object]:
    milvus = replace(local, backend="milvus", milvus_collection=name)
    sync(Path(local.index), milvus)
    return {"local": open_index(local.index, local, embedder), "milvus": open_index(None, milvus, embedder)}


def seed(work: Path, embedder, rounds: int) -> dict:
    local = Settings(index=str(work / "seed"), milvus_uri=str(work / "milvus.db"))
    build_index([ROOT / "corpus"], local)
    searchers = _pair(local, "seed", embedder)
    questions = gold.load(ROOT / "eval/gold/seed.jsonl")
    scored = [q for q in questions if q.answerable]
    chunks = searchers["local"].chunks  # Milvus holds the same passages (synced from the local index)
    qrels = {}  # a passage is relevant when it contains an answer span, whitespace collapsed
    for q in scored:
        spans = [_collapse(a.span) for a in q.answers]
        relevant = {c.chunk_id: 1 for c in chunks if any(sp in _collapse(c.text) for sp in spans)}
        if relevant:
            qrels[q.id] = relevant
    out: dict = {"metrics": {}, "latency_ms": {}, "queries": len(scored)}
    for backend, s in searchers.items():
        for mode in MODES:
            rankings = {q.id: [h.chunk.chunk_id for h in s.search(q.question, k=10, mode=mode).hits] for q in scored}
            out["metrics"][f"{backend}/{mode}"] = mean_scores(qrels, rankings, SEED_METRICS, len(scored))
    for backend, s in searchers.items():  # latency: every seed question, `rounds` times, vectors cached
        for mode in MODES:
            times = []
            for _ in range(rounds):
                for q in questions:
                    t = time.perf_counter()
                    s.search(q.question, k=10, mode=mode)
                    times.append((time.perf_counter() - t) * 1000)
            times.sort()
            out["latency_ms"][f"{backend}/{mode}"] = {"n": len(times), "p50": round(statistics.median(times), 2),
                                                      "p95": round(times[int(0.95 * (len(times) - 1))], 2)}
    return out


def cisi(work: Path, folder: Path, embedder) -> dict:
    local = Settings(index=str(work / "cisi"), milvus_uri=str(work / "milvus.db"), max_query_chars=10**6)  # CISI has long queries
    data = beir.load(folder, "test")
    build_from_sources(data.sources, local)
    searchers = _pair(local, "cisi", embedder)
    out: dict = {"metrics": {}, "queries": len(data.qrels)}
    for backend, s in searchers.items():
        for mode in MODES:  # a document scores as its best passage
            rankings = {qid: doc_ranking(s.search(data.queries[qid], k=300, mode=mode).hits, 300) for qid in data.qrels}
            out["metrics"][f"{backend}/{mode}"] = mean_scores(data.qrels, rankings, CISI_METRICS, len(data.qrels))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", type=Path, required=True, help="folder for the local indexes and milvus.db")
    p.add_argument("--cisi", type=Path, help="the CISI BEIR folder (skipped if not given)")
    p.add_argument("--rounds", type=int, default=3, help="latency rounds over the seed questions")
    args = p.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    embedder = MemoEmbedder(load_embedder(Settings().model))
    print(json.dumps({"seed": seed(args.work, embedder, args.rounds)}), flush=True)  # one JSON line per data set
    if args.cisi:
        print(json.dumps({"cisi": cisi(args.work, args.cisi, embedder)}), flush=True)


if __name__ == "__main__":
    main()
