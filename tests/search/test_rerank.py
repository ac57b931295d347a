"""The optional reranker hook: a CrossEncoder from a local folder reorders the passages an answer reads."""

from __future__ import annotations

import pytest

from quarry.errors import QuarryError
from quarry.records import Chunk, DocInfo, Hit
from search.rerank import load_reranker, passage_text, rerank


def _hits(texts):
    doc = DocInfo("d", "d.txt", "Doc")
    return [Hit(Chunk(f"d:{i}", "d", None, "Heading", ("Heading",), t, i * 100, i * 100 + len(t)), doc, 1.0 / (i + 1), i + 1,
                {"bm25": i + 1}) for i, t in enumerate(texts)]


class LengthScorer:
    """Scores a passage by its length: the longest is best."""

    def __init__(self):
        self.pairs = None

    def predict(self, pairs, **kwargs):
        self.pairs = pairs
        return [float(len(p)) for _, p in pairs]


def test_rerank_orders_by_the_predicted_score_and_keeps_the_fused_rank():
    hits = _hits(["short", "a much longer passage", "medium one"])
    scorer = LengthScorer()
    out = rerank("q", hits, scorer)
    assert [h.chunk.text for h in out] == ["a much longer passage", "medium one", "short"]
    assert [h.rank for h in out] == [1, 2, 3]
    assert [h.ranks["fused"] for h in out] == [2, 3, 1]
    assert out[0].scores["rerank"] == float(len(passage_text(hits[1])))
    assert scorer.pairs[0] == ("q", "Heading\nshort")


def test_ties_keep_the_fused_order():
    class Flat:
        def predict(self, pairs, **kwargs):
            return [1.0] * len(pairs)

    hits = _hits(["a", "b", "c"])
    assert [h.chunk.text for h in rerank("q", hits, Flat())] == ["a", "b", "c"]


def test_a_missing_reranker_folder_is_one_clear_error(tmp_path):
    with pytest.raises(QuarryError, match="not a local cross-encoder folder"):
        load_reranker(str(tmp_path / "nowhere"))


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory):
    """A two-layer BERT cross-encoder with random weights and the bundled MiniLM vocabulary."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    from quarry.embedders import default_model_path

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("cross-encoder")
    tokenizer = BertTokenizerFast(vocab_file=str(default_model_path() / "vocab.txt"))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512, num_labels=1)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


@pytest.mark.slow
def test_a_local_cross_encoder_reorders_the_passages_of_an_answer(hash_index, tiny_cross_encoder):
    from search import open_index
    from search.answer import ask

    model = load_reranker(tiny_cross_encoder)
    question = "How many children came into care in Wrexham?"
    reranked = open_index(hash_index.index, hash_index.with_(reranker=tiny_cross_encoder))
    answer = ask(reranked, question)
    read = list(answer.passages)
    assert read and all("rerank" in h.ranks for h in read)
    predicted = model.predict([(question, passage_text(h)) for h in read], show_progress_bar=False)
    assert [float(p) for p in predicted] == pytest.approx([h.scores["rerank"] for h in read], abs=1e-5)
    assert list(predicted) == sorted(predicted, reverse=True)  # shown in the model's order...
    fused = [h.ranks["fused"] for h in read]
    assert fused != sorted(fused)  # ...which is not the fused order (the test can fail)
