"""The dense scan: fp16 scan + fp32 rescoring gives the exact top k (with its proof), exact scores do not
depend on which rows are scored together, and restricted rankings reuse one scoring per query."""

from __future__ import annotations

import numpy as np
import pytest

from search import dense as scan
from search.backends.local import LocalBackend
from search.bm25 import best, top_k

faiss = pytest.importorskip("faiss")


def unit(rng: np.random.Generator, n: int, dim: int = 32, centre: np.ndarray | None = None, spread: float = 1.0) -> np.ndarray:
    x = rng.normal(0, spread, (n, dim)).astype(np.float32)
    if centre is not None:
        x += centre
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def fp16_index(vectors: np.ndarray):
    index = faiss.IndexScalarQuantizer(vectors.shape[1], faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    index.add(vectors)
    return index


def exact_top(vectors: np.ndarray, q: np.ndarray, k: int) -> list[tuple[int, float]]:
    return top_k(scan.exact_scores(vectors, None, q), k, None, positive_only=False)


def test_proven_top_needs_the_kth_exact_score_to_beat_the_last_scanned_score_plus_the_bound():
    rows = np.array([7, 3, 9])
    approx = np.array([0.90, 0.80, 0.50], dtype=np.float32)  # the scan's best three of ten, descending
    exact = np.array([0.901, 0.799, 0.502], dtype=np.float32)
    # k=2: the 2nd exact score 0.799 > 0.50 + 0.01, so no unscanned row (exact <= 0.51) can enter
    assert scan.proven_top(approx, rows, exact, 2, 0.01, total=10) == [(7, pytest.approx(0.901)), (3, pytest.approx(0.799))]
    # k=3: the 3rd exact score 0.502 is not above 0.51: an unscanned row might score 0.51, so no proof
    assert scan.proven_top(approx, rows, exact, 3, 0.01, total=10) is None
    # every row scanned: nothing outside, proven whatever the bound
    assert [r for r, _ in scan.proven_top(approx, rows, exact, 3, 0.01, total=3)] == [7, 3, 9]


def test_best_breaks_ties_by_row_even_at_the_kth_place():
    rows = np.array([5, 2, 8, 1])
    scores = np.array([0.5, 0.7, 0.5, 0.5], dtype=np.float32)
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]):
        assert best(rows[order], scores[order], 3) == [(2, pytest.approx(0.7)), (1, 0.5), (5, 0.5)]
    assert best(rows, scores, 0) == []
    assert top_k(np.array([0.5, 0.0, 0.5, 0.9]), 2, np.array([True, True, True, False]), positive_only=True) == [(0, 0.5), (2, 0.5)]


def _top_by_sorting(scores, k, allowed, positive_only):
    keep = np.ones(len(scores), dtype=bool) if allowed is None else allowed.copy()
    if positive_only:
        keep &= scores > 0
    rows = np.flatnonzero(keep)
    order = np.lexsort((rows, -scores[rows]))[:k]
    return [(int(rows[i]), float(scores[rows[i]])) for i in order]


@pytest.mark.parametrize("k", [1, 10, 100, 5000])
def test_top_k_on_a_long_array_sorts_only_above_a_floor_and_still_gives_the_exact_top(k):
    """From 64k scores top_k sorts only rows at or above a sampled floor: coarse scores (many ties, also at
    the k-th place), a scope mask, negatives, and a scope too small for the sample must not change it."""
    rng = np.random.default_rng(7)
    scores = (rng.integers(-20, 60, size=200_000) / 4).astype(np.float32)  # few distinct values: ties everywhere
    wide = rng.random(len(scores)) < 0.3
    narrow = np.zeros(len(scores), dtype=bool)
    narrow[rng.choice(len(scores), 40, replace=False)] = True  # fewer sampled rows than k: no floor
    for allowed in (None, wide, narrow):
        for positive_only in (True, False):
            assert top_k(scores, k, allowed, positive_only) == _top_by_sorting(scores, k, allowed, positive_only)


@pytest.mark.parametrize("k", [1, 10, 100, 1000, 4000])  # 1000 and 4000 of 4000 rows: one exact pass, no scan
def test_fp16_scan_gives_the_exact_top_k_rows_and_scores(k):
    rng = np.random.default_rng(k)
    centres = unit(rng, 8)
    vectors = np.concatenate([unit(rng, 500, centre=c * 6) for c in centres])  # clustered, many close scores
    index = fp16_index(vectors)
    for q in unit(rng, 20, centre=centres[0] * 3):
        assert scan.fp16_top(index, vectors, q, k) == exact_top(vectors, q, k)


def test_fp16_scan_deepens_until_near_ties_are_settled():
    """2,000 vectors within 1e-5 of each other: the first 256 scanned rows prove nothing (every score is within
    the fp16 bound of the rest), so the scan must go deeper, to every row, and still return the exact order."""
    rng = np.random.default_rng(0)
    base = unit(rng, 1)[0]
    vectors = unit(rng, 2000, centre=base / 1e-5, spread=1.0)
    q = unit(rng, 1)[0]
    index = fp16_index(vectors)
    depths = []
    real_search = index.search
    index.search = lambda x, d: depths.append(d) or real_search(x, d)
    assert scan.fp16_top(index, vectors, q, 10) == exact_top(vectors, q, 10)
    assert depths[0] == 256 and depths[-1] == 2000


def test_a_rows_exact_score_does_not_depend_on_the_rows_scored_with_it():
    rng = np.random.default_rng(3)
    vectors = unit(rng, 1003, dim=384)
    q = unit(rng, 1, dim=384)[0]
    full = scan.exact_scores(vectors, None, q)
    for size in (1, 5, 97, 1003):
        rows = np.sort(rng.choice(1003, size, replace=False))
        np.testing.assert_array_equal(scan.exact_scores(vectors, rows, q), full[rows])  # bit for bit


class PerScope(LocalBackend):
    """The local backend without reuse: every scope scored afresh, one search each, as before."""

    def lexical_rankings(self, query, k, scopes, meta_query=None):
        return [super(PerScope, self).lexical_rankings(query, k, [scope], meta_query)[0] for scope in scopes]

    def dense_rankings(self, vector, k, scopes):
        return [super(PerScope, self).dense_rankings(vector, k, [scope])[0] for scope in scopes]


def test_rankings_of_several_scopes_equal_one_search_per_scope(hash_index):
    from search.index import load

    index = load(__import__("pathlib").Path(hash_index.index))
    reuse, fresh = LocalBackend(index), PerScope(index)
    docs = sorted({c.doc_id for c in index.chunks})
    q = np.asarray(index.vectors[3], dtype=np.float32) + 0.01
    for scopes in ([None, {docs[0]}], [set(docs[:2]), {docs[1]}], [{docs[0]}, set(docs)], [None, None]):
        assert reuse.dense_rankings(q, 20, scopes) == fresh.dense_rankings(q, 20, scopes)
        assert reuse.lexical_rankings("children in care", 20, scopes, "Wrexham") == \
            fresh.lexical_rankings("children in care", 20, scopes, "Wrexham")


def test_a_flat_index_and_an_fp16_one_rank_alike(hash_index):
    """The same build read as fp16 (what `quarry index` now writes) and as a flat fp32 index (older builds)."""
    from search.index import load

    index = load(__import__("pathlib").Path(hash_index.index))
    backend = LocalBackend(index)
    assert backend.kind == "fp16" and backend.exact
    flat = LocalBackend(index)
    flat._kind = "flat"
    docs = sorted({c.doc_id for c in index.chunks})
    for row in (0, 17, 40):
        q = np.asarray(index.vectors[row], dtype=np.float32)
        assert backend.dense_rankings(q, 30, [None, {docs[0]}]) == flat.dense_rankings(q, 30, [None, {docs[0]}])


@pytest.mark.parametrize("fusion", ["learned", "rrf"])
def test_a_search_naming_an_authority_ranks_as_with_one_search_per_scope(hash_index, fusion):
    from search import open_index
    from search.api import Searcher

    settings = hash_index.with_(fusion=fusion)
    reuse = open_index(hash_index.index, settings)
    fresh = Searcher(reuse.index, settings, reuse.embedder, PerScope(reuse.index, settings.meta_weight))
    for query in ("children looked after in Wrexham", "Cardiff safeguarding performance 2018"):
        assert reuse.preferred(reuse.interpret(query), None) is not None  # the query names some documents
        got = [(h.chunk.chunk_id, h.score, h.ranks) for h in reuse.search(query, k=20).hits]
        assert got == [(h.chunk.chunk_id, h.score, h.ranks) for h in fresh.search(query, k=20).hits]


def test_above_the_threshold_the_build_is_hnsw_and_searches(tmp_path):
    from indexer.build import build_index
    from quarry.settings import Settings
    from search import open_index
    from tests.conftest import CORPUS

    settings = Settings(index=str(tmp_path / "index"), model="hash", ann_threshold=10)
    build_index([CORPUS], settings)
    searcher = open_index(settings.index, settings)
    assert searcher.backend.kind == "ann" and not searcher.backend.exact
    assert searcher.index.dense.hnsw.efSearch == 256  # stored with the index
    hits = searcher.search("children looked after in Wrexham", k=5).hits
    assert len(hits) == 5
    # a named scope's rows are scored from the HNSW index's own vectors: the same as the fp32 file's
    rows = np.flatnonzero(searcher.backend.rows({hits[0].chunk.doc_id}))
    q = searcher.embed(["children looked after"])[0]
    stored = scan.stored_scores(searcher.index.dense, rows, q)
    assert stored is not None and np.allclose(stored, scan.exact_scores(searcher.index.vectors, rows, q), atol=1e-6)
    ranked = searcher.backend.dense_rankings(q, 5, [None, {hits[0].chunk.doc_id}])[1]
    assert [r for r, _ in ranked] == [int(rows[i]) for i in np.lexsort((rows, -stored))[:5]]


def test_stored_scores_need_an_index_that_keeps_plain_vectors():
    vectors = np.eye(4, dtype=np.float32)
    sq = faiss.IndexScalarQuantizer(4, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    sq.add(vectors)
    assert scan.stored_scores(sq, np.array([0, 1]), vectors[0]) is None
    hnsw = faiss.IndexHNSWFlat(4, 8, faiss.METRIC_INNER_PRODUCT)
    hnsw.add(vectors * 2)
    assert scan.stored_scores(hnsw, np.array([3, 0]), vectors[0]).tolist() == [0.0, 2.0]


def test_contains_says_which_candidates_hold_a_term(hash_index):
    """A binary search of the term's column (its rows sorted) marks exactly the candidates in that column."""
    from search import open_index

    searcher = open_index(hash_index.index, hash_index)
    matrix = searcher.index.lexical["text"]
    rows = [len(searcher.chunks) - 1, 0] + list(range(1, len(searcher.chunks), 3))[:200]
    for term in ("children", "care", "wrexham", "marac"):
        col = matrix.vocab[term]
        holders = set(matrix.indices[matrix.indptr[col]:matrix.indptr[col + 1]].tolist())
        assert 0 < len(holders) < len(searcher.chunks)
        assert searcher.contains(term, rows).tolist() == [float(r in holders) for r in rows]
    assert not searcher.contains("nosuchterm", rows).any()
