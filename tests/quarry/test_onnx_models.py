"""The fp32 ONNX export of a local model (same vectors, same id) and the rule that picks a runtime."""

import json

import numpy as np
import pytest

from quarry import onnx_models
from quarry.embedders import OnnxEmbedder, SentenceTransformerEmbedder, load_embedder, model_id_for
from quarry.errors import QuarryError

CPUINFO = """processor\t: 0
flags\t\t: fpu sse2 avx avx2 fma avx512f avx512bw avx512_vnni
processor\t: 1
flags\t\t: fpu sse2 avx avx2 fma avx512f avx512bw avx512_vnni
"""


def test_cpu_flags_reads_the_first_flags_line_and_keeps_the_ones_that_decide_speed():
    assert onnx_models.cpu_flags(CPUINFO) == ["avx2", "avx512f", "avx512_vnni"]
    assert onnx_models.cpu_flags("flags\t: sse2 avx2\n") == ["avx2"]
    assert onnx_models.cpu_flags("no flags here") == []


def test_choose_runtime_takes_the_fastest_that_agrees():
    measured = {"torch": {"rate": 10.0, "min_cosine": 1.0}, "onnx": {"rate": 12.0, "min_cosine": 0.99999},
                "int8": {"rate": 17.0, "min_cosine": 0.9906}}
    assert onnx_models.choose_runtime(measured) == "onnx"  # int8 is faster but disagrees (0.9906 < 0.999)
    assert onnx_models.choose_runtime(measured, agree=0.99) == "int8"
    with pytest.raises(ValueError):
        onnx_models.choose_runtime({"int8": {"rate": 1.0, "min_cosine": 0.5}})


def test_min_cosine_is_the_worst_row():
    a = np.array([[1.0, 0.0], [0.0, 2.0]])
    b = np.array([[1.0, 0.0], [1.0, 1.0]])
    assert onnx_models.min_cosine(a, b) == pytest.approx(1 / np.sqrt(2))
    assert onnx_models.min_cosine(np.zeros((0, 2)), np.zeros((0, 2))) == 1.0


def test_only_mean_pooled_models_without_extra_layers_are_exported(tmp_path):
    (tmp_path / "1_Pooling").mkdir()
    config = tmp_path / "1_Pooling" / "config.json"
    modules = tmp_path / "modules.json"
    st = "sentence_transformers.models."
    modules.write_text(json.dumps([{"type": st + "Transformer"}, {"type": st + "Pooling"}, {"type": st + "Normalize"}]))
    config.write_text(json.dumps({"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False}))
    assert onnx_models.is_mean_pooled(tmp_path)
    config.write_text(json.dumps({"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}))
    assert not onnx_models.is_mean_pooled(tmp_path)
    config.write_text(json.dumps({"pooling_mode_mean_tokens": True}))
    modules.write_text(json.dumps([{"type": st + "Transformer"}, {"type": st + "Pooling"}, {"type": st + "Dense"}]))
    assert not onnx_models.is_mean_pooled(tmp_path)  # a Dense layer after pooling is not in the export
    assert not onnx_models.is_mean_pooled(tmp_path / "missing")


def test_the_bundled_models_shape_comes_from_its_config_files():
    from quarry.embedders import default_model_path

    assert onnx_models.shape(default_model_path()) == (384, 256)
    assert onnx_models.is_mean_pooled(default_model_path())


def test_a_recorded_choice_is_read_back_only_for_the_same_cpu_flags(tmp_path):
    record = {"model_id": "m@1", "cpu_flags": ["avx2"], "export": onnx_models.EXPORT, "runtime": "onnx", "measured": {}}
    onnx_models.write_choice(tmp_path, "m@1", record)
    assert onnx_models.read_choice(tmp_path, "m@1", ["avx2"]) == record
    assert onnx_models.read_choice(tmp_path, "m@1", ["avx2", "avx512_vnni"]) is None  # another machine: measure again
    assert onnx_models.read_choice(tmp_path, "other@2", ["avx2"]) is None
    onnx_models.write_choice(tmp_path, "m@1", {**record, "export": onnx_models.EXPORT - 1})
    assert onnx_models.read_choice(tmp_path, "m@1", ["avx2"]) is None  # measured on an earlier export: measure again


def test_an_unknown_runtime_is_one_clear_error():
    with pytest.raises(QuarryError, match="runtime must be"):
        load_embedder("all-MiniLM-L6-v2", runtime="tensorrt")


@pytest.mark.slow
def test_the_fp32_onnx_export_gives_the_torch_vectors_under_the_same_model_id(tmp_path):
    texts = onnx_models.PROBES + ["Care leavers", "Inspection of Dorset local authority children’s services " * 20]
    onnx = load_embedder("all-MiniLM-L6-v2", runtime="onnx", cache=str(tmp_path))
    torch = load_embedder("all-MiniLM-L6-v2", runtime="torch")
    assert isinstance(onnx, OnnxEmbedder) and isinstance(torch, SentenceTransformerEmbedder)
    assert onnx.model_id == torch.model_id == model_id_for("all-MiniLM-L6-v2")
    assert onnx_models.min_cosine(onnx.embed(texts), torch.embed(texts)) >= onnx_models.EXACT
    assert [p.name for p in tmp_path.glob("*/*.onnx")] == [onnx_models.FUSED]  # made once, kept beside nothing else
    assert onnx.model_file.name == onnx_models.FUSED
    # the bundled MiniLM is a BERT: every layer's attention, skip-layer-norm and GELU are fused nodes
    assert onnx_models.fused_ops(onnx.model_file) == {"Attention": 6, "SkipLayerNormalization": 12, "BiasGelu": 6,
                                                     "EmbedLayerNormalization": 1}
    auto = load_embedder("all-MiniLM-L6-v2", runtime="auto", cache=str(tmp_path))  # measures once and records it
    record = onnx_models.read_choice(tmp_path, onnx.model_id, onnx_models.cpu_flags())
    assert record is not None and record["runtime"] in {"onnx", "torch"}
    assert record["measured"]["onnx"]["min_cosine"] >= onnx_models.EXACT
    assert type(auto).__name__ == {"onnx": "OnnxEmbedder", "torch": "SentenceTransformerEmbedder"}[record["runtime"]]
    # passages (an index build) may take bf16, only on a CPU that multiplies bf16 and only when it agrees
    assert ("bf16" in record["measured"]) == onnx_models.has_bf16(onnx_models.cpu_flags())
    assert record["passages"] in {"torch", record["runtime"]} | ({"bf16"} if "bf16" in record["measured"] else set())
    if record["passages"] == "bf16":
        assert record["measured"]["bf16"]["min_cosine"] >= onnx_models.BF16_AGREE
    batch = load_embedder("all-MiniLM-L6-v2", runtime="auto", cache=str(tmp_path), passages=True)
    assert getattr(batch, "bf16", False) == (record["passages"] == "bf16")


@pytest.mark.slow
def test_bf16_products_give_vectors_within_the_agreement_under_the_same_model_id():
    texts = onnx_models.PROBES + ["Care leavers", "Inspection of Dorset local authority children’s services " * 20]
    bf16 = load_embedder("all-MiniLM-L6-v2", runtime="bf16")
    torch = load_embedder("all-MiniLM-L6-v2", runtime="torch")
    assert bf16.bf16 and not torch.bf16 and bf16.model_id == torch.model_id
    vectors = bf16.embed(texts)
    assert vectors.dtype == np.float32 and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert onnx_models.min_cosine(vectors, torch.embed(texts)) >= onnx_models.BF16_AGREE
    assert not np.array_equal(vectors, torch.embed(texts))  # it did run in bf16


def test_bf16_is_measured_only_on_cpus_that_multiply_it():
    assert onnx_models.has_bf16(["avx2", "avx512f", "avx512_bf16"]) and onnx_models.has_bf16(["amx_bf16"])
    assert not onnx_models.has_bf16(onnx_models.cpu_flags(CPUINFO))


@pytest.mark.slow
def test_a_graph_the_optimizer_cannot_fuse_falls_back_to_the_plain_export(tmp_path, monkeypatch):
    from quarry.embedders import default_model_path

    def broken(plain, out, config):
        out.write_bytes(b"half a file")
        raise RuntimeError("this onnxruntime cannot fuse it")

    monkeypatch.setattr(onnx_models, "_fuse", broken)
    made = onnx_models.fused_onnx(default_model_path(), "m@1", tmp_path)
    assert made.name == onnx_models.FUSED and onnx_models.fused_ops(made)["Attention"] == 0  # the plain graph
    assert [p.name for p in made.parent.iterdir()] == [onnx_models.FUSED]  # no temporary file left behind
