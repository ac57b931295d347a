"""The report's "Quote checking (`quarry verify`)" section, from `quarry eval --verify ... --report FILE.md` runs.

Each run is saved as results/verify/<dataset>.json beside the report (replaced on re-run; eval/report.py
reads only results/*.json). Per data set the section shows per-verdict precision and recall against the
issue's target (eval/verify.TARGET, #19), the confusion matrix, the share of altered rows whose changed
words are named, the share of found rows whose source is the gold span, p50/p95 latency, the command,
then the first misses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eval.markdown import capped_table, cell
from eval.records import read_records, write_record
from eval.verify import TARGET, VerifyResult
from indexer.build import slug
from search.quote_check import VERDICTS

SHOWN_MISSES = 15


def verify_dir(report: Path) -> Path:
    return report.parent / "results" / "verify"


def save(result: VerifyResult, report: Path, command: str) -> Path:
    """Write one gold set's quote-checking result to results/verify/<dataset>.json beside the report."""
    return write_record(verify_dir(report) / f"{slug(result.dataset)}.json", command, "result", result.to_dict())


def load_saved(report: Path) -> list[dict[str, Any]]:
    return read_records(verify_dir(report), "result", VerifyResult.from_dict)


def _mark(value: float) -> str:
    return f"{value:.3f}" if value >= TARGET else f"**{value:.3f}**"


def section(runs: list[dict[str, Any]]) -> list[str]:
    """The section (empty when no verify run is saved)."""
    if not runs:
        return []
    out = ["## Quote checking (`quarry verify`)", "",
           "Every row of a verdict gold set (eval/gold/verify.jsonl, made by eval/make_verify_gold.py) is checked "
           "through `search.quote_check.check_quote`: `verbatim` (in one section as written, after normalising "
           "whitespace, quotes, dashes and case), `close` (differs only in punctuation, filler words, number format "
           "or spelling), `altered` (differs in a number, date, name, negation, quantifier or other word) or "
           "`not_found`. `altered named` is the share of altered rows whose "
           "changed words are exactly the ones the check names; `span match` the share of correctly found rows "
           "whose source text is the gold span. Latency: one check, warm, this machine. "
           f"Target (#19): every precision, recall and `altered named` ≥ {TARGET:.2f}; figures below it are in bold."]
    for run in runs:
        r: VerifyResult = run["result"]
        out += ["", f"### {r.dataset}", "", f"`{run['command']}`", "",
                f"{r.rows} rows over {r.chunks} passages (model `{r.model}`); altered named {_mark(r.altered_named)}; "
                f"span match {r.span_match:.3f}; latency p50 {r.latency_ms_p50:.1f} ms, p95 {r.latency_ms_p95:.1f} ms; "
                f"targets {'met' if r.met() else '**missed**'}.", "",
                "| verdict | precision | recall | rows |", "|---|---|---|---|"]
        for v, m in r.per_verdict.items():
            out.append(f"| {v} | {_mark(m['precision'])} | {_mark(m['recall'])} | {int(m['support'])} |")
        columns = [v for v in VERDICTS if v in r.confusion] or list(r.confusion)
        out += ["", "Confusion (rows: gold verdict, columns: predicted):", "",
                "| gold \\ predicted | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
        for g, row in r.confusion.items():
            out.append(f"| {g} | " + " | ".join(str(row.get(p, 0)) for p in columns) + " |")
        if r.misses:
            out += ["", "Misses (wrong verdict, or altered with its changed words not named):", ""]
            shown = r.misses[:SHOWN_MISSES]
            out += capped_table(["id", "kind", "gold", "predicted", "text", "differences named"],
                                [[cell(m["id"]), cell(m.get("kind", "")), m["gold"], m["predicted"], cell(m["text"]),
                                  cell("; ".join(m.get("differences", [])) or "–")] for m in shown],
                                len(r.misses), SHOWN_MISSES, f"results/verify/{slug(r.dataset)}.json")
    return out
