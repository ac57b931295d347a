"""Retrieval metrics over ranked lists, computed by ranx (pure functions: no I/O, no model).

A ranking is the list of unit ids (documents or passages) in the order the searcher returned them.
ranx ranks by score, so each list is turned into strictly decreasing scores (n, n-1, ...): the
searcher's own order, ties included, is exactly what gets scored.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Mapping, Sequence

Qrels = Mapping[str, Mapping[str, int]]  # {query id: {unit id: graded relevance}}
Rankings = Mapping[str, Sequence[str]]  # {query id: [unit id, best first]}

# Our name -> ranx's name. Success@k is ranx's hit_rate@k (1 if any relevant unit is in the top k).
METRICS: dict[str, str] = {
    "ndcg@10": "ndcg@10",
    "recall@10": "recall@10",
    "recall@100": "recall@100",
    "mrr@10": "mrr@10",
    "map@100": "map@100",
    "success@1": "hit_rate@1",
    "success@5": "hit_rate@5",
}
CURVE_CUTOFFS = (1, 2, 3, 5, 10, 20, 30, 50, 100)


@dataclass(frozen=True)
class Scores:
    """Mean and per-query values of each metric, over the judged queries."""

    mean: dict[str, float]
    per_query: dict[str, dict[str, float]]  # metric -> {query id: value}
    queries: int


def judged(qrels: Qrels) -> dict[str, dict[str, int]]:
    """The queries with at least one relevant unit (relevance > 0); the only ones that can be scored."""
    return {q: {d: int(r) for d, r in units.items()} for q, units in qrels.items() if any(r > 0 for r in units.values())}


def evaluate(qrels: Qrels, rankings: Rankings, metrics: Mapping[str, str] = METRICS) -> Scores:
    """Score `rankings` against `qrels` (queries without a relevant unit are left out)."""
    from ranx import Qrels as RQrels
    from ranx import Run
    from ranx import evaluate as ranx_evaluate

    gold = judged(qrels)
    run: dict[str, dict[str, float]] = {}
    for qid in gold:
        ranked = list(dict.fromkeys(rankings.get(qid, ())))  # first occurrence wins
        run[qid] = {unit: float(len(ranked) - i) for i, unit in enumerate(ranked)}
    if not any(run.values()):  # nothing retrieved at all (ranx cannot build an empty run)
        return Scores({name: 0.0 for name in metrics}, {name: {q: 0.0 for q in gold} for name in metrics}, len(gold))
    rrun = Run(run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's unsafe-cast notices from inside ranx
        means = ranx_evaluate(RQrels(gold), rrun, list(metrics.values()), save_results_in_run=True)
    if len(metrics) == 1:
        means = {next(iter(metrics.values())): means}
    per_query = {name: {q: float(v) for q, v in rrun.scores[ranx_name].items()} for name, ranx_name in metrics.items()}
    return Scores({name: float(means[ranx_name]) for name, ranx_name in metrics.items()}, per_query, len(gold))


def recall_curve(qrels: Qrels, rankings: Rankings, cutoffs: Sequence[int] = CURVE_CUTOFFS) -> dict[int, float]:
    """Mean Recall@k for each k in `cutoffs` (the report's Recall@k plot)."""
    scores = evaluate(qrels, rankings, {f"recall@{k}": f"recall@{k}" for k in cutoffs})
    return {k: scores.mean[f"recall@{k}"] for k in cutoffs}


def first_relevant(relevant: Mapping[str, int], ranking: Sequence[str]) -> int | None:
    """1-based rank of the first relevant unit in `ranking`, or None when none was retrieved."""
    for rank, unit in enumerate(ranking, start=1):
        if relevant.get(unit, 0) > 0:
            return rank
    return None


def paired_p(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Two-sided paired t-test p-value of per-query scores a vs b over their common queries (1.0 if identical)."""
    from scipy.stats import ttest_rel

    queries = sorted(set(a) & set(b))
    diffs = [a[q] - b[q] for q in queries]
    if len(queries) < 2 or not any(diffs):
        return 1.0
    if len(set(diffs)) == 1:  # the same non-zero difference everywhere: no variance, certainly different
        return 0.0
    return float(ttest_rel([a[q] for q in queries], [b[q] for q in queries]).pvalue)
