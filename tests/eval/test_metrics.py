"""Each metric against values worked out by hand on a 3-query toy run (the arithmetic is the test)."""

from math import log2

import pytest

from eval.metrics import METRICS, evaluate, first_relevant, judged, recall_curve

# q1: both relevant found, at ranks 1 and 3.
# q2: graded: d6 (rel 1) at rank 2, d5 (rel 2) at rank 12 -- outside the top 10.
# q3: the one relevant document at rank 6 -- outside the top 5.
QRELS = {"q1": {"d1": 1, "d3": 1}, "q2": {"d5": 2, "d6": 1}, "q3": {"d20": 1}}
RUN = {
    "q1": ["d1", "d2", "d3", "d4"],
    "q2": ["d7", "d6", "d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15", "d16", "d5"],
    "q3": ["d21", "d22", "d23", "d24", "d25", "d20"],
}

BY_HAND = {
    "q1": {
        "ndcg@10": (1 / log2(2) + 1 / log2(4)) / (1 / log2(2) + 1 / log2(3)),
        "recall@10": 2 / 2, "recall@100": 2 / 2, "mrr@10": 1 / 1,
        "map@100": (1 / 1 + 2 / 3) / 2, "success@1": 1, "success@5": 1,
    },
    "q2": {
        # linear gain (trec_eval): DCG@10 sees only d6; the ideal list is d5 (gain 2) then d6 (gain 1)
        "ndcg@10": (1 / log2(3)) / (2 / log2(2) + 1 / log2(3)),
        "recall@10": 1 / 2, "recall@100": 2 / 2, "mrr@10": 1 / 2,
        "map@100": (1 / 2 + 2 / 12) / 2, "success@1": 0, "success@5": 1,
    },
    "q3": {
        "ndcg@10": (1 / log2(7)) / (1 / log2(2)),
        "recall@10": 1, "recall@100": 1, "mrr@10": 1 / 6,
        "map@100": 1 / 6, "success@1": 0, "success@5": 0,
    },
}


@pytest.fixture(scope="module")
def scores():
    return evaluate(QRELS, RUN)


@pytest.mark.parametrize("metric", list(METRICS))
def test_per_query_values_match_the_hand_arithmetic(scores, metric):
    for qid, expected in BY_HAND.items():
        assert scores.per_query[metric][qid] == pytest.approx(expected[metric]), (metric, qid)


@pytest.mark.parametrize("metric", list(METRICS))
def test_means_are_over_the_three_queries(scores, metric):
    assert scores.queries == 3
    assert scores.mean[metric] == pytest.approx(sum(BY_HAND[q][metric] for q in BY_HAND) / 3)


def test_worked_means_spelled_out(scores):
    assert scores.mean["success@5"] == pytest.approx((1 + 1 + 0) / 3)
    assert scores.mean["mrr@10"] == pytest.approx((1 + 1 / 2 + 1 / 6) / 3)
    assert scores.mean["recall@10"] == pytest.approx((1 + 1 / 2 + 1) / 3)


def test_list_order_is_what_counts_and_repeats_count_once():
    # d1 repeated: its second appearance is dropped, so d3 is at rank 2, not 3
    s = evaluate({"q": {"d3": 1}}, {"q": ["d1", "d1", "d3"]})
    assert s.per_query["mrr@10"]["q"] == pytest.approx(1 / 2)


def test_queries_without_a_relevant_unit_are_left_out():
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 0}, "q3": {}}
    assert set(judged(qrels)) == {"q1"}
    s = evaluate(qrels, {"q1": ["d1"], "q2": ["d2"]})
    assert s.queries == 1 and s.mean["success@1"] == 1.0


def test_a_query_with_no_results_scores_zero():
    s = evaluate({"q1": {"d1": 1}, "q2": {"d2": 1}}, {"q1": ["d1"]})
    assert s.per_query["success@5"] == {"q1": 1.0, "q2": 0.0}
    assert s.mean["ndcg@10"] == pytest.approx(0.5)


def test_nothing_retrieved_for_any_query_scores_zero():
    s = evaluate({"q1": {"d1": 1}, "q2": {"d2": 1}}, {"q1": [], "q2": []})
    assert s.queries == 2 and s.mean["ndcg@10"] == 0.0 and s.per_query["success@1"] == {"q1": 0.0, "q2": 0.0}


def test_recall_curve_rises_to_the_depth_found():
    curve = recall_curve(QRELS, RUN, cutoffs=(1, 3, 10, 12))
    assert curve[1] == pytest.approx((1 / 2 + 0 + 0) / 3)
    assert curve[3] == pytest.approx((2 / 2 + 1 / 2 + 0) / 3)
    assert curve[10] == pytest.approx((1 + 1 / 2 + 1) / 3)
    assert curve[12] == pytest.approx(1.0)


def test_first_relevant():
    assert first_relevant({"d20": 1}, RUN["q3"]) == 6
    assert first_relevant({"x": 1}, RUN["q3"]) is None
    assert first_relevant({"d1": 0}, ["d1"]) is None


def test_paired_p_by_hand():
    from scipy.stats import t as student_t

    from eval.metrics import paired_p

    a = {"q1": 0.5, "q2": 0.7, "q3": 0.9}
    b = {"q1": 0.4, "q2": 0.4, "q3": 0.4}
    # differences 0.1, 0.3, 0.5: mean 0.3, sample sd 0.2, t = 0.3 / (0.2 / sqrt(3)), 2 degrees of freedom
    t = 0.3 / (0.2 / 3 ** 0.5)
    assert paired_p(a, b) == pytest.approx(2 * student_t.sf(t, 2))
    assert paired_p(a, a) == 1.0
    assert paired_p(a, {q: v - 0.1 for q, v in a.items()}) == 0.0
