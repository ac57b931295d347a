"""Hybrid candidates: both retrievers' lists for a query, their union, and each passage's features.

`Searcher.candidates` gathers them once; the fusions (RRF, convex combination, the learned ranker)
order the same candidates, and eval/fusion.py fits the ranker on exactly what search will score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from search.backends.base import Ranked


@dataclass(frozen=True)
class Candidates:
    """One query's candidates: rows (chunk positions), features in search.features.FEATURES order,
    1 where a passage holds the quoted phrase word for word, and the two lists they came from."""

    rows: list[int]
    features: np.ndarray
    verbatim: np.ndarray
    lexical: Ranked
    dense: Ranked
