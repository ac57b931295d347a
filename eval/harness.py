"""Run a data set through the real indexer and searcher and score every retrieval mode.

The index is built by `build_from_sources` (cached, see eval/cache.py) and searched by
`search.open_index(...).search`, the code path of `quarry search`. For each query the searcher's
first `candidates` passages are taken exactly as `quarry search` returns them; when more are needed
(documents of several passages, Recall@100) the list continues from a deeper search.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

from eval import beir, gold, metrics
from eval.cache import cached_index
from indexer.build import Progress, file_sources
from quarry.errors import QuarryError
from quarry.embedders import MemoEmbedder, load_embedder, model_id_for
from quarry.records import Hit
from quarry.settings import MODES as ALL_MODES, Settings

MODES = tuple(sorted(ALL_MODES))  # bm25, dense, hybrid: the retrievers, then their fusion
FAILURE_RANK = 5  # a judged query whose first relevant result is below this rank is listed as a failure
MAX_FAILURES = 200  # kept per mode in saved results


@dataclass
class ModeResult:
    """The scores of one data set, split and retrieval mode."""

    dataset: str
    split: str
    mode: str
    unit: str  # what is judged: "document" (BEIR qrels) or "passage" (gold spans)
    queries: int
    metrics: dict[str, float]
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    curve: dict[int, float] = field(default_factory=dict)  # mean Recall@k
    excluded: dict[str, int] = field(default_factory=dict)  # questions not scored, by reason
    failures: list[dict[str, Any]] = field(default_factory=list)
    failure_count: int = 0
    first_relevant: dict[str, int | None] = field(default_factory=dict)  # query id -> rank (None: not found)
    versus: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # hybrid only: {mode: {metric: {diff, p}}}
    notes: list[str] = field(default_factory=list)
    index: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def line(self) -> dict[str, Any]:
        """The `--json` line: the issue's keys first, then extras."""
        return {"dataset": self.dataset, "split": self.split, "mode": self.mode, "queries": self.queries,
                **{m: round(v, 4) for m, v in self.metrics.items()}, "unit": self.unit,
                "excluded": self.excluded, "by_kind": self.by_kind, "failures": self.failure_count,
                "chunks": self.index.get("chunks"), "seconds": round(self.seconds, 1)}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModeResult":
        d = dict(d)
        d["curve"] = {int(k): v for k, v in d.get("curve", {}).items()}
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def query_memo(settings: Settings) -> MemoEmbedder:
    """The index's embedder, loaded on first use, remembering query vectors so that every mode
    (and the second, deeper hybrid search) reuses one embedding per query."""
    return MemoEmbedder(lambda: load_embedder(settings.model, settings.device, settings.batch_size, settings.runtime, settings.model_cache),
                        model_id=model_id_for(settings.model))


def ranked_hits(searcher, query: str, mode: str, depth: int) -> list[Hit]:
    """Up to `depth` passages: `quarry search`'s own top `candidates`, then the rest of a deeper search.

    Only hybrid needs two searches: its fusion depends on how many candidates it takes, while a
    single retriever's top `candidates` are the head of its deeper list.
    """
    first = depth if mode != "hybrid" else min(depth, searcher.settings.candidates)
    hits = searcher.search(query, k=first, mode=mode).hits
    if depth <= first or len(hits) < first:
        return hits
    seen = {h.chunk.chunk_id for h in hits}
    more = [h for h in searcher.search(query, k=depth, mode=mode).hits if h.chunk.chunk_id not in seen]
    return hits + more


def doc_ranking(hits: Sequence[Hit], k: int) -> list[str]:
    """Documents in the order of their best passage (a document scores as its best chunk)."""
    return list(dict.fromkeys(h.chunk.doc_id for h in hits))[:k]


def open_cached(settings: Settings, name: str, sources, progress: Progress | None, max_k: int):
    """A searcher over the cached index of `sources` (built if needed), and the index facts for results."""
    from search import open_index

    indexed = cached_index(name, sources, settings, progress)
    searcher = open_index(indexed.index, replace(indexed, max_k=max(indexed.max_k, max_k), max_query_chars=10**6),
                          embedder=query_memo(settings))
    info = {"chunks": len(searcher.chunks), "documents": len(searcher.doc_infos), "cache": indexed.index,
            "model": model_id_for(settings.model), "precision": searcher.index.manifest["model"].get("precision", ["unrecorded"]),
            **settings.chunking(),
            "fusion": settings.fusion, "candidates": settings.candidates, "rrf_k": settings.rrf_k,
            "fusion_model": (settings.fusion_model or "search/ranker.json") if settings.fusion == "learned" else ""}
    return searcher, info


def _by_kind(scores: metrics.Scores, kinds: dict[str, str]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for qid, kind in kinds.items():
        groups[kind].append(qid)
    if len(groups) < 2:
        return {}
    return {kind: {"queries": len(qids), **{m: sum(scores.per_query[m][q] for q in qids) / len(qids) for m in scores.mean}}
            for kind, qids in sorted(groups.items())}


def compare_to_hybrid(results: list[ModeResult], per_query: dict[str, metrics.Scores]) -> None:
    """Fill hybrid's `versus`: its difference from each other mode per metric, with a paired t-test p-value."""
    hybrid = next((r for r in results if r.mode == "hybrid"), None)
    if hybrid is None:
        return
    for other in results:
        if other is hybrid:
            continue
        hybrid.versus[other.mode] = {
            m: {"diff": hybrid.metrics[m] - other.metrics[m],
                "p": metrics.paired_p(per_query["hybrid"].per_query[m], per_query[other.mode].per_query[m])}
            for m in hybrid.metrics}


def score_modes(modes: Sequence[str], qrels: dict[str, dict[str, int]],
                rank: Callable[[str], tuple[dict[str, list[str]], dict[str, str]]],
                failure: Callable[[str, int | None, str], dict[str, Any]], say: Callable[[str], None],
                kinds: dict[str, str] | None = None, **fields: Any) -> list[ModeResult]:
    """Search and score each mode, then compare hybrid with the others.

    `rank(mode)` gives every judged query's ranking and a line on its first result; `failure(qid, rank, first)`
    describes a query whose first relevant unit is missing or below FAILURE_RANK; `fields` are the
    ModeResult fields every mode shares (dataset, split, unit, ...).
    """
    results, per_query = [], {}
    for mode in modes:
        say(mode)
        clock = time.perf_counter()
        rankings, first_lines = rank(mode)
        scores = per_query[mode] = metrics.evaluate(qrels, rankings)
        firsts = {qid: metrics.first_relevant(qrels[qid], rankings[qid]) for qid in qrels}
        failures = [failure(qid, r, first_lines[qid]) for qid, r in firsts.items() if r is None or r > FAILURE_RANK]
        results.append(ModeResult(
            mode=mode, queries=scores.queries, metrics=scores.mean, by_kind=_by_kind(scores, kinds or {}),
            curve=metrics.recall_curve(qrels, rankings), failures=failures[:MAX_FAILURES], failure_count=len(failures),
            first_relevant=firsts, seconds=time.perf_counter() - clock, **fields))
    compare_to_hybrid(results, per_query)
    return results


def _say(progress: Progress | None, msg: str) -> None:
    """One progress line, whether `progress` is a plain callable or the indexer's bar reporter."""
    if progress is None:
        return
    note = getattr(progress, "note", None)
    note(msg) if callable(note) else progress(msg)


def evaluate_beir(folder: Path, settings: Settings, split: str = "test", corpus: str = "corpus.jsonl",
                  modes: Sequence[str] = MODES, k: int = 100, progress: Progress | None = None) -> list[ModeResult]:
    """Score each mode on a BEIR folder; documents are ranked by their best passage."""
    data = beir.load(folder, split, corpus)
    depth_wanted = max(10 * k, 1000)
    searcher, info = open_cached(settings, data.name, data.sources, progress, depth_wanted)
    depth = min(depth_wanted, len(searcher.chunks))
    info["ranked"] = k

    def rank(mode: str) -> tuple[dict[str, list[str]], dict[str, str]]:
        rankings = {qid: doc_ranking(ranked_hits(searcher, text, mode, depth), k) for qid, text in data.queries.items()}
        tops = {qid: ranked[0] if ranked else None for qid, ranked in rankings.items()}
        return rankings, {qid: f"{top} {data.titles.get(top, '')}".strip() if top else "(nothing)" for qid, top in tops.items()}

    def failure(qid: str, rank: int | None, first: str) -> dict[str, Any]:
        expected = [d for d, r in data.qrels[qid].items() if r > 0]
        return {"id": qid, "question": data.queries[qid], "found_at": rank,
                "expected": "; ".join(f"{d} {data.titles.get(d, '')}".strip() for d in expected[:3])
                            + (f" (+{len(expected) - 3} more)" if len(expected) > 3 else ""),
                "first": first}

    def say(mode: str) -> None:
        _say(progress, f"{data.name}: searching {len(data.queries)} queries ({mode})")

    return score_modes(modes, data.qrels, rank, failure, say,
                       dataset=data.name, split=split, unit="document", notes=list(data.notes), index=info)


def _gold_qrels(questions: list[gold.GoldQuestion], searcher, matcher: gold.DocMatcher):
    """{question id: {chunk id: 1}} for the answerable questions, and counts of how spans were found."""
    by_doc: dict[str, list] = defaultdict(list)
    for c in searcher.chunks:
        by_doc[c.doc_id].append(c)
    qrels: dict[str, dict[str, int]] = {}
    how: dict[str, int] = defaultdict(int)
    unlocated: list[str] = []
    for q in questions:
        if not q.answerable:
            continue
        relevant: set[str] = set()
        for a in q.answers:
            doc_id = matcher.doc_id(a.doc)
            if doc_id is None or doc_id not in by_doc:
                how["doc not indexed"] += 1
                continue
            ids, found = gold.relevant_chunks(a.span, by_doc[doc_id], searcher.source_text(doc_id))
            how[found] += 1
            relevant |= ids
        if relevant:
            qrels[q.id] = {cid: 1 for cid in relevant}
        else:
            unlocated.append(q.id)
    return qrels, dict(how), unlocated


def _excerpt(text: str, n: int = 160) -> str:
    flat = " ".join(text.split())
    return flat[:n] + ("…" if len(flat) > n else "")


def open_gold_docs(docs: Sequence[Path], settings: Settings, name: str, progress: Progress | None = None, max_k: int = 100):
    """A searcher over the cached index of a gold set's documents (cache name `<name>-docs`, shared by
    the retrieval and answer runs), its index facts, the sources and the files skipped."""
    sources, skipped = file_sources(docs)
    if not sources:
        raise QuarryError("no documents to index under " + ", ".join(map(str, docs)))
    searcher, info = open_cached(settings, name + "-docs", sources, progress, max_k)
    return searcher, info, sources, skipped


def evaluate_gold(gold_path: Path, docs: Sequence[Path], settings: Settings, modes: Sequence[str] = MODES,
                  k: int = 100, progress: Progress | None = None, name: str | None = None) -> list[ModeResult]:
    """Score each mode on a span gold set over the files in `docs`; a passage holding a span is relevant."""
    questions = gold.load(gold_path)
    name = name or gold_path.stem
    searcher, info, sources, skipped = open_gold_docs(docs, settings, name, progress, k)
    qrels, how, unlocated = _gold_qrels(questions, searcher, gold.DocMatcher(sources, docs))
    if not qrels:
        raise QuarryError(f"{gold_path}: no answer span was found in the indexed documents (do --docs point at them?)")
    scored = [q for q in questions if q.id in qrels]
    excluded = {"unanswerable": sum(1 for q in questions if not q.answerable)}
    if unlocated:
        excluded["span not found"] = len(unlocated)
    labels = {"contains": "inside one passage", "overlaps": "cut by a passage boundary (the overlapping passages count)",
              "missing": "not found in their document", "doc not indexed": "in a document that is not indexed"}
    notes = ["answer spans: " + ", ".join(f"{n} {labels.get(label, label)}" for label, n in sorted(how.items()))]
    if unlocated:
        notes.append("span not found for: " + ", ".join(unlocated[:20]) + (" …" if len(unlocated) > 20 else ""))
    if skipped:
        notes.append(f"{len(skipped)} file(s) under --docs were not indexable")
    depth = min(k, len(searcher.chunks))
    info["ranked"] = k
    by_id = {q.id: q for q in scored}

    def rank(mode: str) -> tuple[dict[str, list[str]], dict[str, str]]:
        rankings, firsts = {}, {}
        for q in scored:
            hits = ranked_hits(searcher, q.question, mode, depth)
            rankings[q.id] = [h.chunk.chunk_id for h in hits]
            firsts[q.id] = f"{hits[0].citation}: “{_excerpt(hits[0].chunk.text)}”" if hits else "(nothing)"
        return rankings, firsts

    def failure(qid: str, rank: int | None, first: str) -> dict[str, Any]:
        q = by_id[qid]
        return {"id": q.id, "question": q.question, "kind": q.kind, "found_at": rank,
                "expected": f"{Path(q.answers[0].doc).name}: “{_excerpt(q.answers[0].span)}”", "first": first}

    def say(mode: str) -> None:
        _say(progress, f"{name}: searching {len(scored)} questions ({mode})")

    return score_modes(modes, qrels, rank, failure, say,
                       kinds={q.id: q.kind for q in scored}, dataset=name, split="all", unit="passage", excluded=excluded,
                       notes=notes, index={**info, "docs": [str(d) for d in docs]})
