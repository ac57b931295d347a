import numpy as np
import pytest

from quarry.embedders import HashEmbedder, load_embedder, model_id_for


def test_hash_embedder_is_deterministic_unit_and_word_sensitive():
    e = HashEmbedder()
    a, b, c = e.embed(["care leavers at university", "care leavers at university", "budget overspend"])
    assert np.allclose(a, b) and np.isclose(np.linalg.norm(a), 1.0)
    assert a @ b > a @ c


def test_onnx_model_ids_differ_from_the_torch_model():
    assert model_id_for("all-MiniLM-L6-v2-int8").startswith("all-MiniLM-L6-v2-int8@")
    assert model_id_for("all-MiniLM-L6-v2").startswith("all-MiniLM-L6-v2@")


@pytest.mark.slow
def test_onnx_int8_matches_the_sentence_transformers_model():
    texts = ["How many children came into care in 2009/10?",
             "The Department is responding to more referrals in total than in previous years. " * 8]
    onnx = load_embedder("all-MiniLM-L6-v2-int8").embed(texts)
    torch = load_embedder("all-MiniLM-L6-v2", runtime="torch").embed(texts)
    assert onnx.shape == torch.shape == (2, 384)
    assert np.all((onnx * torch).sum(axis=1) > 0.998)
