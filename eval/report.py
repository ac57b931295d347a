"""The Markdown report: one table per data set x mode beside published anchors, failures, Recall@k plot.

Each `quarry eval ... --report FILE.md` run saves its results as JSON in `results/` beside the report
(one file per data set and split, replaced on re-run) and then rebuilds the whole report from every
saved result, so runs of different data sets combine into one report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.harness import FAILURE_RANK, MODES as MODE_ORDER, ModeResult
from eval.markdown import capped_table, cell
from eval.records import read_records, write_record
from indexer.build import slug

ANCHORS = Path(__file__).with_name("anchors.json")
COLUMNS = {"ndcg@10": "nDCG@10", "recall@10": "R@10", "recall@100": "R@100", "mrr@10": "MRR@10",
           "map@100": "MAP@100", "success@1": "S@1", "success@5": "S@5"}
SHOWN_FAILURES = 15


def results_dir(report: Path) -> Path:
    return report.parent / "results"


def save(results: list[ModeResult], report: Path, command: str) -> Path:
    """Write one data set's results (all modes) to results/<dataset>-<split>.json beside the report."""
    first = results[0]
    path = results_dir(report) / f"{slug(first.dataset + '-' + first.split)}.json"
    return write_record(path, command, "results", [r.to_dict() for r in results])


def load_saved(report: Path) -> list[dict[str, Any]]:
    """Every saved retrieval run beside the report (results/*.json; answer runs live in results/answers/), oldest first."""
    return read_records(results_dir(report), "results", lambda rows: [ModeResult.from_dict(r) for r in rows])


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _ordered(results: list[ModeResult]) -> list[ModeResult]:
    return sorted(results, key=lambda r: MODE_ORDER.index(r.mode) if r.mode in MODE_ORDER else 99)


def headline(key: str, anchors: dict[str, Any], unit: str) -> str:
    """The metric a data set is judged on: its first target, else nDCG@10 (documents) or MRR@10 (passages)."""
    targets = anchors.get(key, {}).get("targets") or {}
    return next(iter(targets), "ndcg@10" if unit == "document" else "mrr@10")


def verdict(results: list[ModeResult], metric: str) -> str:
    """Whether hybrid beats both single retrievers on `metric`, with the differences and paired-test p-values."""
    by_mode = {r.mode: r for r in results}
    if not {"hybrid", "bm25", "dense"} <= set(by_mode):
        return "n/a"
    hybrid = by_mode["hybrid"]
    parts = []
    for mode in ("bm25", "dense"):
        diff = hybrid.metrics[metric] - by_mode[mode].metrics[metric]
        p = hybrid.versus.get(mode, {}).get(metric, {}).get("p")
        parts.append(f"{diff:+.4f} vs {mode}" + (f" (p={p:.2f})" if p is not None else ""))
    beats = all(hybrid.metrics[metric] > by_mode[m].metrics[metric] for m in ("bm25", "dense"))
    return ("yes: " if beats else "**no**: ") + ", ".join(parts)


def _targets_table(runs: list[dict[str, Any]], anchors: dict[str, Any]) -> list[str]:
    out = ["| data set | metric | target | hybrid | bm25 | dense | target met | hybrid beats both |", "|---|---|---|---|---|---|---|---|"]
    for run in runs:
        results = _ordered(run["results"])
        key = f"{results[0].dataset}/{results[0].split}"
        targets = anchors.get(key, {}).get("targets") or {headline(key, anchors, results[0].unit): None}
        by_mode = {r.mode: r for r in results}
        for metric, target in targets.items():
            h = by_mode.get("hybrid")
            met = "" if target is None or h is None else ("yes" if h.metrics[metric] >= target else "**no**")
            out.append(f"| {key} | {COLUMNS.get(metric, metric)} | {_fmt(target) or '–'} | "
                       + " | ".join(_fmt(by_mode[m].metrics[metric]) if m in by_mode else "" for m in ("hybrid", "bm25", "dense"))
                       + f" | {met or '–'} | {verdict(results, metric)} |")
    return out


def _dataset_section(run: dict[str, Any], anchors: dict[str, Any]) -> list[str]:
    results = _ordered(run["results"])
    first = results[0]
    key = f"{first.dataset}/{first.split}"
    out = [f"## {key}", "", f"`{run['command']}`  ({run['generated']}, quarry {run['quarry_version']})", ""]
    judged = f"{first.queries} questions scored at {first.unit} level"
    if first.excluded:
        judged += "; not scored: " + ", ".join(f"{n} {why}" for why, n in first.excluded.items())
    idx = first.index
    vectors = f" ({'/'.join(idx['precision'])} vectors)" if idx.get("precision") else ""
    out.append(f"{judged}. Index: {idx.get('documents')} documents, {idx.get('chunks')} passages, model {idx.get('model')}{vectors}, "
               f"max_chunk_tokens {idx.get('max_chunk_tokens')}, fusion {idx.get('fusion')}"
               + (f" (ranker {idx['fusion_model']})" if idx.get("fusion_model") else "") + f" over {idx.get('candidates')} candidates.")
    out += ["", "| mode | " + " | ".join(COLUMNS.values()) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for r in results:
        out.append(f"| {r.mode} | " + " | ".join(_fmt(r.metrics.get(m)) for m in COLUMNS) + " |")
    for anchor in anchors.get(key, {}).get("anchors", []):
        out.append(f"| *{anchor['system']}* | " + " | ".join(_fmt(anchor.get(m)) for m in COLUMNS) + " |")
    targets = anchors.get(key, {}).get("targets")
    if targets:
        out.append("| *target (hybrid)* | " + " | ".join(_fmt(targets.get(m)) for m in COLUMNS) + " |")
    for note in first.notes:
        out += ["", f"Note: {note}"]
    kinds = next((r.by_kind for r in results if r.mode == "hybrid" and r.by_kind), None)
    if kinds:
        out += ["", "By question kind (S@1 / S@5 / MRR@10 per mode):", "",
                "| kind | questions | " + " | ".join(r.mode for r in results) + " |", "|---|---|" + "---|" * len(results)]
        for kind, row in kinds.items():
            cells = [f"{r.by_kind[kind]['success@1']:.2f} / {r.by_kind[kind]['success@5']:.2f} / {r.by_kind[kind]['mrr@10']:.2f}"
                     for r in results if kind in r.by_kind]
            out.append(f"| {kind} | {int(row['queries'])} | " + " | ".join(cells) + " |")
    shown = next((r for r in results if r.mode == "hybrid"), results[-1])
    out += ["", f"Failures ({shown.mode}: no relevant {shown.unit} in the top {FAILURE_RANK}): "
                f"{shown.failure_count} of {shown.queries}" + ("." if shown.failure_count else " — none."), ""]
    if shown.failures:
        rows = [[cell(f["id"]), cell(f["question"][:200]), cell(f["expected"][:220]), cell(f["first"][:220]),
                 str(f["found_at"] or "not in top " + str(shown.index.get("ranked", "")))]
                for f in shown.failures[:SHOWN_FAILURES]]
        out += capped_table(["id", "question", "expected", "first result", "relevant found at"], rows,
                            shown.failure_count, SHOWN_FAILURES, f"results/{slug(key.replace('/', '-'))}.json")
    return out


def plot(runs: list[dict[str, Any]], path: Path) -> None:
    """Recall@k per mode, one panel per data set (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(runs)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 3.4 * rows), squeeze=False)
    for ax, run in zip(axes.flat, runs):
        results = _ordered(run["results"])
        for r in results:
            ks = sorted(r.curve)
            ax.plot(ks, [r.curve[k] for k in ks], marker="o", markersize=3, label=r.mode)
        ax.set_xscale("log")
        ax.set_xticks(ks, [str(k) for k in ks], fontsize=7)
        ax.minorticks_off()
        ax.set_ylim(0, 1)
        ax.set_title(f"{results[0].dataset}/{results[0].split} ({results[0].unit}s)", fontsize=9)
        ax.set_xlabel("k")
        ax.set_ylabel("Recall@k")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(report: Path) -> Path:
    """Rebuild `report` (Markdown) and its Recall@k PNG from every saved result beside it (answers included)."""
    from eval import report_answers, report_compare, report_verify

    runs = load_saved(report)
    answer_runs = report_answers.load_saved(report)
    compare_runs = report_compare.load_saved(report)
    verify_runs = report_verify.load_saved(report)
    anchors = json.loads(ANCHORS.read_text(encoding="utf-8"))
    png = report.with_name(report.stem + "-recall.png")
    out = ["# quarry retrieval evaluation", "",
           "Made by these commands (each saves its data set's results in `results/` and rebuilds this file):", "", "```"]
    out += [run["command"] for run in runs + answer_runs + compare_runs + verify_runs] + ["```", "",
            "Metrics from ranx. BEIR sets are judged per document (a document scores as its best passage); gold sets "
            "per passage (a passage is relevant when it contains an answer span, whitespace collapsed). "
            "Unanswerable questions are not scored. The first `candidates` passages of each list are exactly what "
            "`quarry search` returns. In the last column p is a two-sided paired t-test over the queries: "
            "p ≥ 0.05 means the difference is within the noise of this set.", "",
            "## Targets and whether hybrid beats both single retrievers", ""]
    out += _targets_table(runs, anchors)
    for run in runs:
        out += [""] + _dataset_section(run, anchors)
    if runs:
        plot(runs, png)
        out += ["", "## Recall@k", "", f"![Recall@k per mode]({png.name})"]
    if answer_runs:
        out += [""] + report_answers.section(answer_runs, anchors)
    if compare_runs:
        out += [""] + report_compare.section(compare_runs)
    if verify_runs:
        out += [""] + report_verify.section(verify_runs)
    notes = results_dir(report) / "NOTES.md"
    if notes.is_file():
        out += ["", notes.read_text(encoding="utf-8").strip()]
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(out) + "\n", encoding="utf-8")
    return png
