import numpy as np
import pytest

from quarry.errors import UsageError
from search import open_index
from search.bm25 import BM25Retriever


@pytest.fixture(scope="module")
def searcher(hash_index):
    return open_index(hash_index.index, hash_index)


def test_hybrid_hits_carry_breakdown_and_citation(searcher):
    hits = searcher.search("MARAC Multi-Agency Risk Assessment Conference", k=5, mode="hybrid").hits
    assert len(hits) == 5
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert all(set(h.ranks) <= {"bm25", "dense"} and h.ranks for h in hits)
    top = hits[0]
    assert top.doc.title == "Social Services Annual Report 2009/10"
    assert "Wrexham County Borough Council" in top.citation
    assert searcher.source_text(top.chunk.doc_id)[top.chunk.char_start:top.chunk.char_end] == top.chunk.text


def test_filters_are_hard(searcher):
    for key, value, doc in [("authority", "Cardiff", "ciw-cardiff-performance-review-2018-19"),
                            ("doc", "ciw-wrexham-performance-review-2019-20", "ciw-wrexham-performance-review-2019-20")]:
        hits = searcher.search("children's services", k=20, filters={key: [value]}).hits
        assert hits and {h.chunk.doc_id for h in hits} == {doc}
    hits = searcher.search("children's services", k=50, filters={"year": ["2010"]}).hits
    assert {h.chunk.doc_id for h in hits} == {"wrexham-social-services-annual-report-2009-10"}
    assert searcher.search("children", k=5, filters={"type": ["annual report"], "authority": ["Cardiff"]}).hits == []


def test_bad_input_is_a_usage_error(searcher):
    for kwargs in ({"query": ""}, {"query": "\x00\x01"}, {"query": "x", "k": 0}, {"query": "x", "k": -1},
                   {"query": "x", "k": 10**9}, {"query": "x" * 5000}, {"query": "x", "mode": "magic"},
                   {"query": "x", "filters": {"colour": ["red"]}}, {"query": "x", "filters": {"year": ["last year"]}}):
        with pytest.raises(UsageError):
            searcher.search(**kwargs)


def test_section_context_contains_the_chunk(searcher):
    hit = searcher.search("Fostering and Adoption inspection", k=1, mode="bm25").hits[0]
    context, start, end = searcher.section_context(hit.chunk)
    assert context[start:end] == hit.chunk.text


def test_meta_field_lifts_the_named_document(hash_index):
    plain = open_index(hash_index.index, hash_index.with_(interpret=False, meta_weight=0.0))
    meta = open_index(hash_index.index, hash_index.with_(interpret=False, meta_weight=1.0))
    query = "looked after children placements Cardiff"
    text_only = BM25Retriever(plain.index, plain.settings.meta_weight).scores(query, meta_query=query)
    with_meta = BM25Retriever(meta.index, meta.settings.meta_weight).scores(query, meta_query=query)
    cardiff = np.array([c.doc_id == "ciw-cardiff-performance-review-2018-19" for c in meta.chunks])
    assert (with_meta[cardiff] > text_only[cardiff]).all()
    assert np.allclose(with_meta[~cardiff], text_only[~cardiff])


def test_lowered_texts_are_remembered_within_a_budget_and_stay_right(hash_index, monkeypatch):
    """What the candidate features read: each passage's text in lower case, in the order asked (repeats
    kept); past the character budget the memory is dropped and refilled, never served stale or short."""
    import search.api as api

    fresh = open_index(hash_index.index, hash_index)
    rows = [5, 0, 5, len(fresh.chunks) - 1, 3]
    want = [fresh.chunks.text(r).lower() for r in rows]
    assert fresh.lowered_of(rows) == want
    assert set(fresh._lowered) == set(rows)
    monkeypatch.setattr(api, "LOWERED_CHARS", 1)  # every fill now starts from an empty memory
    assert fresh.lowered_of(np.array([2, 5])) == [fresh.chunks.text(2).lower(), want[0]]
    assert fresh.lowered_of([7]) == [fresh.chunks.text(7).lower()] and set(fresh._lowered) == {7}
