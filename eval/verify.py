"""Score quote checking (#19) on a verdict gold set (eval/gold/verify.jsonl, see eval/make_verify_gold.py).

    python -m eval.verify --gold eval/gold/verify.jsonl --docs corpus --docs ../shared/datasets/ofsted/focused_visits [--json]
        [--model hash] [--eval-cache DIR]

The documents are indexed through the eval cache like every harness run (eval/harness.open_gold_docs) and
each row is checked through `search.quote_check.check_quote`. Reported: per-verdict precision and recall, the
confusion matrix (gold row -> predicted column), the share of `altered` rows whose changed words are named,
the share of found rows whose source span is the gold span, and p50/p95 latency per check.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

from quarry.jsonl import read_jsonl
from quarry.settings import Settings
from search.quote_check import VERDICTS, QuoteCheck, check_quote

TARGET = 0.95  # precision and recall per verdict, and altered rows naming their changed words (#19)


@dataclass(frozen=True)
class GoldRow:
    id: str
    text: str
    verdict: str
    kind: str = ""
    span: str | None = None
    changed: tuple[tuple[str, str], ...] = ()  # (claim words, source words)


def load_gold(path: Path) -> list[GoldRow]:
    """Read a verdict gold set; rows need id, text and a known verdict."""
    rows = []
    for n, row in read_jsonl(path, "no such gold set"):
        if row.get("verdict") not in VERDICTS or not row.get("text"):
            raise ValueError(f"{path}:{n}: expected {{\"id\", \"text\", \"verdict\" in {VERDICTS}}}")
        changed = tuple((c.get("claim", ""), c.get("source", "")) for c in row.get("changed") or ())
        rows.append(GoldRow(str(row.get("id") or n), row["text"], row["verdict"], row.get("kind", ""), row.get("span"), changed))
    return rows


def words(text: str) -> str:
    """Text compared for naming and spans: lower-case words and numbers only, single-spaced."""
    text = re.sub(r"['\u2019]s\b", "", text.lower())  # a possessive names the same thing
    return " ".join(re.findall(r"[^\W_]+", text.replace("\u2019", "").replace("'", "")))


def names_changes(gold: Sequence[tuple[str, str]], predicted: QuoteCheck) -> bool:
    """True when every gold change is one of the check's meaning-changing differences, and nothing else is."""
    found = {(words(d.claim), words(d.source)) for d in predicted.changed}
    wanted = {(words(c), words(s)) for c, s in gold}
    return bool(wanted) and found == wanted


def same_span(gold_span: str, predicted: QuoteCheck) -> bool:
    """True when the check's source text is the gold span (words compared: case, quotes and spacing ignored)."""
    return predicted.source is not None and words(predicted.source.quote) == words(gold_span)


def precision_recall(pairs: Sequence[tuple[str, str]]) -> dict[str, dict[str, float]]:
    """Per verdict: precision, recall and support from (gold, predicted) pairs."""
    out = {}
    for v in VERDICTS:
        tp = sum(1 for g, p in pairs if g == v and p == v)
        predicted = sum(1 for _, p in pairs if p == v)
        gold = sum(1 for g, _ in pairs if g == v)
        out[v] = {"precision": tp / predicted if predicted else 0.0, "recall": tp / gold if gold else 0.0, "support": gold}
    return out


def confusion(pairs: Sequence[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """{gold verdict: {predicted verdict: count}}."""
    return {g: {p: sum(1 for x, y in pairs if x == g and y == p) for p in VERDICTS} for g in VERDICTS}


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


@dataclass
class VerifyResult:
    """The figures of one run over a gold set."""

    rows: int
    per_verdict: dict[str, dict[str, float]]
    confusion: dict[str, dict[str, int]]
    altered_named: float
    span_match: float
    latency_ms_p50: float
    latency_ms_p95: float
    chunks: int
    model: str
    misses: list[dict[str, Any]] = field(default_factory=list)
    dataset: str = "verify"  # the gold set's name: the saved run is results/verify/<dataset>.json beside the report

    def line(self) -> dict[str, Any]:
        """The --json object."""
        return {"dataset": self.dataset, "rows": self.rows, "chunks": self.chunks, "model": self.model,
                "per_verdict": {v: {k: round(x, 4) for k, x in m.items()} for v, m in self.per_verdict.items()},
                "confusion": self.confusion, "altered_named": round(self.altered_named, 4),
                "span_match": round(self.span_match, 4), "latency_ms_p50": round(self.latency_ms_p50, 1),
                "latency_ms_p95": round(self.latency_ms_p95, 1), "misses": self.misses}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "VerifyResult":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    def met(self) -> bool:
        """Whether every per-verdict precision and recall, and altered naming, reach TARGET."""
        return all(m[k] >= TARGET for m in self.per_verdict.values() for k in ("precision", "recall")) and self.altered_named >= TARGET


def evaluate(searcher: Any, gold: Sequence[GoldRow], model: str = "", dataset: str = "verify") -> VerifyResult:
    """Check every gold row through check_quote and score the verdicts, the naming, the spans and the latency."""
    check_quote(searcher, gold[0].text)  # warm-up: BM25 arrays, stemmer and sentence splitter load on first use
    pairs, latencies, misses = [], [], []
    named, altered, spans, spanned = 0, 0, 0, 0
    for row in gold:
        clock = time.perf_counter()
        result = check_quote(searcher, row.text)
        latencies.append((time.perf_counter() - clock) * 1000)
        pairs.append((row.verdict, result.verdict))
        ok_named = True
        if row.verdict == "altered" and row.changed:
            altered += 1
            ok_named = names_changes(row.changed, result)
            named += ok_named
        if row.span and result.verdict == row.verdict and row.verdict != "not_found":
            spanned += 1
            spans += same_span(row.span, result)
        if result.verdict != row.verdict or not ok_named:
            misses.append({"id": row.id, "kind": row.kind, "gold": row.verdict, "predicted": result.verdict,
                           "text": row.text[:200], "source": result.source.quote[:200] if result.source else None,
                           "differences": [f"{d.kind}: {d.claim!r} -> {d.source!r}" for d in result.differences]})
    return VerifyResult(len(gold), precision_recall(pairs), confusion(pairs), named / altered if altered else 0.0,
                        spans / spanned if spanned else 0.0, percentile(latencies, 50), percentile(latencies, 95),
                        len(searcher.chunks), model, misses, dataset)


def report(result: VerifyResult) -> str:
    """The figures as plain text lines."""
    lines = [f"quote checking: {result.rows} rows over {result.chunks} passages (model {result.model})",
             f"{'verdict':<10} {'precision':>9} {'recall':>7} {'support':>7}"]
    for v, m in result.per_verdict.items():
        lines.append(f"{v:<10} {m['precision']:>9.3f} {m['recall']:>7.3f} {int(m['support']):>7}")
    lines.append("confusion (rows gold, columns predicted): " + " ".join(f"{v[:8]:>9}" for v in VERDICTS))
    for g, row in result.confusion.items():
        lines.append(f"  {g:<10}" + " ".join(f"{row[p]:>9}" for p in VERDICTS))
    lines.append(f"altered rows naming their changed words: {result.altered_named:.3f}")
    lines.append(f"found rows whose source is the gold span: {result.span_match:.3f}")
    lines.append(f"latency per check: p50 {result.latency_ms_p50:.1f} ms, p95 {result.latency_ms_p95:.1f} ms")
    lines.append(f"targets (>= {TARGET} each): {'met' if result.met() else 'missed'}")
    for m in result.misses[:40]:
        lines.append(f"  miss {m['id']} [{m['kind']}] {m['gold']} -> {m['predicted']}: {m['text'][:100]!r} | {'; '.join(m['differences'])[:160]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Index the documents (cached), check every gold row, print the figures; exit 1 when a target is missed."""
    from eval.harness import open_gold_docs

    p = argparse.ArgumentParser(description="score quote checking (#19) on a verdict gold set")
    p.add_argument("--gold", type=Path, default=Path("eval/gold/verify.jsonl"))
    p.add_argument("--docs", type=Path, action="append", help="files or folders the gold set's documents are in (repeat)")
    p.add_argument("--model", default=Settings().model, help="embedding model of the index (hash = the fast fake)")
    p.add_argument("--eval-cache", default=Settings().eval_cache)
    p.add_argument("--json", action="store_true", help="one JSON object instead of the text report")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    args = p.parse_args(argv)
    settings = replace(Settings(), model=args.model, eval_cache=args.eval_cache)
    progress = None if args.quiet or args.json else (lambda msg: print(msg, file=sys.stderr))
    gold = load_gold(args.gold)
    searcher, info, _, _ = open_gold_docs(args.docs or [Path("corpus")], settings, args.gold.stem, progress)
    result = evaluate(searcher, gold, info["model"], args.gold.stem)
    print(json.dumps(result.line()) if args.json else report(result))
    return 0 if result.met() else 1


if __name__ == "__main__":
    sys.exit(main())
