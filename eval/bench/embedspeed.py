"""Embedding throughput on the same passages: plain SentenceTransformer.encode vs quarry's embedders."""

from __future__ import annotations

import time
from typing import Any

import numpy as np


def _rate(fn, texts: list[str]) -> tuple[float, np.ndarray]:
    fn(texts[:8])  # warm
    t = time.perf_counter()
    out = fn(texts)
    return len(texts) / (time.perf_counter() - t), np.asarray(out, dtype=np.float32)


def throughput(texts: list[str]) -> list[dict[str, Any]]:
    """Passages/s and cosine to the plain fp32 vectors, for plain encode, quarry fp32 and ONNX int8."""
    from sentence_transformers import SentenceTransformer

    from quarry.embedders import OnnxEmbedder, SentenceTransformerEmbedder, default_model_path

    plain_model = SentenceTransformer(str(default_model_path()), device="cpu")
    rate, ref = _rate(lambda t: plain_model.encode(t, show_progress_bar=False), texts)
    ref = ref / np.linalg.norm(ref, axis=1, keepdims=True)
    rows = [{"embedder": "plain SentenceTransformer.encode (fp32, defaults)", "passages_per_s": rate, "min_cosine": 1.0, "mean_cosine": 1.0}]
    for name, make in (("quarry SentenceTransformerEmbedder (fp32)", lambda: SentenceTransformerEmbedder(default_model_path())),
                       ("quarry OnnxEmbedder (int8, onnxruntime)", lambda: OnnxEmbedder())):
        model = make()
        rate, vecs = _rate(model.embed, texts)
        cos = np.sum(vecs * ref, axis=1)
        rows.append({"embedder": name, "passages_per_s": rate, "min_cosine": float(cos.min()), "mean_cosine": float(cos.mean())})
    base = rows[0]["passages_per_s"]
    for r in rows:
        r["vs_plain"] = r["passages_per_s"] / base
    return rows
