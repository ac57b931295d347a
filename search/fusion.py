"""Fusion of ranked lists: pure functions over {id: score} dicts, tested by hand arithmetic."""

from __future__ import annotations

from typing import Hashable, Iterable, Mapping, Sequence


def rrf(rankings: Sequence[Sequence[Hashable]], k: int = 60, weights: Sequence[float] | None = None) -> dict[Hashable, float]:
    """Reciprocal rank fusion (Cormack et al. 2009): sum over lists of w / (k + rank), rank from 1."""
    fused: dict[Hashable, float] = {}
    for i, ranking in enumerate(rankings):
        w = 1.0 if weights is None else weights[i]
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + w / (k + rank)
    return fused


def preference_weight(base: float, fields_matched: int) -> float:
    """RRF weight of a ranking restricted to the documents a query names: base, doubled when those
    documents match two or more of the fields the query names (authority and year or type).

    A question naming a council and a date ("Dorset, report published 19 November 2021") refers to a
    report; one naming only a council or only a year is a weaker hint, and a wrong one must not hide
    the answer from the first page.
    """
    return 0.0 if fields_matched <= 0 else base * (2.0 if fields_matched >= 2 else 1.0)


def min_max(scores: Mapping[Hashable, float]) -> dict[Hashable, float]:
    """Scale scores to [0, 1]; all-equal scores become 1."""
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi == lo:
        return {key: 1.0 for key in scores}
    return {key: (value - lo) / (hi - lo) for key, value in scores.items()}


def weighted(dense: Mapping[Hashable, float], lexical: Mapping[Hashable, float], alpha: float = 0.5) -> dict[Hashable, float]:
    """alpha * minmax(dense) + (1 - alpha) * minmax(lexical); an id missing from a list scores 0 there."""
    d, b = min_max(dense), min_max(lexical)
    return {key: alpha * d.get(key, 0.0) + (1 - alpha) * b.get(key, 0.0) for key in set(d) | set(b)}


def top(fused: Mapping[Hashable, float], k: int) -> list[tuple[Hashable, float]]:
    """The k best (id, score) pairs, ties broken by id for a stable order."""
    items: Iterable[tuple[Hashable, float]] = fused.items()
    if 0 < k < len(fused) // 2:  # only ids scoring at least the k-th best score are sorted (ties there all kept)
        kth = sorted(fused.values(), reverse=True)[k - 1]  # C's sort of a few hundred floats beats a heap in Python
        items = [(key, score) for key, score in items if score >= kth]
    return sorted(items, key=lambda kv: (-kv[1], str(kv[0])))[:k]
