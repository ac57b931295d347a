"""The embedding benchmark's arithmetic: FLOPs per passage and the GEMM graph the ceiling is timed on."""

import numpy as np
import pytest

from eval.bench import embedspeed


def test_flops_per_passage_is_the_weight_products_plus_attention_by_hand():
    # one layer, hidden 2, feed-forward 4, 3 tokens: weights 4*2*2 + 2*2*4 = 32 -> 2*32*3 = 192;
    # attention QK^T and AV: 4 * 3*3 * 2 = 72
    assert embedspeed.flops_per_passage(3, layers=1, hidden=2, intermediate=4) == 192 + 72
    # all-MiniLM-L6-v2 at 192 word-pieces: 6 * (2 * 1,769,472 * 192 + 4 * 192^2 * 384) = 4.42 GFLOP
    assert embedspeed.flops_per_passage(192) == 6 * (2 * 1_769_472 * 192 + 4 * 192 * 192 * 384)


def test_the_ceiling_graph_computes_the_model_shaped_products(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

    path = embedspeed._gemm_graph(4, tmp_path / "g.onnx")
    ws = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}
    assert [ws[f"w0_{j}"].shape for j in range(6)] == list(embedspeed.LAYER_SHAPES)
    x = np.random.default_rng(2).standard_normal((4, 384)).astype(np.float32)
    h = x
    for layer in range(embedspeed.LAYERS):
        h = sum([h @ ws[f"w{layer}_{j}"] for j in range(4)] + [(h @ ws[f"w{layer}_4"]) @ ws[f"w{layer}_5"]])
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_allclose(got, h, rtol=1e-3, atol=1e-3 * float(np.abs(h).max()))
    # the ceiling times exactly these products (numpy here; torch bf16 tensors go through the same function)
    np.testing.assert_allclose(embedspeed._layers(x, ws), h, rtol=1e-5, atol=1e-5 * float(np.abs(h).max()))


def test_the_report_prints_cpu_flags_the_ceiling_and_each_runtimes_share_of_it():
    from eval.bench.report import markdown
    from eval.bench.run import BenchResult

    machine = {"nproc": 2, "cpu": "AMD EPYC", "cpu_flags": ["avx2", "avx512f", "avx512_vnni"], "load_avg": [1, 1, 1]}
    common = {"size": 3, "mode": "embed", "texts": "index-length", "mean_tokens": 240.0, "cpu_flags": "avx2 avx512f avx512_vnni",
              "load": 1.0, "mean_cosine": 1.0, "vs_plain": 1.0}
    rows = [{"kind": "ceiling", "size": 0, "mode": "embed", "kernel": "onnxruntime fp32 MatMul", "precision": "fp32", "gflops": 40.0,
             "cpu_flags": "avx2 avx512f avx512_vnni", "load": 1.0},
            {"kind": "embed", **common, "embedder": "quarry fp32 ONNX", "passages_per_s": 8.0, "min_cosine": 1.0,
             "gflops": 30.0, "of_ceiling": 0.75, "chosen": True}]
    text = markdown(BenchResult(rows=rows, machine_start=machine, machine_end=machine, command="quarry bench --parts embed"))
    assert "CPU flags (of avx2, avx512f, avx512_vnni, avx_vnni, avx512_bf16, amx_int8): avx2 avx512f avx512_vnni" in text
    assert "| onnxruntime fp32 MatMul | fp32 | 40.0 |" in text
    assert "| quarry fp32 ONNX **(chosen)** | 8.0 | 1.00x | 1.0000 | 1.0000 | 30.0 | 75% |" in text
