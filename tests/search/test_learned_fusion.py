"""Learned fusion, the default hybrid: the shipped ranker, pasted quotes found first, and the same
candidates and order whichever fusion path asks for them."""

import json
from dataclasses import replace

import numpy as np
import pytest

from quarry.errors import QuarryError
from quarry.settings import Settings
from search import open_index
from search.features import ALL_FEATURES, FEATURES
from search.ranker import DEFAULT_RANKER, VERBATIM_BONUS, load_ranker

PASTED = ("Within children's services the average social worker caseload increased to 19.5 in December 2018 "
          "from 16.9 in September 2018 and we found an over reliance on agency social workers.")


@pytest.fixture(scope="module")
def searcher(hash_index):
    return open_index(hash_index.index, hash_index)


def test_learned_fusion_is_the_default_and_its_ranker_ships_fitted_on_training_halves():
    assert Settings().fusion == "learned"
    data = json.loads(DEFAULT_RANKER.read_text(encoding="utf-8"))
    assert "training halves" in data["about"]["fitted_on"] and data["about"]["command"].startswith("python -m eval.fusion")
    ranker = load_ranker()
    assert set(ranker.features) <= set(ALL_FEATURES) and np.all(np.isfinite(ranker.weights))


def test_hybrid_orders_the_candidates_by_the_ranker(searcher):
    query = "foster carers recruitment"
    cands = searcher.candidates(query)
    scores = load_ranker().score(cands.features) + VERBATIM_BONUS * cands.verbatim
    expected = [cands.rows[i] for i in np.lexsort((np.array([str(r) for r in cands.rows]), -scores))][:5]
    hits = searcher.search(query, k=5, mode="hybrid").hits
    assert [searcher.chunks.index(h.chunk) for h in hits] == expected
    assert all(h.ranks for h in hits)  # each hit says where each retriever put it
    assert cands.features.shape == (len(cands.rows), len(FEATURES))


def test_a_pasted_sentence_or_a_quoted_phrase_finds_its_passage_first(searcher):
    for query, needle in [(PASTED, "caseload increased to 19.5"),
                          ('where does "the morning call ceased" come from', "the morning call ceased")]:
        top = searcher.search(query, k=3, mode="hybrid").hits[0]
        assert needle in " ".join(top.chunk.text.split()), query


def test_rrf_and_weighted_fusion_stay_available(hash_index):
    for fusion in ("rrf", "weighted"):
        s = open_index(hash_index.index, replace(hash_index, fusion=fusion))
        assert s.search("foster carers", k=3, mode="hybrid").hits


def test_a_missing_ranker_file_is_one_clear_error(hash_index, tmp_path):
    s = open_index(hash_index.index, replace(hash_index, fusion_model=str(tmp_path / "nope.json")))
    with pytest.raises(QuarryError, match="does not exist"):
        s.search("foster carers", k=3, mode="hybrid")
