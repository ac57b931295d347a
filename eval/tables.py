"""The plain-text tables `quarry eval` prints: one row per retrieval mode, or one row of answer quality."""

from __future__ import annotations

from typing import Sequence

from eval.answers import AnswerResult
from eval.harness import ModeResult
from eval.report import COLUMNS


def retrieval_table(results: Sequence[ModeResult]) -> str:
    """The data set, how many queries were scored, then each mode's metrics and the first result's notes."""
    first = results[0]
    lines = [f"{first.dataset}/{first.split}: {first.queries} queries scored per {first.unit}"
             + ("; not scored: " + ", ".join(f"{n} {why}" for why, n in first.excluded.items()) if first.excluded else "")]
    lines.append(f"{'mode':<8}" + "".join(f"{h:>9}" for h in COLUMNS.values()))
    for r in results:
        lines.append(f"{r.mode:<8}" + "".join(f"{r.metrics[m]:>9.3f}" for m in COLUMNS))
    lines += [f"note: {note}" for note in first.notes]
    return "\n".join(lines)


def answers_table(result: AnswerResult) -> str:
    """Question counts and threshold, the hit and abstention rates with latency, and the number of misses."""
    m = result.metrics
    columns = {result.hit_key: result.hit_key.replace("_", " "), "abstain_answerable": "abstain(ans)", "abstain_unanswerable": "abstain(unans)",
               "latency_ms_p50": "p50 ms", "latency_ms_p95": "p95 ms"}
    return "\n".join([
        f"{result.dataset}: {m['answerable']} answerable and {m['unanswerable']} unanswerable questions, "
        f"abstain_below {m['abstain_below']}",
        "".join(f"{h:>16}" for h in columns.values()),
        "".join(f"{'–' if m.get(k) is None else m[k]:>16}" for k in columns),
        f"misses: {result.miss_count} (answerable questions missed, unanswerable ones answered)",
    ])
