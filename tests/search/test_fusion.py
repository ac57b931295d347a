import pytest

from search.fusion import min_max, rrf, top, weighted


def test_rrf_is_the_sum_of_reciprocal_ranks():
    fused = rrf([["d1", "d2", "d3"], ["d3", "d1"]], k=60)
    assert fused["d1"] == pytest.approx(1 / (60 + 1) + 1 / (60 + 2))
    assert fused["d2"] == pytest.approx(1 / (60 + 2))
    assert fused["d3"] == pytest.approx(1 / (60 + 3) + 1 / (60 + 1))
    assert [d for d, _ in top(fused, 2)] == ["d1", "d3"]


def test_rrf_k_changes_the_weight_of_top_ranks():
    fused = rrf([["a", "b"], ["b", "a"]], k=1)
    assert fused["a"] == pytest.approx(1 / 2 + 1 / 3) == fused["b"]


def test_min_max_and_weighted_fusion():
    assert min_max({"a": 2.0, "b": 4.0, "c": 3.0}) == {"a": 0.0, "b": 1.0, "c": 0.5}
    assert min_max({"a": 5.0}) == {"a": 1.0}
    fused = weighted({"a": 0.9, "b": 0.5}, {"b": 10.0, "c": 2.0}, alpha=0.25)
    # dense scaled: a=1, b=0; bm25 scaled: b=1, c=0
    assert fused["a"] == pytest.approx(0.25 * 1 + 0.75 * 0)
    assert fused["b"] == pytest.approx(0.25 * 0 + 0.75 * 1)
    assert fused["c"] == pytest.approx(0.0)


def test_top_breaks_ties_by_id():
    assert top({"b": 1.0, "a": 1.0, "c": 2.0}, 3) == [("c", 2.0), ("a", 1.0), ("b", 1.0)]
    # ties at the k-th place among many ids: the smallest ids (as text) win, as a full sort would give
    many = {i: float(i % 7) for i in range(200)}
    assert top(many, 5) == sorted(many.items(), key=lambda kv: (-kv[1], str(kv[0])))[:5]
    assert [r for r, _ in top(many, 3)] == [104, 111, 118] and top(many, 0) == []


def test_weighted_rrf_scales_each_list():
    fused = rrf([["a", "b"], ["b"]], k=10, weights=[1.0, 0.5])
    assert fused["a"] == pytest.approx(1 / 11)
    assert fused["b"] == pytest.approx(1 / 12 + 0.5 / 11)


def test_preference_weight_is_doubled_when_two_named_fields_match():
    from search.fusion import preference_weight

    assert preference_weight(0.5, 1) == 0.5  # an authority alone, or a year alone
    assert preference_weight(0.5, 2) == 1.0  # authority and year: a named report
    assert preference_weight(0.5, 3) == 1.0
    assert preference_weight(0.5, 0) == 0.0 and preference_weight(0.0, 2) == 0.0
