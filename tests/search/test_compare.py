from dataclasses import replace

import numpy as np

import pytest

from quarry.errors import UsageError
from quarry.records import DocInfo
from search import open_index
from search.compare import NO_EVIDENCE, UNKNOWN, authority_key, compare, group_keys, group_label, order_key
from search.group_rank import fuse_within, ranks_within, top_within


def test_ranks_within_numbers_each_group_separately():
    gid = np.array([0, 1, 0, 1, 0, 0, 0, 0, 0, 0])  # row -> group
    rows = np.array([5, 3, 9, 1])  # groups 0, 1, 0, 1
    assert ranks_within(rows, gid).tolist() == [1, 1, 2, 2]
    assert ranks_within(np.array([], dtype=np.int64), gid).tolist() == []


def test_fuse_within_is_rrf_of_within_group_ranks_cut_at_depth():
    gid = np.array([0, 0, 1, 1])
    ranked = {"bm25": (np.array([2, 0, 1, 3]), 1.0),  # group ranks: row2 1, row0 1, row1 2, row3 2
              "dense": (np.array([1, 3, 0]), 1.0)}  # row1 1, row3 1, row0 2
    fused, ranks = fuse_within(ranked, gid, depth=1, rrf_k=60, n=4)
    # depth 1 keeps each group's first entry per retriever only
    assert fused[0] == pytest.approx(1 / 61)
    assert fused[1] == pytest.approx(1 / 61)
    assert fused[2] == pytest.approx(1 / 61)
    assert fused[3] == pytest.approx(1 / 61)
    fused, ranks = fuse_within(ranked, gid, depth=2, rrf_k=60, n=4)
    assert fused[0] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[3] == pytest.approx(1 / 62 + 1 / 61)
    assert ranks["bm25"].tolist() == [1, 2, 1, 2] and ranks["dense"].tolist() == [2, 1, 0, 1]


def test_top_within_keeps_the_best_per_group_and_drops_unscored_rows():
    gid = np.array([0, 0, 0, 1, 1, 2])
    scores = np.array([0.1, 0.3, 0.3, -np.inf, -0.2, -np.inf])  # -inf: not a candidate
    assert top_within(scores, gid, 2) == {0: [1, 2], 1: [4]}  # ties: lower row first; group 2 has nothing
    assert top_within(scores, gid, 1) == {0: [1], 1: [4]}


def test_authority_spellings_share_one_group():
    assert authority_key("Hammersmith & Fulham") == authority_key("Hammersmith and Fulham") == "hammersmith and fulham"
    assert authority_key("Kingston-upon-Hull") == authority_key("Kingston upon Hull")
    assert authority_key("Cardiff City Council") == "cardiff"
    assert authority_key("Wrexham County Borough Council") == "wrexham"
    infos = {d: DocInfo(d, d, d, authority=a) for d, a in
             [("a", "East Riding"), ("b", "East Riding of Yorkshire"), ("c", "Southend-On-Sea"), ("d", "Southend-on-Sea"),
              ("e", None), ("f", "North Yorkshire")]}
    keys = group_keys(infos, "authority")
    assert keys["a"] == keys["b"] == "east riding of yorkshire"
    assert keys["c"] == keys["d"] and keys["e"] == UNKNOWN and keys["f"] == "north yorkshire"
    assert group_label(keys["c"], [infos["c"], infos["d"]], "authority") == "Southend-on-Sea"
    assert group_label("focused visit", [], "type") == "Focused visit" and group_label(UNKNOWN, [], "type") == UNKNOWN
    with pytest.raises(UsageError):
        group_keys(infos, "colour")


def test_groups_order_by_year_or_name_with_unknown_last():
    assert sorted(["2021", UNKNOWN, "2019"], key=lambda k: order_key("year", k, k)) == ["2019", "2021", UNKNOWN]
    labels = ["wrexham", "Barnet", UNKNOWN, "cardiff"]
    assert sorted(labels, key=lambda k: order_key("authority", k, k)) == ["Barnet", "cardiff", "wrexham", UNKNOWN]


@pytest.fixture(scope="module")
def searcher(hash_index):
    return open_index(hash_index.index, hash_index)


@pytest.mark.parametrize("fusion", ["learned", "rrf"])
@pytest.mark.parametrize("topic, by", [("support for foster carers and recruitment", "doc"),
                                       ("safeguarding adults in Wrexham in 2009", "year"),
                                       ("\"looked after children\" placements", "authority")])
def test_each_group_gets_what_a_search_filtered_to_it_ranks_first(hash_index, fusion, topic, by):
    searcher = open_index(hash_index.index, replace(hash_index, fusion=fusion))
    result = compare(searcher, topic, by=by, per_group=2, findings=False)
    if by == "doc":
        assert [r.key for r in result.rows] == sorted(searcher.doc_infos, key=lambda d: result.rows[[x.key for x in result.rows].index(d)].label.casefold())
    for row in result.rows:
        alone = searcher.search(topic, k=2, filters={"doc": list(row.documents)}).hits
        assert [h.chunk.chunk_id for h in row.hits] == [h.chunk.chunk_id for h in alone]
        assert [h.rank for h in row.hits] == [1, 2][:len(alone)]
        assert row.hits[0].ranks == alone[0].ranks
        assert row.hits[0].score == pytest.approx(alone[0].score)


def test_by_authority_lists_every_group_and_by_year_orders_years(searcher):
    result = compare(searcher, "safeguarding adults", by="authority", findings=False)
    assert [r.label for r in result.rows] == ["Cardiff City Council", "Wrexham County Borough Council"]
    assert len(result.rows[1].documents) == 2
    years = compare(searcher, "safeguarding adults", by="year", findings=False)
    assert [r.key for r in years.rows] == sorted(r.key for r in years.rows)
    filtered = compare(searcher, "safeguarding adults", by="authority", filters={"authority": ["Cardiff"]}, findings=False)
    assert [r.label for r in filtered.rows] == ["Cardiff City Council"]


def test_keyword_mode_lists_groups_without_a_match_as_such(searcher):
    result = compare(searcher, "telecare", by="doc", mode="bm25", findings=False)
    empty = [r for r in result.rows if not r.hits]
    assert empty and all(r.reason == NO_EVIDENCE and r.abstained for r in empty)
    assert any(r.hits for r in result.rows)


def test_findings_are_verified_quotes_or_abstentions(searcher):
    result = compare(searcher, "Multi-Agency Risk Assessment Conference MARAC", by="doc")
    assert len(result.rows) == 3
    for row in result.rows:
        if row.finding:
            f = row.finding
            assert searcher.source_text(f.hit.chunk.doc_id)[f.char_start:f.char_end] == f.quote
            assert row.reason == ""
        else:
            assert row.reason
    line = result.rows[0].to_dict()
    assert set(line) >= {"group", "key", "documents", "abstained", "reason", "confidence", "finding", "hits"}


def test_bad_input_is_a_usage_error(searcher):
    for kwargs in ({"topic": ""}, {"topic": "x", "by": "colour"}, {"topic": "x", "per_group": 0},
                   {"topic": "x", "per_group": 99}, {"topic": "x", "mode": "magic"},
                   {"topic": "x", "filters": {"colour": ["red"]}}):
        with pytest.raises(UsageError):
            compare(searcher, **kwargs)


def test_keeps_phrase_needs_two_neighbouring_topic_terms_in_short_topics():
    from search.compare import keeps_phrase

    topic = ("famili", "hub")  # "family hubs" analysed
    assert keeps_phrase(topic, "The family hubs offer early help.")
    assert not keeps_phrase(topic, "The multi-agency safeguarding hub gathers information about families.")
    assert keeps_phrase(("apprenticeship",), "anything")  # one term: nothing to keep together
    long_question = ("limit", "children", "databas", "affect", "manag", "track")
    assert keeps_phrase(long_question, "managers keep spreadsheets")  # a question's wording is not a name


def test_reordered_puts_the_passage_with_the_best_sentence_first():
    from types import SimpleNamespace

    from quarry.records import Chunk, DocInfo, Hit
    from search.compare import reordered

    doc = DocInfo("d", "d", "D")
    hits = [Hit(Chunk(f"c{i}", "d", None, "", (), "t", 0, 1), doc, 1.0 / i, i) for i in (1, 2, 3)]
    cands = [SimpleNamespace(hit=hits[0], score=0.9), SimpleNamespace(hit=hits[1], score=1.2),
             SimpleNamespace(hit=hits[1], score=0.4)]  # the third passage has no sentence to quote
    out = reordered(hits, cands, 3)
    assert [h.chunk.chunk_id for h in out] == ["c2", "c1", "c3"] and [h.rank for h in out] == [1, 2, 3]
    assert out[0].scores["answer"] == 1.2 and "answer" not in out[2].scores
    notices_first = reordered([hits[2], hits[0], hits[1]], cands, 3)  # a passage with nothing to quote goes after those that answer
    assert [h.chunk.chunk_id for h in notices_first] == ["c2", "c1", "c3"] and [h.rank for h in notices_first] == [1, 2, 3]


def test_a_finding_from_another_time_scores_less_and_a_judgement_asked_needs_one_stated():
    from types import SimpleNamespace

    from search.compare import finding_score, stating

    # 1.0 * 0.6 + 0.75 * 0.4 + 0.2 / sqrt(4) + 0.2 * 1 = 1.2; naming only other years takes 0.2 off
    assert finding_score(0.6, 0.4, 4, True) == pytest.approx(1.2)
    assert finding_score(0.6, 0.4, 4, True, other_time=True) == pytest.approx(1.0)
    table_row, paragraph = SimpleNamespace(figure=True), SimpleNamespace(figure=False)
    assert stating("rating", [paragraph, table_row]) == [table_row]  # the grade stated answers, the paragraph does not
    assert stating("rating", [paragraph]) == [paragraph]  # none states one: the paragraph may still answer
    assert stating("count", [paragraph, table_row]) == [paragraph, table_row]
