"""Hybrid candidate features and the learned ranker, checked by hand arithmetic."""

import json
import math

import numpy as np
import pytest

from quarry.errors import QuarryError
from search.features import FEATURES, QueryTerms, candidate_rows, features, query_terms, verbatim, words
from search.ranker import LinearRanker, load_ranker

TEXTS = {
    1: "Foster carers in Cardiff were supported well by the team.",
    2: "The council recruited foster carers.",
    3: "Adoption panels met monthly.",
}


class View:
    def lowered_of(self, rows):
        return [TEXTS[r].lower() for r in rows]

    def headings_of(self, rows):
        return ["Fostering" if r == 1 else "Adoption" for r in rows]

    def doc_ids_of(self, rows):
        return ["cardiff" if r == 1 else "other" for r in rows]


def contains(term, rows):
    return np.array([term in TEXTS[r].lower() for r in rows], dtype=np.float32)


def col(x, name):
    return x[:, FEATURES.index(name)]


def test_union_keeps_lexical_order_then_dense_only_rows():
    assert candidate_rows([(2, 5.0), (1, 4.0)], [(3, 0.9), (2, 0.8)]) == [2, 1, 3]


def test_retriever_features_by_hand():
    q = QueryTerms(("foster", "carer"), (1.0, 3.0), ("foster carers",), ())
    rows, x = features(q, [(2, 8.0), (1, 6.0)], [(1, 0.9), (3, 0.5), (2, 0.4)], View(), contains,
                       preferred={"cardiff"}, preference=2.0)
    assert rows == [2, 1, 3]
    assert col(x, "bm25_norm").tolist() == pytest.approx([1.0, 0.75, 0.0])
    assert col(x, "bm25_rr").tolist() == pytest.approx([1.0, 0.5, 0.0])
    assert col(x, "bm25_top_margin").tolist() == pytest.approx([(8 - 6) / 8, 0, 0])
    assert col(x, "dense_norm").tolist() == pytest.approx([0.0, 1.0, (0.5 - 0.4) / 0.5])
    assert col(x, "dense_rr").tolist() == pytest.approx([1 / 3, 1.0, 0.5])
    assert col(x, "dense_top_margin").tolist() == pytest.approx([0, 0.9 - 0.5, 0])
    assert col(x, "in_both").tolist() == [1.0, 1.0, 0.0]
    # "carer" is in rows 1 and 2 ("carers"), "foster" too: both cover everything; row 3 nothing
    assert col(x, "coverage").tolist() == pytest.approx([1.0, 1.0, 0.0])
    assert col(x, "bigrams").tolist() == [1.0, 1.0, 0.0]
    assert col(x, "preferred").tolist() == [0.0, 2.0, 0.0]
    assert col(x, "length")[1] == pytest.approx(math.log1p(len(TEXTS[1])) / 8)


def test_query_terms_idf_pairs_and_quoted_phrases():
    q = query_terms('What did "foster carers in Cardiff" say?', ["foster", "carer", "cardiff"],
                    {"foster": 1, "carer": 3, "cardiff": 10}.get, 10, frozenset({"in", "what", "did"}))
    assert q.terms == ("foster", "carer", "cardiff")
    assert q.idf[0] == pytest.approx(math.log(1 + 9.5 / 1.5))
    assert q.idf[2] == pytest.approx(math.log(1 + 0.5 / 10.5))
    assert "what did" not in q.bigrams and "foster carers" in q.bigrams
    assert q.phrases == ("foster carers in cardiff",)


def test_a_long_pasted_sentence_is_a_phrase_and_is_found_word_for_word():
    text = "Foster carers in Cardiff were supported well by the team"
    q = query_terms(text, [], lambda t: 1, 3)
    assert q.phrases == (words(text),)
    assert verbatim(q, [1, 2, 3], View()).tolist() == [1.0, 0.0, 0.0]
    assert query_terms("foster carers", [], lambda t: 1, 3).phrases == ()


def test_linear_ranker_standardises_then_weighs(tmp_path):
    n = len(FEATURES)
    ranker = LinearRanker(FEATURES, np.full(n, 1.0), np.full(n, 2.0), np.eye(n)[0] * 3)
    x = np.zeros((2, n))
    x[:, 0] = [5.0, 1.0]
    assert ranker.score(x).tolist() == pytest.approx([3 * (5 - 1) / 2, 0.0])
    path = tmp_path / "r.json"
    ranker.save(path)
    again = load_ranker(str(path))
    assert again.score(x).tolist() == pytest.approx(ranker.score(x).tolist())
    assert "pickle" not in path.read_text()


def test_a_damaged_ranker_file_is_one_clear_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kind": "linear", "features": ["bm25_norm"], "mean": [0], "scale": [], "weights": [1]}))
    with pytest.raises(QuarryError, match="inconsistent"):
        load_ranker(str(bad))
    with pytest.raises(QuarryError, match="does not exist"):
        load_ranker(str(tmp_path / "missing.json"))


def test_holders_name_each_text_once_and_never_across_a_boundary():
    from search.features import Haystack, pairs_found

    hay = Haystack(["of the care of the", "the", "care of", "thematic of thematic"])
    assert hay.holders("of the") == [0, 3]  # text 0 twice, counted once; "of thematic" holds "of the" too
    assert hay.holders("the care") == [0]
    assert hay.holders("of the care") == [0] and hay.holders("care of the") == [0]  # "care of" + "the" (texts 2, 3) is not one text
    assert hay.holders("zebra") == [] and Haystack([]).holders("x") == []
    # overlapping pairs are each found: "of the", "the care" and "care of" all stand in text 0
    assert pairs_found(("of the", "the care", "care of"), hay).tolist() == [3.0, 0.0, 1.0, 1.0]


def test_a_phrase_pattern_finds_a_phrase_exactly_where_its_words_stand_in_the_text():
    from search.features import phrase_pattern

    phrase = words("Foster carers, in Cardiff")
    for text, expected in [
        ("the foster carers in cardiff were", True),
        ("foster carers,\nin (cardiff)", True),  # any run of non-word characters is one space in words()
        ("the fosterfoster carers in cardiffshire", True),  # the first word may end a word, the last begin one
        ("foster carersx in cardiff", False),  # a middle word stands whole
        ("foster carers_in cardiff", False),  # "_" is a word character
        ("foster carers cardiff", False),
    ]:
        assert (phrase in words(text)) is expected, text
        assert (phrase_pattern(phrase).search(text) is not None) is expected, text


def test_coverage_adds_the_held_terms_idf_in_float32():
    from search.features import coverage

    held = np.array([[1, 0, 1], [1, 1, 0]], dtype=np.float32)
    assert coverage((1.0, 3.0), held).tolist() == pytest.approx([1.0, 0.75, 0.25])
    assert coverage((1.0, 3.0), held).dtype == np.float32
    assert coverage((), np.zeros((0, 2), dtype=np.float32)).tolist() == [0.0, 0.0]


def test_interactions_are_a_confidence_of_the_query_times_a_column():
    from search.features import ALL_FEATURES, confidences, with_interactions

    x = np.zeros((3, len(FEATURES)), dtype=np.float32)
    x[:, FEATURES.index("bm25_rr")] = [0.5, 1.0, 0.0]  # BM25's first passage need not be the first row
    x[:, FEATURES.index("bm25_norm")] = [0.5, 1.0, 0.0]
    x[:, FEATURES.index("coverage")] = [0.2, 0.6, 1.0]
    x[:, FEATURES.index("dense_cos")] = [0.3, 0.1, 0.7]
    x[:, FEATURES.index("long_x_bm25")] = 0.25 * x[:, FEATURES.index("bm25_norm")]
    assert confidences(x) == pytest.approx((0.6, 0.7, 0.25))
    full = with_interactions(x)
    assert full[:, ALL_FEATURES.index("bm25_conf_x_bm25")].tolist() == pytest.approx([0.3, 0.6, 0.0])
    assert full[:, ALL_FEATURES.index("dense_conf_x_bm25")].tolist() == pytest.approx([0.35, 0.7, 0.0])
    assert full[:, ALL_FEATURES.index("long_x_coverage")].tolist() == pytest.approx([0.05, 0.15, 0.25])


def test_the_folded_ranker_scores_as_standardising_every_column_would():
    from search.features import ALL_FEATURES, with_interactions

    rng = np.random.default_rng(0)
    n = len(ALL_FEATURES)
    ranker = LinearRanker(ALL_FEATURES, rng.normal(size=n), rng.uniform(0.5, 2, size=n), rng.normal(size=n))
    x = rng.uniform(size=(6, len(FEATURES))).astype(np.float32)
    x[0, FEATURES.index("bm25_rr")] = 1.0
    standardised = ((with_interactions(x) - ranker.mean) / ranker.scale) @ ranker.weights
    assert ranker.score(x).tolist() == pytest.approx(standardised.tolist(), rel=1e-5)
    assert ranker.score(x[:0]).shape == (0,)


def test_holding_is_contains_for_several_terms(hash_index):
    from search import open_index

    searcher = open_index(hash_index.index, hash_index)
    rows = [len(searcher.chunks) - 1, 5, 0, 5] + list(range(1, len(searcher.chunks), 7))[:100]
    terms = ("children", "nosuchterm", "care", "wrexham")
    held = searcher.holding(terms, rows)
    assert held.shape == (4, len(rows)) and held.dtype == np.float32
    for term, got in zip(terms, held):
        assert got.tolist() == searcher.contains(term, rows).tolist()
    assert searcher.holding((), rows).shape == (0, len(rows))
