"""Fit the learned hybrid ranker (search/ranker.py) honestly: on training splits, reported leave-one-set-out.

    python -m eval.fusion [--sets seed,cisi,...] [--out search/ranker.json] [--loso eval/fusion]

For every judged set it gathers, through the real `Searcher.candidates` (the code behind `quarry search`),
the hybrid candidates of each question with their features and whether each passage is relevant. Each set's
questions are split in two by a hash of the question id (Ofsted silver QA: of the report, so one report's
questions stay together); the shipped ranker is fitted on the training halves of every set, and for each
group of sets (seed questions, letters, silver, CISI, ConditionalQA) a ranker is fitted on the training
halves of the *other* groups only, so `quarry eval --ranker eval/fusion/without-<group>.json` scores a set
with a ranker that never saw any of it. Loss: pairwise logistic (every relevant passage above every other
candidate of its question), each set weighing the same, L2-regularised; scipy's L-BFGS.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from quarry.settings import Settings
from search.features import ALL_FEATURES, FEATURES, FEATURES_VERSION, with_interactions
from search.ranker import DEFAULT_RANKER, LinearRanker

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
L2 = 1e-3


@dataclass(frozen=True)
class FitSet:
    """One judged set: how `quarry eval` names it and opens it, and the group it is held out with."""

    name: str
    group: str
    gold: str = ""  # a span gold set (path), or
    beir: str = ""  # a BEIR folder
    docs: tuple[str, ...] = ()
    corpus: str = "corpus.jsonl"
    split: str = "test"
    by_doc: bool = False  # split questions by their answer's document (one report's questions stay together)


SETS: tuple[FitSet, ...] = (
    FitSet("seed", "seed", gold="eval/gold/seed.jsonl", docs=("corpus",)),
    FitSet("seed+371-letters", "seed", gold="eval/gold/seed.jsonl", docs=("corpus", f"{SHARED}/ofsted/focused_visits")),
    FitSet("letters+seed", "letters", gold="eval/gold/letters.jsonl", docs=("corpus", f"{SHARED}/ofsted/focused_visits")),
    FitSet("ofsted-silver-qa", "silver", gold=f"{SHARED}/ofsted/silver_qa.jsonl", docs=(f"{SHARED}/ofsted/inspections",), by_doc=True),
    FitSet("cisi", "cisi", beir=f"{SHARED}/cisi"),
    FitSet("conditionalqa:sections", "cqa", beir=f"{SHARED}/conditionalqa", corpus="sections.jsonl", split="sections_test"),
    FitSet("conditionalqa", "cqa", beir=f"{SHARED}/conditionalqa"),
)


@dataclass
class SetData:
    """Every question's candidates: feature rows, relevance, and which half of the split it is in."""

    name: str
    group: str
    qids: list[str]
    x: list[np.ndarray]  # per question: (candidates, features)
    y: list[np.ndarray]  # per question: 1 relevant, 0 not
    verbatim: list[np.ndarray]
    train: list[bool]


def in_train(key: str) -> bool:
    """The fixed half of a split a question (or report) falls in: a hash, so reruns split the same way."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 2 == 0


def _labels(searcher, rows: Sequence[int], relevant: set[str], by: Callable) -> np.ndarray:
    return np.array([by(searcher.chunks[r]) in relevant for r in rows], dtype=np.float32)


def collect(spec: FitSet, settings: Settings, say: Callable[[str], None]) -> SetData:
    """Gather one set's candidates through the cached eval index (built by `quarry eval` if missing)."""
    from eval import beir, gold
    from eval.harness import _gold_qrels, open_cached, open_gold_docs

    out = SetData(spec.name, spec.group, [], [], [], [], [])
    if spec.gold:
        questions = gold.load(ROOT / spec.gold if not Path(spec.gold).is_absolute() else Path(spec.gold))
        docs = [ROOT / d if not Path(d).is_absolute() else Path(d) for d in spec.docs]
        searcher, _, sources, _ = open_gold_docs(docs, settings, spec.name, None, 100)
        qrels, _, _ = _gold_qrels(questions, searcher, gold.DocMatcher(sources, docs))
        items = [(q.id, q.question, set(qrels[q.id]), q.answers[0].doc if spec.by_doc else q.id)
                 for q in questions if q.id in qrels]
        by = lambda chunk: chunk.chunk_id  # noqa: E731
    else:
        data = beir.load(Path(spec.beir), spec.split, spec.corpus)
        searcher, _ = open_cached(settings, data.name, data.sources, None, 1000)
        items = [(qid, text, {d for d, r in data.qrels[qid].items() if r > 0}, qid) for qid, text in data.queries.items()]
        by = lambda chunk: chunk.doc_id  # noqa: E731
    stored = _stored(spec, searcher, settings, items)
    if stored.is_file():
        return _load(stored, out)
    clock = time.perf_counter()
    for qid, text, relevant, key in items:
        cands = searcher.candidates(text)
        out.qids.append(qid)
        out.x.append(cands.features)
        out.y.append(_labels(searcher, cands.rows, relevant, by))
        out.verbatim.append(cands.verbatim)
        out.train.append(in_train(key))
    say(f"{spec.name}: {len(items)} questions, {sum(map(len, out.y))} candidates in {time.perf_counter() - clock:.0f} s")
    _save(stored, out)
    return out


def _stored(spec: FitSet, searcher, settings: Settings, items: list) -> Path:
    """Where one set's gathered candidates are kept: keyed by its index, its questions and judgements,
    and the base features' version."""
    questions = json.dumps([(q, text, sorted(rel), key) for q, text, rel, key in items])
    key = hashlib.sha256(f"{searcher.index.folder}|{settings.candidates}|{FEATURES}|{FEATURES_VERSION}|{questions}".encode()).hexdigest()[:16]
    return Path(settings.eval_cache) / "fusion-data" / f"{spec.name.replace(':', '-')}-{key}.npz"


def _save(path: Path, data: SetData) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sizes = np.array([len(y) for y in data.y], dtype=np.int64)
    cat = lambda parts, width: np.concatenate(parts) if parts else np.zeros((0,) + width)  # noqa: E731
    np.savez(path, qids=np.array(data.qids), sizes=sizes, x=cat(data.x, (len(FEATURES),)), y=cat(data.y, ()),
             verbatim=cat(data.verbatim, ()), train=np.array(data.train, dtype=bool))


def _load(path: Path, out: SetData) -> SetData:
    with np.load(path, allow_pickle=False) as f:
        bounds = np.cumsum(np.concatenate([[0], f["sizes"]]))
        out.qids = [str(q) for q in f["qids"]]
        out.x = [f["x"][a:b] for a, b in zip(bounds, bounds[1:])]
        out.y = [f["y"][a:b] for a, b in zip(bounds, bounds[1:])]
        out.verbatim = [f["verbatim"][a:b] for a, b in zip(bounds, bounds[1:])]
        out.train = [bool(t) for t in f["train"]]
    return out


def pairs(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Differences x[relevant] - x[other] for every relevant/other pair of one question's candidates."""
    pos, neg = x[y > 0], x[y <= 0]
    if not len(pos) or not len(neg):
        return np.zeros((0, x.shape[1]))
    return (pos[:, None, :] - neg[None, :, :]).reshape(-1, x.shape[1])


def fit(sets: Sequence[SetData], train_only: bool = True, l2: float = L2, about: dict | None = None) -> LinearRanker:
    """A linear ranker fitted on the (training halves of the) given sets, each set weighing the same."""
    from scipy.optimize import minimize

    xs = [with_interactions(x) for s in sets for x, t in zip(s.x, s.train) if t or not train_only]
    stacked = np.concatenate(xs).astype(np.float64)
    mean, scale = stacked.mean(axis=0), stacked.std(axis=0)
    scale[scale < 1e-6] = 1.0
    diffs, weights = [], []
    for s in sets:
        chosen = [(x, y) for x, y, t in zip(s.x, s.y, s.train) if (t or not train_only)]
        chosen = [pairs((with_interactions(x) - mean) / scale, y) for x, y in chosen]
        chosen = [d for d in chosen if len(d)]
        for d in chosen:
            diffs.append(d)
            weights.append(np.full(len(d), 1.0 / (len(d) * len(chosen))))
    d, w = np.concatenate(diffs), np.concatenate(weights)
    w /= w.sum()

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        m = d @ beta
        value = float(w @ np.logaddexp(0, -m)) + l2 * float(beta @ beta)
        grad = -(d.T @ (w / (1 + np.exp(m)))) + 2 * l2 * beta
        return value, grad

    beta = minimize(loss, np.zeros(d.shape[1]), jac=True, method="L-BFGS-B").x
    return LinearRanker(ALL_FEATURES, mean, scale, beta, about=about or {})


def offline_metrics(s: SetData, score: Callable[[np.ndarray], np.ndarray], test_only: bool = False) -> dict[str, float]:
    """S@1, S@5 and MRR@10 of reordering each question's candidates by `score` (a quick check, not the report)."""
    s1 = s5 = rr = n = 0.0
    for x, y, v, t in zip(s.x, s.y, s.verbatim, s.train):
        if test_only and t:
            continue
        n += 1
        if not y.any():
            continue
        order = np.argsort(-(score(x) + 1e3 * v), kind="stable")
        first = int(np.flatnonzero(y[order] > 0)[0]) + 1
        s1 += first == 1
        s5 += first <= 5
        rr += 1.0 / first if first <= 10 else 0.0
    return {"S@1": s1 / n, "S@5": s5 / n, "MRR@10": rr / n} if n else {}


BASELINES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "bm25": lambda x: x[:, FEATURES.index("bm25_rr")] * 1e3 + x[:, FEATURES.index("bm25_norm")],
    "dense": lambda x: x[:, FEATURES.index("dense_rr")] * 1e3 + x[:, FEATURES.index("dense_cos")],
    "rrf": lambda x: sum(np.where(x[:, FEATURES.index(f)] > 0, 1 / (60 + 1 / np.maximum(x[:, FEATURES.index(f)], 1e-9)), 0)
                         for f in ("bm25_rr", "dense_rr")),
}


def convex(alpha: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: alpha * x[:, FEATURES.index("dense_norm")] + (1 - alpha) * x[:, FEATURES.index("bm25_norm")]


def fit_alpha(sets: Sequence[SetData]) -> float:
    """The convex-combination weight with the best mean MRR@10 over the sets' training halves."""
    def mean_mrr(alpha: float) -> float:
        train = [replace(s, x=[x for x, t in zip(s.x, s.train) if t], y=[y for y, t in zip(s.y, s.train) if t],
                         verbatim=[v for v, t in zip(s.verbatim, s.train) if t], train=[False] * sum(s.train)) for s in sets]
        return float(np.mean([offline_metrics(s, convex(alpha))["MRR@10"] for s in train]))
    return max(np.round(np.arange(0, 1.0001, 0.05), 2), key=mean_mrr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.fusion", description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(s.name for s in SETS), help="comma-separated set names")
    parser.add_argument("--out", default=str(DEFAULT_RANKER), help="where the shipped ranker goes")
    parser.add_argument("--loso", default=str(ROOT / "eval" / "fusion"), help="folder for the held-out-group rankers")
    args = parser.parse_args(argv)
    wanted = args.sets.split(",")
    say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    settings = replace(Settings(), fusion="rrf")
    data = [collect(s, settings, say) for s in SETS if s.name in wanted]
    command = "python -m eval.fusion" + ("" if len(wanted) == len(SETS) else f" --sets {args.sets}")
    groups = sorted({d.group for d in data})
    halves = {d.name: [sum(d.train), len(d.train) - sum(d.train)] for d in data}
    shipped = fit(data, about={"command": command, "fitted_on": "training halves of " + ", ".join(d.name for d in data),
                               "questions_train_test": halves, "alpha": fit_alpha(data)})
    shipped.save(args.out)
    loso = Path(args.loso)
    loso.mkdir(parents=True, exist_ok=True)
    table = []
    for g in groups:
        rest = [d for d in data if d.group != g]
        if not rest:
            continue
        alpha = fit_alpha(rest)
        ranker = fit(rest, about={"command": command, "held_out": g, "alpha": alpha,
                                  "fitted_on": "training halves of " + ", ".join(d.name for d in rest)})
        ranker.save(loso / f"without-{g}.json")
        for d in (d for d in data if d.group == g):
            row = {"set": d.name, "held_out": g, "alpha": alpha}
            for name, fn in {**BASELINES, "convex": convex(alpha), "learned": ranker.score}.items():
                row[name] = offline_metrics(d, fn)
            table.append(row)
    print(json.dumps({"shipped": shipped.to_json(), "loso": table}, indent=1))
    for row in table:
        say(f"{row['set']:<24} alpha {row['alpha']:.2f}  " + "  ".join(
            f"{m} {row[m]['S@1']:.3f}/{row[m]['S@5']:.3f}/{row[m]['MRR@10']:.3f}" for m in ("bm25", "dense", "rrf", "convex", "learned")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
