"""Answer quality: `evaluate_answers(searcher, gold) -> metrics`, used by `quarry eval --answers`.

Gold rows come in two shapes, both read here:
- the seed gold set (eval/gold/*.jsonl): {"id", "question", "answerable", "answers": [{"doc", "span"}]}
  -> an answerable question is answered when a gold span appears (whitespace and case aside) in the
  answer or in its first citation's quote;
- ConditionalQA (qa.jsonl): {"id", "question", "url", "not_answerable", "evidences": ["<p>...</p>"]}
  -> answered when the first citation's span overlaps a gold evidence sentence in the page `url`
  (the index's doc id for that page); the scenario is asked with the question, as in its BEIR queries.
Abstentions on answerable questions count as misses in every rate. `sweep` shows, for a range of
`abstain_below` thresholds, the abstention rates the setting would give (the calibration table).

    python -m eval.answers --gold eval/gold/seed.jsonl --index .quarry/index [--sweep] [--json]
    python -m eval.answers --gold ../shared/datasets/conditionalqa/qa.jsonl --index /tmp/cqa \\
        --beir-corpus ../shared/datasets/conditionalqa/corpus.jsonl   # builds the index if needed
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable

import numpy as np

NO_THRESHOLD = -1e9


def load_gold(path: str | Path) -> list[dict[str, Any]]:
    """Gold rows from a JSONL file (either shape; see the module docstring)."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def as_row(item: Any) -> dict[str, Any]:
    """A gold question as a dict: rows pass through; records with .question/.answers are read."""
    if isinstance(item, dict):
        return item
    return {"id": getattr(item, "id", None), "question": item.question, "answerable": getattr(item, "answerable", True),
            "answers": [{"doc": a.doc, "span": a.span} for a in getattr(item, "answers", ())]}


def question_text(row: dict[str, Any]) -> str:
    """What is asked: ConditionalQA rows put their scenario before the question (as its BEIR queries do)."""
    scenario = (row.get("scenario") or "").strip()
    return f"{scenario} {row['question']}" if scenario else row["question"]


def is_answerable(row: dict[str, Any]) -> bool:
    if "answerable" in row:
        return bool(row["answerable"])
    return not row.get("not_answerable", False)


def _norm(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split()).casefold()


def evidence_spans(text: str, evidence: Iterable[str]) -> list[tuple[int, int]]:
    """Where each gold evidence sentence (HTML stripped) stands in a document's text."""
    spans = []
    for ev in evidence:
        words = html.unescape(re.sub(r"<[^>]+>", " ", ev)).split()
        if not words:
            continue
        m = re.search(r"\s+".join(re.escape(w) for w in words), text)
        if m:
            spans.append(m.span())
    return spans


def judge(row: dict[str, Any], answer, source_text) -> dict[str, Any]:
    """One question's verdict: abstained, and (answerable) whether the answer holds the gold."""
    first = answer.citations[0] if answer.citations else None
    out: dict[str, Any] = {"id": row.get("id"), "answerable": is_answerable(row), "abstained": answer.abstained,
                           "confidence": answer.interpreted.get("confidence"), "reason": answer.interpreted.get("reason")}
    if not out["answerable"]:
        return out
    if row.get("answers") and isinstance(row["answers"][0], dict):  # seed shape: verbatim spans
        spans = [_norm(a["span"]) for a in row["answers"]]
        texts = [_norm(answer.answer)] + ([_norm(first.quote)] if first else [])
        out["hit"] = not answer.abstained and any(sp in t for sp in spans for t in texts)
    if "evidences" in row:
        doc = row.get("url")
        hit = False
        if first and not answer.abstained and first.hit.chunk.doc_id == doc:
            gold = evidence_spans(source_text(doc), row["evidences"])
            hit = any(first.char_start < b and a < first.char_end for a, b in gold)
        out["evidence_hit"] = hit
    return out


def evaluate_answers(searcher, gold: list[dict[str, Any]], k: int | None = None) -> dict[str, Any]:
    """Answer metrics over gold rows: span / evidence hit rates, abstention rates, latency, per-question rows."""
    rows, seconds = [], []
    gold = [as_row(g) for g in gold]
    if gold:
        searcher.ask(question_text(gold[0]), k=k)  # warm up (model load) outside the timings
    for row in gold:
        start = time.perf_counter()
        answer = searcher.ask(question_text(row), k=k)
        seconds.append(time.perf_counter() - start)
        rows.append(judge(row, answer, searcher.source_text))
    return summarise(rows, seconds)


def summarise(rows: list[dict[str, Any]], seconds: list[float] | None = None) -> dict[str, Any]:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    rate = lambda xs, key: round(sum(bool(x.get(key)) for x in xs) / len(xs), 4) if xs else None
    metrics: dict[str, Any] = {
        "questions": len(rows), "answerable": len(answerable), "unanswerable": len(unanswerable),
        "abstain_answerable": rate(answerable, "abstained"),
        "abstain_unanswerable": rate(unanswerable, "abstained"),
    }
    if any("hit" in r for r in answerable):
        metrics["span_hit"] = rate([r for r in answerable if "hit" in r], "hit")
    if any("evidence_hit" in r for r in answerable):
        metrics["evidence_hit"] = rate([r for r in answerable if "evidence_hit" in r], "evidence_hit")
    if seconds:
        metrics["latency_ms_p50"] = round(float(np.percentile(seconds, 50)) * 1000, 1)
        metrics["latency_ms_p95"] = round(float(np.percentile(seconds, 95)) * 1000, 1)
    metrics["rows"] = rows
    return metrics


def sweep(searcher, gold: list[dict[str, Any]], thresholds: Iterable[float], k: int | None = None) -> list[dict[str, Any]]:
    """Abstention rates and hit rates for each `abstain_below` threshold (one pass of answers)."""
    from search.api import Searcher

    free = Searcher(searcher.index, replace(searcher.settings, abstain_below=NO_THRESHOLD), searcher.dense.embedder)
    base = evaluate_answers(free, gold, k=k)["rows"]
    table = []
    for t in thresholds:
        rows = []
        for r in base:
            weak = not r["abstained"] and r["confidence"] is not None and r["confidence"] < t
            rows.append({**r, "abstained": r["abstained"] or weak,
                         **({"hit": r["hit"] and not weak} if "hit" in r else {}),
                         **({"evidence_hit": r["evidence_hit"] and not weak} if "evidence_hit" in r else {})})
        m = summarise(rows)
        m.pop("rows")
        table.append({"abstain_below": t, **m})
    return table


def build_beir_index(corpus: str | Path, settings) -> None:
    """Index a BEIR corpus.jsonl ({"_id", "title", "text"}) into settings.index (incremental)."""
    from indexer.build import Source, build_from_sources

    sources = []
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                sources.append(Source(doc_id=d["_id"], name=d["_id"], entry={"title": d.get("title") or d["_id"]}, text=d["text"]))
    build_from_sources(sources, settings)


def main(argv: list[str] | None = None) -> int:
    from quarry.settings import Settings
    from search import open_index

    p = argparse.ArgumentParser(prog="python -m eval.answers", description="Answer quality on a gold set.")
    p.add_argument("--gold", required=True, help="gold JSONL (seed shape or ConditionalQA qa.jsonl)")
    p.add_argument("--index", required=True, help="index directory")
    p.add_argument("--beir-corpus", help="build/refresh --index from this BEIR corpus.jsonl first")
    p.add_argument("-k", type=int, default=None, help="passages read per answer (default: the answer_passages setting)")
    p.add_argument("--abstain-below", type=float, default=None, help="override the abstain_below setting")
    p.add_argument("--no-checks", action="store_true", help="turn the answer_checks setting off")
    p.add_argument("--sweep", action="store_true", help="print the calibration table of abstain_below thresholds")
    p.add_argument("--json", action="store_true", help="one JSON object (metrics with per-question rows)")
    args = p.parse_args(argv)
    settings = Settings(index=args.index).with_(abstain_below=args.abstain_below)
    if args.no_checks:
        settings = replace(settings, answer_checks=False)
    if args.beir_corpus:
        build_beir_index(args.beir_corpus, settings)
    searcher = open_index(args.index, settings)
    gold = load_gold(args.gold)
    if args.sweep:
        for row in sweep(searcher, gold, [round(x, 2) for x in np.arange(0.5, 1.45, 0.05)], k=args.k):
            print(json.dumps(row))
        return 0
    metrics = evaluate_answers(searcher, gold, k=args.k)
    if args.json:
        print(json.dumps(metrics))
        return 0
    for key, value in metrics.items():
        if key != "rows":
            print(f"{key}: {value}")
    for r in metrics["rows"]:
        if r["answerable"] and (r["abstained"] or not r.get("hit", r.get("evidence_hit"))):
            print(f"  miss {r['id']}: {'abstained (' + str(r['reason']) + ')' if r['abstained'] else 'answered without the gold'}")
        elif not r["answerable"] and not r["abstained"]:
            print(f"  answered unanswerable {r['id']} (confidence {r['confidence']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
