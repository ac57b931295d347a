"""Summary answers judged ("What did X say about Y": eval/gold/summary.jsonl, whose answer spans are the
judged key sentences): key-sentence recall and precision per answer, and the set's figures."""

from __future__ import annotations

import statistics
from typing import Any

from quarry.analysis import sentence_spans


def _norm(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split()).casefold()


def _sentences(quote: str) -> list[str]:
    return [quote[a:b] for a, b in sentence_spans(quote) if quote[a:b].strip()]


def summary_verdict(keys: list[str], quotes: list[str]) -> dict[str, float]:
    """Key-sentence recall (share of the judged key sentences quoted) and precision (share of the quoted
    sentences that are key sentences, a quoted sentence matching a key one either way round), whitespace
    and case aside."""
    norm_keys = [_norm(k) for k in keys]
    norm_quotes = [_norm(q) for q in quotes]
    said = [_norm(x) for q in quotes for x in _sentences(q)]
    recall = sum(any(k in q for q in norm_quotes) for k in norm_keys) / len(norm_keys) if norm_keys else 0.0
    precision = sum(any(x in k or k in x for k in norm_keys) for x in said) / len(said) if said else 0.0
    return {"key_recall": round(recall, 4), "key_precision": round(precision, 4)}


def summary_metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Over summary questions: mean key-sentence recall (an abstention on an answerable one scores 0),
    mean precision and the rate of answers quoting only the judged document (over answers given), quoted
    sentences judged context-dependent or boilerplate, and the abstention rates."""
    answerable = [r for r in rows if r["answerable"]]
    answered = [r for r in answerable if not r["abstained"]]
    mean = lambda xs: round(sum(xs) / len(xs), 4) if xs else None
    unanswerable = [r for r in rows if not r["answerable"]]
    return {"questions": len(rows), "answerable": len(answerable), "unanswerable": len(unanswerable),
            "key_recall": mean([r.get("key_recall", 0.0) if not r["abstained"] else 0.0 for r in answerable]),
            "key_precision": mean([r.get("key_precision", 0.0) for r in answered]),
            "named_only": mean([float(bool(r.get("named_only"))) for r in answered]),
            "sentences_p50": statistics.median([r["sentences"] for r in answered]) if answered else None,
            "flagged_sentences": sum(r.get("flagged", 0) for r in rows if not r["abstained"]),
            "abstain_answerable": mean([float(r["abstained"]) for r in answerable]),
            "abstain_unanswerable": mean([float(r["abstained"]) for r in unanswerable])}
