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
import math
import re
import statistics
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from indexer.build import Source, build_from_sources, build_index
from indexer.milvus_sync import sync
from quarry.embedders import load_embedder
from quarry.settings import Settings
from search import open_index

ROOT = Path(__file__).resolve().parents[1]
MODES = ("bm25", "dense", "hybrid")


class Memo:
    """An embedder that remembers the vectors of the queries it has embedded."""

    def __init__(self, inner):
        self.inner, self.model_id, self.count_tokens, self.cache = inner, inner.model_id, inner.count_tokens, {}

    def embed(self, texts):
        missing = [t for t in texts if t not in self.cache]
        if missing:
            self.cache.update(zip(missing, self.inner.embed(missing)))
        return np.stack([self.cache[t] for t in texts])


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def first_relevant(ranked: list[bool]) -> int | None:
    """1-based rank of the first True, or None."""
    return next((i for i, r in enumerate(ranked, start=1) if r), None)


def ndcg(ranked: list[bool], n_relevant: int, k: int = 10) -> float:
    """Binary nDCG@k."""
    dcg = sum(1 / math.log2(i + 1) for i, r in enumerate(ranked[:k], start=1) if r)
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(n_relevant, k) + 1))
    return dcg / ideal if ideal else 0.0


def _pair(local: Settings, name: str, embedder) -> dict[str, object]:
    milvus = replace(local, backend="milvus", milvus_collection=name)
    sync(Path(local.index), milvus)
    return {"local": open_index(local.index, local, embedder), "milvus": open_index(None, milvus, embedder)}


def seed(work: Path, embedder, rounds: int) -> dict:
    local = Settings(index=str(work / "seed"), milvus_uri=str(work / "milvus.db"))
    build_index([ROOT / "corpus"], local)
    searchers = _pair(local, "seed", embedder)
    gold = [json.loads(line) for line in (ROOT / "eval/gold/seed.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    scored = [q for q in gold if q["answerable"]]
    out: dict = {"metrics": {}, "latency_ms": {}, "queries": len(scored)}
    for backend, s in searchers.items():
        for mode in MODES:
            ranks = []
            for q in scored:
                spans = [_collapse(a["span"]) for a in q["answers"]]
                hits = s.search(q["question"], k=10, mode=mode).hits
                ranks.append(first_relevant([any(sp in _collapse(h.chunk.text) for sp in spans) for h in hits]))
            out["metrics"][f"{backend}/{mode}"] = {
                "S@1": sum(r == 1 for r in ranks) / len(ranks), "S@5": sum(r is not None and r <= 5 for r in ranks) / len(ranks),
                "MRR@10": sum(1 / r for r in ranks if r) / len(ranks)}
    for backend, s in searchers.items():  # latency: every seed question, `rounds` times, vectors cached
        for mode in MODES:
            times = []
            for _ in range(rounds):
                for q in gold:
                    t = time.perf_counter()
                    s.search(q["question"], k=10, mode=mode)
                    times.append((time.perf_counter() - t) * 1000)
            times.sort()
            out["latency_ms"][f"{backend}/{mode}"] = {"n": len(times), "p50": round(statistics.median(times), 2),
                                                      "p95": round(times[int(0.95 * (len(times) - 1))], 2)}
    return out


def cisi(work: Path, folder: Path, embedder) -> dict:
    local = Settings(index=str(work / "cisi"), milvus_uri=str(work / "milvus.db"), max_query_chars=10**6)  # CISI has long queries
    rows = [json.loads(line) for line in (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    sources = [Source(str(r["_id"]), str(r["_id"]), {"title": r["title"]} if r.get("title") else None,
                      text=r.get("text") or r.get("title") or "") for r in rows]
    build_from_sources(sources, local)
    searchers = _pair(local, "cisi", embedder)
    queries = {str(q["_id"]): q["text"] for q in map(json.loads, (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines())}
    qrels: dict[str, set[str]] = {}
    for line in (folder / "qrels/test.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        qid, did, score = line.split("\t")
        if int(score) > 0:
            qrels.setdefault(qid, set()).add(did)
    out: dict = {"metrics": {}, "queries": len(qrels)}
    for backend, s in searchers.items():
        for mode in MODES:
            nd, mrr, r100 = [], [], []
            for qid, relevant in qrels.items():
                docs: list[str] = []
                for h in s.search(queries[qid], k=300, mode=mode).hits:  # a document scores as its best passage
                    if h.chunk.doc_id not in docs:
                        docs.append(h.chunk.doc_id)
                flags = [d in relevant for d in docs]
                nd.append(ndcg(flags, len(relevant)))
                r = first_relevant(flags[:10])
                mrr.append(1 / r if r else 0.0)
                r100.append(sum(flags[:100]) / len(relevant))
            out["metrics"][f"{backend}/{mode}"] = {"nDCG@10": statistics.mean(nd), "MRR@10": statistics.mean(mrr),
                                                   "R@100": statistics.mean(r100)}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", type=Path, required=True, help="folder for the local indexes and milvus.db")
    p.add_argument("--cisi", type=Path, help="the CISI BEIR folder (skipped if not given)")
    p.add_argument("--rounds", type=int, default=3, help="latency rounds over the seed questions")
    args = p.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    embedder = Memo(load_embedder(Settings().model))
    print(json.dumps({"seed": seed(args.work, embedder, args.rounds)}), flush=True)  # one JSON line per data set
    if args.cisi:
        print(json.dumps({"cisi": cisi(args.work, args.cisi, embedder)}), flush=True)


if __name__ == "__main__":
    main()
