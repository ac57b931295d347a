"""MemoEmbedder: the one caching wrapper (query vectors reused across modes, reruns and answers)."""

import numpy as np

from quarry.embedders import HashEmbedder, MemoEmbedder
from tests.counting import Counting


def test_each_text_is_embedded_once_and_vectors_match_the_inner_model():
    inner = Counting()
    memo = MemoEmbedder(inner)
    first = memo.embed(["foster carers", "care leavers", "foster carers"])
    again = memo.embed(["care leavers", "adoption"])
    assert inner.seen == ["foster carers", "care leavers", "adoption"]
    assert np.allclose(first[0], first[2]) and np.allclose(again[0], first[1])
    assert np.allclose(again[1], HashEmbedder().embed(["adoption"])[0])
    assert memo.model_id == inner.model_id and len(memo) == 3


def test_least_recently_used_text_leaves_first():
    inner = Counting()
    memo = MemoEmbedder(inner, max_items=2)
    memo.embed(["a"]), memo.embed(["b"]), memo.embed(["a"]), memo.embed(["c"])  # b is the oldest use
    memo.embed(["a"]), memo.embed(["b"])
    assert inner.seen == ["a", "b", "c", "b"]


def test_a_lazy_inner_model_is_loaded_on_first_embed_only():
    loads = []
    memo = MemoEmbedder(lambda: loads.append(1) or HashEmbedder(), model_id="hash-384")
    assert memo.model_id == "hash-384" and loads == []
    memo.embed(["x"]), memo.embed(["x"])
    assert loads == [1] and memo.embed([]).shape == (0, 384)


def test_clear_forgets_every_vector():
    inner = Counting()
    memo = MemoEmbedder(inner)
    memo.embed(["x"]), memo.clear(), memo.embed(["x"])
    assert inner.seen == ["x", "x"] and len(memo) == 1
