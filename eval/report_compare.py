"""The report's "Comparison view (`quarry compare`)" section, from `quarry eval --compare ... --report FILE.md` runs.

Each run is saved as results/compare/<dataset>.json beside the report (replaced on re-run). The section
shows one table of every data set against the issue's targets (Success@1 >= 0.80 and Success@3 >= 0.90
for the named authority's row; judged not-covered rows abstain >= 0.90), then each set's first misses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eval.compare import CompareResult
from eval.markdown import capped_table, cell
from eval.records import read_records, write_record
from indexer.build import slug

TARGETS = {"success_at_1": 0.80, "success_at_3": 0.90, "not_covered_abstained": 0.90}
SHOWN_MISSES = 10


def compare_dir(report: Path) -> Path:
    return report.parent / "results" / "compare"


def save(result: CompareResult, report: Path, command: str) -> Path:
    return write_record(compare_dir(report) / f"{slug(result.dataset)}.json", command, "result", result.to_dict())


def load_saved(report: Path) -> list[dict[str, Any]]:
    return read_records(compare_dir(report), "result", CompareResult.from_dict)


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _verdict(r: CompareResult) -> str:
    out = []
    for metric, target in TARGETS.items():
        value = getattr(r, metric)
        if value is None:
            continue
        out.append(f"{metric.replace('_at_', '@').replace('_', ' ')} ≥ {target:.2f}: " + ("met" if value >= target else "**missed**"))
    return "; ".join(out)


def section(runs: list[dict[str, Any]]) -> list[str]:
    """The section (empty when no compare run is saved)."""
    if not runs:
        return []
    out = ["## Comparison view (`quarry compare`)", "",
           "Questions that name a local authority are asked without it and compared by authority (one retrieval pass, "
           "then grouping); the named authority's row is judged: S@1 when its first passage holds the gold span, S@3 "
           "when one of its first three does. `finding abstains` is the share of those rows (which do hold the answer) "
           "without a finding. Not covered: judged (topic, authority) rows whose reports never mention the topic "
           "(eval/gold/compare_not_covered.jsonl) should abstain; `covered found` is the share of rows whose letters "
           "do name the topic that give a finding. Seconds: one whole comparison, warm, this machine.", "",
           "| data set | questions | groups | S@1 | S@3 | finding abstains | finding holds span | not covered (abstains) "
           "| covered found | p50 s | max s | targets |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for run in runs:
        r: CompareResult = run["result"]
        nc = f"{r.not_covered_cases} ({_fmt(r.not_covered_abstained)})" if r.not_covered_cases else "–"
        out.append(f"| {cell(r.dataset)} | {r.questions} | {r.groups} | {_fmt(r.success_at_1)} | {_fmt(r.success_at_3)} | "
                   f"{_fmt(r.finding_abstained)} | {_fmt(r.finding_has_span)} | {nc} | {_fmt(r.covered_found)} | "
                   f"{r.seconds_p50:.2f} | {r.seconds_max:.2f} | {_verdict(r)} |")
    for run in runs:
        r = run["result"]
        out += ["", f"### {r.dataset}", "", f"`{run['command']}`", ""]
        if r.excluded:
            out += ["Not scored: " + ", ".join(f"{n} {why}" for why, n in r.excluded.items()) + ".", ""]
        if r.misses:
            shown = r.misses[:SHOWN_MISSES]
            out += capped_table(["question (authority stripped)", "authority", "in top 3", "its first passage"],
                                [[cell(m["question"]), cell(m["authority"]), "yes" if m["at3"] else "no", cell(m["first"])]
                                 for m in shown], len(r.misses), SHOWN_MISSES, f"results/compare/{slug(r.dataset)}.json")
        if r.not_covered_misses:
            out += ["", "Not-covered rows that gave a finding:", ""]
            shown = r.not_covered_misses[:SHOWN_MISSES]
            out += capped_table(["topic", "authority", "finding"],
                                [[cell(m["topic"]), cell(m["authority"]), cell(m["quote"])] for m in shown],
                                len(r.not_covered_misses), SHOWN_MISSES, f"results/compare/{slug(r.dataset)}.json")
    return out
