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
from functools import lru_cache
from itertools import accumulate, chain, count
from operator import add, itemgetter
from typing import Callable, Protocol, Sequence

import numpy as np
from ahocorasick_rs import AhoCorasick

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
# about this query (one of `confidences`), times what it says of the passage. Stored candidate sets stay
# valid when these change.
CONFIDENCES: tuple[str, ...] = (
    "bm25_conf",   # coverage of BM25's first passage
    "dense_conf",  # the best cosine
    "length",      # the query's length (QueryTerms.length)
)
INTERACTION_OF: dict[str, tuple[str, str]] = {  # interaction: (confidence, the FEATURES column it multiplies)
    "bm25_conf_x_bm25": ("bm25_conf", "bm25_norm"),
    "bm25_conf_x_dense": ("bm25_conf", "dense_norm"),
    "dense_conf_x_dense": ("dense_conf", "dense_norm"),
    "dense_conf_x_bm25": ("dense_conf", "bm25_norm"),
    "long_x_coverage": ("length", "coverage"),
    "long_x_bm25_rr": ("length", "bm25_rr"),
    "long_x_dense_rr": ("length", "dense_rr"),
}
INTERACTIONS: tuple[str, ...] = tuple(INTERACTION_OF)
ALL_FEATURES = FEATURES + INTERACTIONS
_COL = {name: i for i, name in enumerate(FEATURES)}

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
    idf = tuple(math.log(1 + (n_chunks - d + 0.5) / (d + 0.5)) for d in map(df, unique))
    tokens = _WORD.findall(query.lower())
    pairs = tuple(dict.fromkeys(f"{a} {b}" for a, b in zip(tokens, tokens[1:]) if not (a in stop and b in stop)))
    quoted = tuple(words(p) for p in _QUOTED.findall(query) if len(_WORD.findall(p)) >= 2)
    phrases = quoted or ((" ".join(tokens),) if len(tokens) >= VERBATIM_WORDS else ())  # " ".join(tokens): words(query)
    return QueryTerms(unique, idf, pairs, phrases)


_ROW = itemgetter(0)


def candidate_rows(*lists: Ranked) -> list[int]:
    """The union of the lists: lexical order first, then dense-only passages, then the preferred lists'."""
    return list(dict.fromkeys(chain.from_iterable(map(_ROW, ranked) for ranked in lists)))


ROW_FEATURES: tuple[str, ...] = ("coverage", "bigrams", "heading", "length")  # the passage and the query alone
_ROW_COLUMNS = [_COL[name] for name in ROW_FEATURES]
_LONG_X = ([_COL["long_x_bm25"], _COL["long_x_dense"], _COL["long_x_bigrams"]],  # the query-length interactions
           [_COL["bm25_norm"], _COL["dense_norm"], _COL["bigrams"]])              # and the columns they multiply


@lru_cache(maxsize=64)
def reciprocal_ranks(n: int) -> np.ndarray:
    """1/1, 1/2 ... 1/n as float32 (read-only: shared by every query with a list this long)."""
    rr = (1.0 / np.arange(1, n + 1)).astype(np.float32)
    rr.flags.writeable = False
    return rr


def placed(ranked: Ranked, index: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A ranking's passages as positions among the candidate rows (`index`: row -> position), and their scores
    in float32 (the features' precision)."""
    rows, scores = tuple(zip(*ranked)) or ((), ())
    return np.fromiter(map(index.__getitem__, rows), np.int64, len(rows)), np.array(scores, dtype=np.float32)


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
    col = _COL
    index = dict(zip(rows, range(len(rows))))
    at_lex, scores = placed(lexical, index)
    at_den, cos = placed(dense, index)
    if len(lexical):
        best = scores[0] if scores[0] > 0 else 1.0
        x[at_lex, col["bm25_norm"]] = scores / best
        x[at_lex, col["bm25_rr"]] = reciprocal_ranks(len(lexical))
    lo, hi = (float(cos.min()), float(cos.max())) if len(cos) else (0.0, 1.0)
    span = hi - lo if hi > lo else 1.0
    x[:, col["dense_cos"]] = lo
    if len(dense):
        x[at_den, col["dense_norm"]] = (cos - lo) / span
        x[at_den, col["dense_cos"]] = cos
        x[at_den, col["dense_rr"]] = reciprocal_ranks(len(dense))
    x[:, col["in_both"]] = (x[:, col["bm25_rr"]] > 0) & (x[:, col["dense_rr"]] > 0)
    for name, ranked in (("bm25_pref_rr", lexical_pref), ("dense_pref_rr", dense_pref)):
        if len(ranked):
            x[[index[r] for r, _ in ranked], col[name]] = reciprocal_ranks(len(ranked))
    if len(lexical_pref):  # a passage only the restricted ranking found keeps its BM25 score too
        only = [(index[r], sc) for r, sc in lexical_pref if x[index[r], col["bm25_norm"]] == 0]
        if only:
            best = lexical[0][1] if len(lexical) and lexical[0][1] > 0 else max(sc for _, sc in lexical_pref) or 1.0
            x[[i for i, _ in only], col["bm25_norm"]] = np.array([sc for _, sc in only], dtype=np.float32) / best
    if len(lexical) > 1 and lexical[0][1] > 0:
        x[0, col["bm25_top_margin"]] = (lexical[0][1] - lexical[1][1]) / lexical[0][1]
    if len(dense) > 1:
        x[index[dense[0][0]], col["dense_top_margin"]] = dense[0][1] - dense[1][1]

    x[:, _ROW_COLUMNS] = rowwise(rows) if rowwise else row_features(q, rows, view, contains)
    if preferred:
        named = np.fromiter(map(preferred.__contains__, view.doc_ids_of(rows)), dtype=bool, count=len(rows))
        x[:, col["preferred"]] = preference * named
    x[:, _LONG_X[0]] = q.length * x[:, _LONG_X[1]]
    return rows, x


class Haystack:
    """Candidates' texts in lower case, joined once, so "which texts hold this string" is one C-level search per
    text that holds it (a Python test per string and text cost ~2 ms a query at 200 candidates)."""

    def __init__(self, texts: Sequence[str]):
        self.texts = list(texts)
        self.joined = "\x00".join(self.texts)
        # text i starts after the lengths of the texts before it and one separator for each
        self.starts = list(map(add, accumulate(map(len, self.texts[:-1]), initial=0), count()))

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
                 contains: Callable[[str, Sequence[int]], np.ndarray], texts: Haystack | None = None,
                 held: np.ndarray | None = None) -> np.ndarray:
    """The ROW_FEATURES columns of candidate rows (len(rows), 4): how each passage meets the query,
    whichever list found it. `texts`: the rows' `lowered` texts, when already made; `held`: which rows hold
    each of the query's terms, (len(q.terms), len(rows)), when the caller has it for all terms at once
    (else `contains` is asked term by term)."""
    out = np.zeros((len(rows), len(ROW_FEATURES)), dtype=np.float32)
    if not len(rows):
        return out
    out[:, 0] = coverage(q.idf, held_terms(q.terms, rows, contains) if held is None else held)
    texts = lowered(rows, view) if texts is None else texts
    if q.bigrams:
        out[:, 1] = pairs_found(q.bigrams, texts) / len(q.bigrams)
    if q.terms:
        out[:, 2] = heading_shares(q.terms, view.headings_of(rows))
    out[:, 3] = [math.log1p(len(t)) / 8.0 for t in texts.texts]
    return out


def held_terms(terms: Sequence[str], rows: Sequence[int], contains: Callable[[str, Sequence[int]], np.ndarray]) -> np.ndarray:
    """Which rows hold each term, (len(terms), len(rows)) of 0/1: `contains` asked term by term."""
    at = np.asarray(rows, dtype=np.int64)
    held = np.zeros((len(terms), len(at)), dtype=np.float32)
    for i, term in enumerate(terms):
        held[i] = contains(term, at)
    return held


def coverage(idf: Sequence[float], held: np.ndarray) -> np.ndarray:
    """IDF-weighted share of the query's BM25 terms each row holds (float32), from `held_terms`.

    One product and one sum down the terms, which numpy adds term after term as a loop over the terms
    would: the same float32 sums, in the same order, as the ranker was fitted on."""
    weights = np.asarray(idf, dtype=np.float32)[:, None]
    return (weights * held).sum(axis=0, dtype=np.float32) / (sum(idf) or 1.0)


def heading_shares(terms: Sequence[str], headings: Sequence[str]) -> list[float]:
    """Share of the query's terms in each heading path, worked out once per distinct heading (a query's
    candidates share headings: passages of one section)."""
    wanted = set(terms)
    share = {h: len(wanted & heading_terms(h)) / len(wanted) for h in dict.fromkeys(headings)}
    return list(map(share.__getitem__, headings))


def pairs_found(pairs: Sequence[str], texts: Haystack) -> np.ndarray:
    """How many of `pairs` each text contains (each pair counted once per text): every occurrence of every pair,
    overlapping ones too ("of the" and "the care" in "of the care"), found in one Aho-Corasick pass over the joined
    texts (one search per pair cost ~45 us over a query's ~95 KB of candidates, ~0.75 ms for 16 pairs)."""
    found = np.zeros(len(texts), dtype=np.float32)
    if not pairs or not len(texts):
        return found
    matches = _automaton(tuple(pairs)).find_matches_as_indexes(texts.joined, overlapping=True)
    if not matches:
        return found
    at = np.array(matches, dtype=np.int64)  # (pair, start, end), in characters
    text = np.searchsorted(np.asarray(texts.starts), at[:, 1], side="right") - 1
    held = np.unique(text * len(pairs) + at[:, 0])  # each (text, pair) once
    return np.bincount(held // len(pairs), minlength=len(texts)).astype(np.float32)


@lru_cache(maxsize=256)
def _automaton(pairs: tuple[str, ...]) -> AhoCorasick:
    """The matcher of a query's word pairs (made once per query; a rerun with other filters finds it again)."""
    return AhoCorasick(list(pairs))


def confidences(x: np.ndarray) -> tuple[float, float, float]:
    """CONFIDENCES of one query, read back from its candidates' feature rows (non-empty), so that whatever
    holds the rows holds them too: the coverage of BM25's first passage (0 when BM25 found nothing), the best
    cosine, and the query's length (long_x_bm25 / bm25_norm)."""
    bm25, rr = x[:, _COL["bm25_norm"]], x[:, _COL["bm25_rr"]]
    first = [0] if rr[0] == 1.0 else np.flatnonzero(rr == 1.0)  # candidate_rows puts BM25's first passage first
    bm25_conf = float(x[first[0], _COL["coverage"]]) if len(first) else 0.0
    dense_conf = float(x[:, _COL["dense_cos"]].max())
    has = bm25 > 0
    length = float(np.max(x[has, _COL["long_x_bm25"]] / bm25[has])) if has.any() else 0.0
    return bm25_conf, dense_conf, length


def with_interactions(x: np.ndarray) -> np.ndarray:
    """The feature rows of one query's candidates with the INTERACTIONS columns appended."""
    if not len(x):
        return np.zeros((0, len(ALL_FEATURES)), dtype=x.dtype)
    conf = dict(zip(CONFIDENCES, confidences(x)))
    extra = np.stack([conf[c] * x[:, _COL[column]] for c, column in INTERACTION_OF.values()], axis=1)
    return np.concatenate([x, extra.astype(x.dtype)], axis=1)


def verbatim(q: QueryTerms, rows: Sequence[int], view: CandidateView, texts: Haystack | None = None) -> np.ndarray:
    """1 for each candidate that holds a quoted phrase (or the whole long query) word for word, else 0.
    `texts`: the rows' `lowered` texts, when already made."""
    out = np.zeros(len(rows), dtype=np.float32)
    if not q.phrases:
        return out
    texts = lowered(rows, view) if texts is None else texts
    # a cheap test first: the phrases' three longest words must all be in the passage (the longest found by
    # one search of every text at once)
    needles = sorted({w for p in q.phrases for w in sorted(p.split(), key=len)[-3:]}, key=len, reverse=True)
    maybe: Sequence[int] = texts.holders(needles[0]) if needles else range(len(texts))
    for w in needles[1:]:
        maybe = [i for i in maybe if w in texts.texts[i]]
    found = [phrase_pattern(p) for p in q.phrases]
    for i in maybe:
        out[i] = float(all(f.search(texts.texts[i]) for f in found))
    return out


@lru_cache(maxsize=256)
def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """What finds `phrase` (normalised words) in a lower-case text exactly where `phrase in words(text)`, without
    splitting the text into words: its words with a run of non-word characters between each two (words() makes
    each such run one space; as there, the first word may end a longer word and the last begin one)."""
    return re.compile(r"\W+".join(map(re.escape, phrase.split())))


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
