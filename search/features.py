"""Features of hybrid candidates: what each retriever said of a passage and how the passage meets the query.

One row per passage in the union of the lexical and dense candidate lists; the learned ranker
(search/ranker.py) scores these rows. Everything here is a pure function of its inputs, so the
same features are computed at query time and when the ranker is fitted (eval/fusion.py).
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass
from itertools import accumulate
from typing import Callable, Protocol, Sequence

import numpy as np

from search.backends.base import Ranked


FEATURES: tuple[str, ...] = (
    "bm25_norm",        # BM25 score / the query's best BM25 score (0 when not in the BM25 list)
    "bm25_rr",          # 1 / BM25 rank (0 when absent)
    "bm25_top_margin",  # on BM25's first passage only: how far it leads the second, (s1 - s2) / s1
    "dense_norm",       # cosine min-max scaled over the dense list (absent: the list's floor, 0)
    "dense_cos",        # the cosine itself (absent: the list's lowest)
    "dense_rr",         # 1 / dense rank (0 when absent)
    "dense_top_margin", # on dense's first passage only: s1 - s2
    "in_both",          # in both candidate lists
    "coverage",         # IDF-weighted share of the query's BM25 terms found in the passage
    "bigrams",          # share of the query's word pairs found in the passage, in order
    "heading",          # share of the query's BM25 terms found in the passage's heading path
    "preferred",        # the passage's document is one the query names (x2 when two fields match)
    "bm25_pref_rr",     # 1 / BM25 rank among the passages of the documents the query names (0 elsewhere)
    "dense_pref_rr",    # likewise for the dense ranking
    "length",           # log(1 + characters in the passage) / 8
    "long_x_bm25",      # query-length interactions: a long query trusts BM25 and wording more
    "long_x_dense",
    "long_x_bigrams",
)

FEATURES_VERSION = 2  # bump when a column above is computed differently: stored candidate sets (eval/fusion.py) are keyed by it

# Interactions computed from the columns above (see `with_interactions`): how sure each retriever is
# about this query, times what it says of the passage. Stored candidate sets stay valid when these change.
INTERACTIONS: tuple[str, ...] = (
    "bm25_conf_x_bm25",   # coverage of BM25's first passage x bm25_norm
    "bm25_conf_x_dense",
    "dense_conf_x_dense", # the best cosine x dense_norm
    "dense_conf_x_bm25",
    "long_x_coverage",
    "long_x_bm25_rr",
    "long_x_dense_rr",
)
ALL_FEATURES = FEATURES + INTERACTIONS

VERBATIM_WORDS = 8  # an unquoted query this long that stands in a passage word for word is a pasted quote
_WORD = re.compile(r"\w+")
_QUOTED = re.compile(r"[\"\u201c\u201d]([^\"\u201c\u201d]{3,})[\"\u201c\u201d]")


class CandidateView(Protocol):
    """What the features read of the index, by chunk row (texts and headings of a query's candidates at once)."""

    def headings_of(self, rows: Sequence[int]) -> list[str]: ...

    def doc_ids_of(self, rows: Sequence[int]) -> list[str]: ...

    def lowered_of(self, rows: Sequence[int]) -> list[str]: ...  # their texts in lower case (a view may remember them)


@dataclass(frozen=True)
class QueryTerms:
    """The query as the features see it: BM25 terms with their IDF, word pairs, and any quoted phrase."""

    terms: tuple[str, ...]
    idf: tuple[float, ...]
    bigrams: tuple[str, ...]
    phrases: tuple[str, ...]  # quoted phrases, or the whole query when it is long (normalised words)

    @property
    def length(self) -> float:
        """0 for a one-word query, 1 from 20 words up."""
        return min(len(self.terms), 20) / 20.0


def words(text: str) -> str:
    """Lower-cased words joined by single spaces: what "occurs word for word" compares."""
    return " ".join(_WORD.findall(text.lower()))


def query_terms(query: str, analysed: Sequence[str], df: Callable[[str], int], n_chunks: int,
                stop: frozenset[str] = frozenset()) -> QueryTerms:
    """Analyse a query once for every candidate: `analysed` are its BM25 terms, `df` their passage counts."""
    unique = tuple(dict.fromkeys(analysed))
    idf = tuple(math.log(1 + (n_chunks - df(t) + 0.5) / (df(t) + 0.5)) for t in unique)
    tokens = _WORD.findall(query.lower())
    pairs = tuple(dict.fromkeys(f"{a} {b}" for a, b in zip(tokens, tokens[1:]) if not (a in stop and b in stop)))
    quoted = tuple(words(p) for p in _QUOTED.findall(query) if len(_WORD.findall(p)) >= 2)
    phrases = quoted or ((words(query),) if len(tokens) >= VERBATIM_WORDS else ())
    return QueryTerms(unique, idf, pairs, phrases)


def candidate_rows(*lists: Ranked) -> list[int]:
    """The union of the lists: lexical order first, then dense-only passages, then the preferred lists'."""
    return list(dict.fromkeys(r for ranked in lists for r, _ in ranked))


ROW_FEATURES: tuple[str, ...] = ("coverage", "bigrams", "heading", "length")  # the passage and the query alone


def features(q: QueryTerms, lexical: Ranked, dense: Ranked, view: CandidateView,
             contains: Callable[[str, Sequence[int]], np.ndarray],
             preferred: set[str] | None = None, preference: float = 1.0,
             lexical_pref: Ranked = (), dense_pref: Ranked = (),
             rowwise: Callable[[list[int]], np.ndarray] | None = None) -> tuple[list[int], np.ndarray]:
    """Candidate rows and their feature matrix (len(rows), len(FEATURES)), columns in FEATURES order.

    `contains(term, rows)` says which rows hold a BM25 term (from the term matrix where there is one);
    `lexical_pref` / `dense_pref` are the rankings restricted to the documents the query names.
    `rowwise(rows)`, when given, returns the ROW_FEATURES columns already computed (`row_features`) for
    these rows: what depends on neither list, computed once when one query ranks many groups (compare).
    """
    rows = candidate_rows(lexical, dense, lexical_pref, dense_pref)
    x = np.zeros((len(rows), len(FEATURES)), dtype=np.float32)
    if not rows:
        return rows, x
    col = {name: i for i, name in enumerate(FEATURES)}
    index = {row: i for i, row in enumerate(rows)}
    at_lex = np.array([index[r] for r, _ in lexical], dtype=np.int64)
    at_den = np.array([index[r] for r, _ in dense], dtype=np.int64)
    if len(lexical):
        scores = np.array([sc for _, sc in lexical], dtype=np.float32)
        best = scores[0] if scores[0] > 0 else 1.0
        x[at_lex, col["bm25_norm"]] = scores / best
        x[at_lex, col["bm25_rr"]] = 1.0 / np.arange(1, len(lexical) + 1)
    cos = np.array([sc for _, sc in dense], dtype=np.float32)
    lo, hi = (float(cos.min()), float(cos.max())) if len(cos) else (0.0, 1.0)
    span = hi - lo if hi > lo else 1.0
    x[:, col["dense_cos"]] = lo
    if len(dense):
        x[at_den, col["dense_norm"]] = (cos - lo) / span
        x[at_den, col["dense_cos"]] = cos
        x[at_den, col["dense_rr"]] = 1.0 / np.arange(1, len(dense) + 1)
    x[:, col["in_both"]] = (x[:, col["bm25_rr"]] > 0) & (x[:, col["dense_rr"]] > 0)
    for name, ranked in (("bm25_pref_rr", lexical_pref), ("dense_pref_rr", dense_pref)):
        if len(ranked):
            x[[index[r] for r, _ in ranked], col[name]] = 1.0 / np.arange(1, len(ranked) + 1)
    if len(lexical_pref):  # a passage only the restricted ranking found keeps its BM25 score too
        only = [(index[r], sc) for r, sc in lexical_pref if x[index[r], col["bm25_norm"]] == 0]
        if only:
            best = lexical[0][1] if len(lexical) and lexical[0][1] > 0 else max(sc for _, sc in lexical_pref) or 1.0
            x[[i for i, _ in only], col["bm25_norm"]] = np.array([sc for _, sc in only], dtype=np.float32) / best
    if len(lexical) > 1 and lexical[0][1] > 0:
        x[0, col["bm25_top_margin"]] = (lexical[0][1] - lexical[1][1]) / lexical[0][1]
    if len(dense) > 1:
        x[rows.index(dense[0][0]), col["dense_top_margin"]] = dense[0][1] - dense[1][1]

    x[:, [col[name] for name in ROW_FEATURES]] = rowwise(rows) if rowwise else row_features(q, rows, view, contains)
    if preferred:
        x[:, col["preferred"]] = [preference * (d in preferred) for d in view.doc_ids_of(rows)]
    x[:, col["long_x_bm25"]] = q.length * x[:, col["bm25_norm"]]
    x[:, col["long_x_dense"]] = q.length * x[:, col["dense_norm"]]
    x[:, col["long_x_bigrams"]] = q.length * x[:, col["bigrams"]]
    return rows, x


class Haystack:
    """Candidates' texts in lower case, joined once, so "which texts hold this string" is one C-level search per
    text that holds it (a Python test per string and text cost ~2 ms a query at 200 candidates)."""

    def __init__(self, texts: Sequence[str]):
        self.texts = list(texts)
        self.joined = "\x00".join(self.texts)
        self.starts = list(accumulate((len(t) + 1 for t in self.texts[:-1]), initial=0))

    def __len__(self) -> int:
        return len(self.texts)

    def holders(self, needle: str) -> list[int]:
        """The texts (by position) that contain `needle`, each once, in order."""
        out: list[int] = []
        joined, starts, last = self.joined, self.starts, len(self.texts) - 1
        at = joined.find(needle)
        while at != -1:
            i = bisect.bisect_right(starts, at) - 1
            out.append(i)
            if i >= last:
                break
            at = joined.find(needle, starts[i + 1])
        return out


def lowered(rows: Sequence[int], view: CandidateView) -> Haystack:
    """The candidates' texts in lower case: what `row_features` and `verbatim` read (made once for both)."""
    return Haystack(view.lowered_of(rows))


def row_features(q: QueryTerms, rows: Sequence[int], view: CandidateView,
                 contains: Callable[[str, Sequence[int]], np.ndarray], texts: Haystack | None = None) -> np.ndarray:
    """The ROW_FEATURES columns of candidate rows (len(rows), 4): how each passage meets the query,
    whichever list found it. `texts`: the rows' `lowered` texts, when already made."""
    out = np.zeros((len(rows), len(ROW_FEATURES)), dtype=np.float32)
    if not len(rows):
        return out
    total = sum(q.idf) or 1.0
    at = np.asarray(rows, dtype=np.int64)
    coverage = np.zeros(len(rows), dtype=np.float32)
    for term, weight in zip(q.terms, q.idf):
        coverage += weight * contains(term, at)
    out[:, 0] = coverage / total
    texts = lowered(rows, view) if texts is None else texts
    if q.bigrams:
        out[:, 1] = pairs_found(q.bigrams, texts) / len(q.bigrams)
    if q.terms:
        term_set = set(q.terms)
        out[:, 2] = [len(term_set & heading_terms(h)) / len(term_set) for h in view.headings_of(rows)]
    out[:, 3] = [math.log1p(len(t)) / 8.0 for t in texts.texts]
    return out


def pairs_found(pairs: Sequence[str], texts: Haystack) -> np.ndarray:
    """How many of `pairs` each text contains (each pair counted once per text)."""
    found = [0] * len(texts)
    for pair in pairs:
        for i in texts.holders(pair):
            found[i] += 1
    return np.asarray(found, dtype=np.float32)


def with_interactions(x: np.ndarray) -> np.ndarray:
    """The feature rows of one query's candidates with the INTERACTIONS columns appended."""
    c = {name: x[:, i] for i, name in enumerate(FEATURES)}
    if not len(x):
        return np.zeros((0, len(ALL_FEATURES)), dtype=x.dtype)
    first = np.flatnonzero(c["bm25_rr"] == 1.0)
    bm25_conf = float(c["coverage"][first[0]]) if len(first) else 0.0
    dense_conf = float(c["dense_cos"].max())
    has = c["bm25_norm"] > 0
    length = float(np.max(c["long_x_bm25"][has] / c["bm25_norm"][has])) if has.any() else 0.0
    extra = np.stack([bm25_conf * c["bm25_norm"], bm25_conf * c["dense_norm"], dense_conf * c["dense_norm"],
                      dense_conf * c["bm25_norm"], length * c["coverage"], length * c["bm25_rr"],
                      length * c["dense_rr"]], axis=1)
    return np.concatenate([x, extra.astype(x.dtype)], axis=1)


def verbatim(q: QueryTerms, rows: Sequence[int], view: CandidateView, texts: Haystack | None = None) -> np.ndarray:
    """1 for each candidate that holds a quoted phrase (or the whole long query) word for word, else 0.
    `texts`: the rows' `lowered` texts, when already made."""
    out = np.zeros(len(rows), dtype=np.float32)
    if not q.phrases:
        return out
    texts = lowered(rows, view) if texts is None else texts
    # a cheap test first: the phrases' three longest words must all be in the passage
    needles = sorted({w for p in q.phrases for w in sorted(p.split(), key=len)[-3:]}, key=len, reverse=True)
    maybe = list(range(len(texts)))
    for w in needles:
        maybe = [i for i in maybe if w in texts.texts[i]]
    for i in maybe:
        flat = words(texts.texts[i])
        out[i] = float(all(p in flat for p in q.phrases))
    return out


_HEADINGS: dict[str, frozenset[str]] = {}


def heading_terms(heading: str) -> frozenset[str]:
    """BM25 terms of a heading path, remembered (headings repeat across passages and queries)."""
    found = _HEADINGS.get(heading)
    if found is None:
        from quarry.analysis import terms

        if len(_HEADINGS) > 100_000:
            _HEADINGS.clear()
        found = _HEADINGS[heading] = frozenset(terms(heading))
    return found
