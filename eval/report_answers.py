"""The report's "Answers (`quarry ask`)" section, from `quarry eval --answers ... --report FILE.md` runs.

Each run is saved as results/answers/<dataset>.json beside the report (replaced on re-run; the
retrieval results in results/*.json are read by eval/report.py alone). The section shows one table of
every data set with the issue's targets (`<dataset>/answers` in eval/anchors.json) met or missed, then
per data set the calibration table of `abstain_below` and the first misses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eval.answers import AnswerResult
from eval.markdown import capped_table, cell
from eval.records import read_records, write_record
from indexer.build import slug

SHOWN_MISSES = 15
LABELS = {"span_hit": "span hit", "evidence_hit": "evidence hit", "abstain_answerable": "abstains on answerable",
          "abstain_unanswerable": "abstains on unanswerable"}


def answers_dir(report: Path) -> Path:
    return report.parent / "results" / "answers"


def save(result: AnswerResult, report: Path, command: str) -> Path:
    """Write one data set's answer result to results/answers/<dataset>.json beside the report."""
    return write_record(answers_dir(report) / f"{slug(result.dataset)}.json", command, "result", result.to_dict())


def load_saved(report: Path) -> list[dict[str, Any]]:
    """Every saved answer run beside the report, oldest first, its result as an AnswerResult."""
    return read_records(answers_dir(report), "result", AnswerResult.from_dict)


def checks(result: AnswerResult, anchors: dict[str, Any]) -> list[tuple[str, str, float, float | None, bool | None]]:
    """(metric, "≥" or "≤", target, measured, met) for each of the issue's targets on this data set."""
    spec = anchors.get(f"{result.dataset}/answers", {})
    out = []
    for sign, targets in (("≥", spec.get("targets") or {}), ("≤", spec.get("ceilings") or {})):
        for metric, target in targets.items():
            value = result.metrics.get(metric)
            met = None if value is None else (value >= target if sign == "≥" else value <= target)
            out.append((metric, sign, target, value, met))
    return out


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _summary(runs: list[dict[str, Any]], anchors: dict[str, Any]) -> list[str]:
    out = ["| data set | answerable | unanswerable | hit (span / evidence) | abstains on answerable | "
           "abstains on unanswerable | abstain_below | p50 ms | p95 ms | targets |", "|---|---|---|---|---|---|---|---|---|---|"]
    for run in runs:
        r: AnswerResult = run["result"]
        m = r.metrics
        verdicts = [f"{LABELS.get(metric, metric)} {sign} {target:.2f}: " + ("–" if met is None else "met" if met else "**missed**")
                    for metric, sign, target, _, met in checks(r, anchors)]
        out.append(f"| {r.dataset} | {m['answerable']} | {m['unanswerable']} | {_fmt(m.get(r.hit_key))} ({r.hit_key.split('_')[0]}) | "
                   f"{_fmt(m.get('abstain_answerable'))} | {_fmt(m.get('abstain_unanswerable'))} | {m['abstain_below']} | "
                   f"{_fmt(m.get('latency_ms_p50'), 0)} | {_fmt(m.get('latency_ms_p95'), 0)} | {'; '.join(verdicts) or '–'} |")
    return out


def _quality(r: AnswerResult) -> list[str]:
    """Held-out figures and the quote checks of #17."""
    m, held = r.metrics, r.metrics.get("held_out") or {}
    out = []
    if held:
        out.append(f"Held out (half the questions, by the set's split or else a hash of their id, never used to calibrate): {held.get('answerable')} answerable, "
                   f"{held.get('unanswerable')} unanswerable; {LABELS.get(r.hit_key)} {_fmt(held.get(r.hit_key))}, abstains on "
                   f"answerable {_fmt(held.get('abstain_answerable'))}, abstains on unanswerable {_fmt(held.get('abstain_unanswerable'))}.")
    summary = held.get("summary") or m.get("summary")
    if summary:
        which = "report split" if held.get("summary") else "all questions"
        out.append(f"Summary questions (\"What did X say about Y\"; {which}: {summary['answerable']} answerable, "
                   f"{summary['unanswerable']} unanswerable; search/answer_summary.py's weights and sentence count were "
                   f"chosen on the calibration split): key-sentence recall {_fmt(summary.get('key_recall'))}, precision "
                   f"{_fmt(summary.get('key_precision'))}, answers quoting only the named document {_fmt(summary.get('named_only'))}, "
                   f"median {summary.get('sentences_p50')} sentences quoted, {summary.get('flagged_sentences')} quoted sentence(s) "
                   f"judged context-dependent or boilerplate; abstains on answerable {_fmt(summary.get('abstain_answerable'))}, "
                   f"on unanswerable {_fmt(summary.get('abstain_unanswerable'))}.")
    if "flagged_sentences" in m:
        factoids = (f"factoid answers quote a median of {m['factoid_sentences_p50']} sentence(s)"
                    if m.get("factoid_sentences_p50") is not None else "no factoid questions")
        out.append(f"Quotes: {factoids}; {m['flagged_sentences']} quoted sentence(s) judged context-dependent or boilerplate.")
    return out


def _calibration(r: AnswerResult) -> list[str]:
    out = [f"Calibration (on the calibration half): the same answers at other `abstain_below` values (configured: {r.metrics['abstain_below']}).", "",
           f"| abstain_below | {LABELS.get(r.hit_key)} | abstains on answerable | abstains on unanswerable |", "|---|---|---|---|"]
    for row in r.sweep:
        mark = " ←" if row["abstain_below"] == r.metrics["abstain_below"] else ""
        out.append(f"| {row['abstain_below']}{mark} | {_fmt(row.get(r.hit_key))} | {_fmt(row.get('abstain_answerable'))} | "
                   f"{_fmt(row.get('abstain_unanswerable'))} |")
    return out


def _dataset(run: dict[str, Any]) -> list[str]:
    r: AnswerResult = run["result"]
    idx = r.index
    out = [f"### {r.dataset} (answers)", "", f"`{run['command']}`  ({run['generated']}, quarry {run['quarry_version']})", "",
           f"{r.questions} questions. Index: {idx.get('documents')} documents, {idx.get('chunks')} passages, model "
           f"{idx.get('model')}; answers read {idx.get('answer_passages')} passages, quote up to {idx.get('answer_sentences')} "
           f"sentences, answer checks {'on' if idx.get('answer_checks') else 'off'}"
           + (f", reranker {idx['reranker']}" if idx.get("reranker") else "") + f". {r.seconds:.0f} s in all."]
    quality = _quality(r)
    if quality:
        out += [""] + quality
    if r.sweep:
        out += [""] + _calibration(r)
    out += ["", f"Misses (answerable questions missed, unanswerable ones answered): {r.miss_count} of {r.questions}"
                + ("." if r.miss_count else " — none.")]
    if r.misses:
        rows = [[cell(miss["id"]), cell(miss["question"]), cell(miss["answer"]), cell(miss["expected"]),
                 _fmt(miss.get("confidence"), 2)] for miss in r.misses[:SHOWN_MISSES]]
        out += [""] + capped_table(["id", "question", "answer given", "expected", "confidence"], rows,
                                   r.miss_count, SHOWN_MISSES, f"results/answers/{slug(r.dataset)}.json")
    return out


def section(runs: list[dict[str, Any]], anchors: dict[str, Any]) -> list[str]:
    """The report's answers section (empty when no answer run is saved)."""
    if not runs:
        return []
    out = ["## Answers (`quarry ask`)", "",
           "Every question is asked once through `Searcher.ask` (the code of `quarry ask`) with the threshold off; "
           "each answer's confidence then gives the metrics at the configured `abstain_below` and at the other values "
           "of the calibration table. Span gold sets: an answerable question is answered when a gold span is in the "
           "answer or its first citation's quote. ConditionalQA: when the first citation overlaps a gold evidence "
           "sentence of the right page. Abstaining on an answerable question is a miss. Latency: warm `ask` per question.",
           ""]
    out += _summary(runs, anchors)
    for run in runs:
        out += [""] + _dataset(run)
    return out
