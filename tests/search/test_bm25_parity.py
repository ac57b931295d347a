"""The fast sparse BM25 must score exactly as rank-bm25 (the design card's reference) does."""

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from indexer.views import bm25_texts
from quarry.analysis import terms
from search import open_index
from search.bm25 import BM25Retriever

QUERIES = [
    "how many children came into care",
    "Deprivation of Liberty Safeguards backlog",
    "foster carer recruitment in Cardiff",
    "MARAC MAPPA police",
    "social services budget overspend million",
    "care care care leavers",  # repeated terms count again
]


def test_scores_match_rank_bm25_on_the_seed_corpus(hash_index):
    plain = hash_index.with_(interpret=False, meta_weight=0.0)  # the text field alone, no query rewriting
    searcher = open_index(plain.index, plain)
    reference = BM25Okapi([terms(t) for t in bm25_texts([c.to_dict() for c in searcher.chunks])], k1=1.5, b=0.75)
    for query in QUERIES:
        expected = reference.get_scores(terms(query))
        got = BM25Retriever(searcher.index, plain.meta_weight).scores(query)
        assert np.allclose(got, expected, rtol=1e-5, atol=1e-5), query
        hits = searcher.search(query, k=5, mode="bm25").hits
        assert [h.score for h in hits] == pytest.approx(sorted(expected, reverse=True)[:5], abs=1e-4)
        for hit in hits:  # each hit's score is rank-bm25's score for that chunk (ties may reorder)
            row = next(i for i, c in enumerate(searcher.chunks) if c.chunk_id == hit.chunk.chunk_id)
            assert hit.score == pytest.approx(expected[row], abs=1e-4)


def test_a_heading_counts_on_the_first_chunk_under_it_only():
    rows = [{"doc_id": "d", "heading_path": ["3 Review", "3.4 Fostering"], "text": "one"},
            {"doc_id": "d", "heading_path": ["3 Review", "3.4 Fostering"], "text": "two"},
            {"doc_id": "d", "heading_path": ["3 Review"], "text": "three"},
            {"doc_id": "e", "heading_path": ["3 Review"], "text": "four"}]
    assert bm25_texts(rows) == ["3 Review\n3.4 Fostering\none", "two", "3 Review\nthree", "3 Review\nfour"]


def test_unknown_words_score_nothing(hash_index):
    searcher = open_index(hash_index.index, hash_index)
    assert searcher.search("zzqxv", k=5, mode="bm25").hits == []
    with pytest.raises(Exception):
        searcher.search("   ", k=5, mode="bm25")


def test_a_one_chunk_index_still_answers_keyword_queries(tmp_path):
    from indexer.build import build_index
    from quarry.settings import Settings

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "note.txt").write_text("Respite care for parent carers was rated good.\n")
    settings = Settings(index=str(tmp_path / "ix"), model="hash")
    build_index([docs], settings)
    hits = open_index(settings.index, settings).search("respite carers", k=3, mode="bm25").hits
    assert len(hits) == 1 and hits[0].score > 0


def test_the_matrix_is_the_same_built_from_a_stream_of_term_lists():
    from indexer.lexical import build_matrix

    docs = [["foster", "carer", "foster"], [], ["carer", "review"], ["review"]]
    listed, streamed = build_matrix(docs, 1.5, 0.75), build_matrix(iter(docs), 1.5, 0.75)
    assert listed[0] == streamed[0] == ["foster", "carer", "review"]
    for a, b in zip(listed[1:], streamed[1:]):
        np.testing.assert_array_equal(a, b)
    assert listed[2].tolist() == [0, 0, 2, 2, 3] and listed[3].tolist() == [0, 1, 3, 5]
