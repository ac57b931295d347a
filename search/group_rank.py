"""Ranking every group of an index at once from one retrieval pass (what `quarry compare` ranks with).

Each function gives each group what a search filtered to that group would give, without one search
per group: the full BM25 and dense rankings are numbered within each group (`ranks_within`) and cut
to each group's first `depth` entries, then fused by RRF (`fuse_within`) or ordered by the learned
ranker (`learned_within`, the same features and weights as `Searcher.search`).
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

from search import features as feats
from search.features import CandidateView, QueryTerms
from search.ranker import VERBATIM_BONUS, LinearRanker

Ranking = tuple[np.ndarray, np.ndarray]  # (rows best first, their scores)


def ranks_within(rows: np.ndarray, gid: np.ndarray) -> np.ndarray:
    """1-based rank of each entry of a ranked row list among the entries of its own group.

    rows [5, 3, 9, 1] with groups {5: 0, 3: 1, 9: 0, 1: 1} -> [1, 1, 2, 2].
    """
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    g = gid[rows]
    order = np.argsort(g, kind="stable")
    sorted_g = g[order]
    starts = np.searchsorted(sorted_g, sorted_g, side="left")
    out = np.empty(len(rows), dtype=np.int64)
    out[order] = np.arange(len(rows)) - starts + 1
    return out


def fuse_within(ranked: Mapping[str, tuple[np.ndarray, float]], gid: np.ndarray, depth: int, rrf_k: int,
                n: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """RRF of several rankings, each cut to its first `depth` entries per group and ranked within it.

    `ranked` maps a name to (rows best first, RRF weight). Returns the fused score of every row (0 = not
    a candidate) and, per name, every row's within-group rank (0 = not ranked): the same fusion as one
    search per group, done at once.
    """
    fused = np.zeros(n, dtype=np.float64)
    ranks: dict[str, np.ndarray] = {}
    for name, (rows, weight) in ranked.items():
        r = ranks_within(rows, gid)
        keep = r <= depth
        full = np.zeros(n, dtype=np.int64)
        full[rows[keep]] = r[keep]
        ranks[name] = full
        np.add.at(fused, rows[keep], weight / (rrf_k + r[keep]))
    return fused, ranks


def top_within(scores: np.ndarray, gid: np.ndarray, per_group: int) -> dict[int, list[int]]:
    """Group id -> its rows with a score (-inf: none), best first (ties: lower row first), at most per_group."""
    rows = np.flatnonzero(scores > -np.inf)
    if len(rows) == 0:
        return {}
    order = np.lexsort((rows, -scores[rows], gid[rows]))
    rows = rows[order]
    r = ranks_within(rows, gid)
    out: dict[int, list[int]] = {}
    for row in rows[r <= per_group]:
        out.setdefault(int(gid[row]), []).append(int(row))
    return out


def cut_within(ranking: Ranking, gid: np.ndarray, depth: int, keep: np.ndarray | None = None) -> dict[int, list[tuple[int, float]]]:
    """Group id -> its first `depth` entries of a ranking (rows where `keep` is true only), best first:
    the list a search filtered to that group gets from the same retriever."""
    rows, scores = ranking
    if keep is not None:
        mask = keep[rows]
        rows, scores = rows[mask], scores[mask]
    r = ranks_within(rows, gid)
    cut = r <= depth
    out: dict[int, list[tuple[int, float]]] = {}
    for row, score in zip(rows[cut].tolist(), scores[cut].tolist()):
        out.setdefault(int(gid[row]), []).append((row, score))
    return out


def learned_within(ranker: LinearRanker, q: QueryTerms, lexical: Ranking, dense: Ranking, gid: np.ndarray,
                   depth: int, view: CandidateView, contains: Callable[[str, Sequence[int]], np.ndarray],
                   preferred_rows: np.ndarray | None = None, preference: float = 1.0,
                   preferred_of: Callable[[int], set[str] | None] = lambda g: None) -> np.ndarray:
    """Every row's learned score within its group (-inf: not a candidate of its group).

    Per group, the candidates and features are those of `Searcher.search` filtered to the group: its
    first `depth` passages by each retriever, and, when the query names some of the group's documents
    (`preferred_of(group)`; `preferred_rows` marks the rows of every named document), those documents'
    own rankings. What depends on the passage alone (coverage, word pairs, heading, length, a quoted
    phrase held word for word) is computed once for the union of every group's candidates.
    """
    n = len(gid)
    lex, den = cut_within(lexical, gid, depth), cut_within(dense, gid, depth)
    lex_pref = den_pref = {}
    if preferred_rows is not None:
        lex_pref, den_pref = cut_within(lexical, gid, depth, preferred_rows), cut_within(dense, gid, depth, preferred_rows)
    union = sorted({r for lists in (lex, den, lex_pref, den_pref) for items in lists.values() for r, _ in items})
    at = np.full(n, -1, dtype=np.int64)
    at[union] = np.arange(len(union))
    texts = feats.lowered(union, view)
    table = feats.row_features(q, union, view, contains, texts)
    bonus = VERBATIM_BONUS * feats.verbatim(q, union, view, texts)
    out = np.full(n, -np.inf, dtype=np.float64)
    for g in sorted(set(lex) | set(den)):
        named = preferred_of(g)
        pref = (lex_pref.get(g, []), den_pref.get(g, [])) if named else ([], [])
        rows, x = feats.features(q, lex.get(g, []), den.get(g, []), view, contains, named, preference, *pref,
                                 rowwise=lambda rs: table[at[rs]])
        idx = np.asarray(rows, dtype=np.int64)
        out[idx] = ranker.score(x) + bonus[at[idx]]
    return out
