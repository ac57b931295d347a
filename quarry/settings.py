"""Every setting declared once, with its default and help; resolved once at the CLI edge.

Precedence: command-line flag > environment variable QUARRY_<NAME> > default.
Library code receives a `Settings` object and never reads the environment itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

from quarry.errors import UsageError

RUNTIMES = ("auto", "torch", "onnx", "bf16")  # how a local model is run (quarry/embedders.py `load_embedder`)

FUSIONS = ("rrf", "weighted", "learned")
CLUSTER_SPEC = r"local(:[1-9][0-9]{0,3})?|(tcp|tls|ws|wss|ucx)://\S+"  # `cluster`: a local Dask cluster or a scheduler address
MODES = ("hybrid", "bm25", "dense")  # retrieval modes, the default first; sorted(MODES) is the order of results tables


@dataclass(frozen=True)
class Setting:
    """One setting as `--help` and the docs show it (read from the Settings fields)."""

    name: str
    default: Any
    help: str


def _setting(default: Any, help: str, **options: Any) -> Any:
    """A Settings field carrying its help text."""
    return field(default=default, metadata={"help": help}, **options)


@dataclass(frozen=True)
class Settings:
    """Every setting, its type, default and help, declared once; SETTINGS below is read from these fields."""

    index: str = _setting(".quarry/index", "index directory")
    model: str = _setting("all-MiniLM-L6-v2", "embedding model: the bundled default, a local sentence-transformers folder, or 'hash' (a fast fake for tests)")
    query_model: str = _setting("", "model that embeds queries: empty = the index's own; only the index model's int8 twin (all-MiniLM-L6-v2-int8, no torch) is accepted besides it")
    device: str = _setting("auto", "torch device for the embedding model: auto (cuda when a GPU is present, else cpu), cpu, cuda, cuda:1, ...")
    runtime: str = _setting("auto", "how a local model runs on CPU: onnx (its fp32 ONNX export, made once from its own weights; same vectors), torch, bf16 (torch with bfloat16 products: vectors within 1e-4 cosine), or auto (whichever this CPU ran faster with vectors that agree, measured once per model and CPU; an index build may take bf16, queries only fp32)")
    model_cache: str = _setting("~/.cache/quarry/models", "folder of ONNX exports of local models and the runtime measured for each")
    batch_size: int = _setting(32, "passages per embedding batch")
    cluster: str = _setting("", "where `quarry index` embeds: empty = in this process; local or local:N = a local Dask cluster of N worker processes; tcp://HOST:PORT = the scheduler of a running Dask cluster (pip install 'quarry[cluster]')")
    max_chunk_tokens: int = _setting(200, "word-pieces of passage text per chunk (model window is 256, the rest is heading context)")
    max_file_mb: float = _setting(64.0, "files larger than this many MB are skipped with a reason, not read (0 = no limit)")
    overlap_sentences: int = _setting(1, "sentences repeated between neighbouring windows of a long section")
    k: int = _setting(10, "results per query")
    max_k: int = _setting(1000, "largest k accepted")
    max_query_chars: int = _setting(2000, "longest query accepted (characters)")
    mode: str = _setting("hybrid", f"retrieval mode: {', '.join(MODES[:-1])} or {MODES[-1]}")
    fusion: str = _setting("learned", "hybrid fusion: rrf (reciprocal rank), weighted (convex combination of normalised scores) or learned (a fitted linear ranker over both lists' candidates)")
    fusion_model: str = _setting("", "ranker file (JSON) for learned fusion: empty = the one shipped with quarry (search/ranker.json)")
    rrf_k: int = _setting(60, "RRF constant k")
    alpha: float = _setting(0.5, "weight of the dense score in weighted fusion")
    candidates: int = _setting(100, "candidates taken from each retriever before fusion")
    bm25_k1: float = _setting(1.5, "BM25 k1")
    bm25_b: float = _setting(0.75, "BM25 b")
    meta_weight: float = _setting(0.3, "weight of the document-fields BM25 (title, authority, period, type) beside the passage text")
    ann_threshold: int = _setting(200_000, "chunks above which the dense index is approximate (HNSW) instead of an exact scan (fp16, rescored in fp32)")
    verify: bool = _setting(True, "check index file checksums when opening an index")
    prefer_weight: float = _setting(0.5, "RRF weight of each ranking restricted to the documents a query names; doubled when they match two named fields, e.g. authority and year (0 = no preference)")
    interpret: bool = _setting(True, "recognise authorities, years, document types and acronyms in queries (a soft preference)")
    host: str = _setting("127.0.0.1", "address `quarry serve` binds (0.0.0.0 = every interface: use --auth)")
    port: int = _setting(7860, "port `quarry serve` listens on")
    auth: str = _setting("", "USER:PASS that `quarry serve` requires for the page and the API (empty = none)", repr=False)  # a password: kept out of reprs and logs
    backend: str = _setting("local", "storage backend: local (plain files in --index) or milvus (Milvus Lite file or server at --milvus-uri)")
    milvus_uri: str = _setting(".quarry/milvus.db", "Milvus: a file path for Milvus Lite, or http://host:19530 for a Milvus server or cluster")
    milvus_token: str = _setting("", "Milvus: token (USER:PASS or an API key) for a server with authentication (empty = none)", repr=False)  # a secret, like auth
    milvus_collection: str = _setting("quarry", "Milvus: prefix of this index's collections (<prefix>_chunks, _docs, _meta)")
    eval_cache: str = _setting(".quarry/eval-cache", "folder of indexes built by `quarry eval` (one per corpus, model and chunking)")
    answer_passages: int = _setting(20, "passages read for an answer (quarry ask -k)")
    answer_sentences: int = _setting(3, "most sentences quoted in an answer")
    abstain_below: float = _setting(0.5, "abstain when the best answer sentence scores below this (calibrated on eval/gold/seed.jsonl)")
    answer_checks: bool = _setting(True, "abstain when no evidence matches the periods, dates, numbers, places and kind of figure the question asks about")
    reranker: str = _setting("", "local sentence-transformers CrossEncoder folder that reranks passages for answers (off when empty)")

    def with_(self, **changes: Any) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def chunking(self) -> dict[str, Any]:
        """The settings an index's chunks depend on (a change means re-chunking)."""
        return {"max_chunk_tokens": self.max_chunk_tokens, "overlap_sentences": self.overlap_sentences}

    def lexical(self) -> dict[str, Any]:
        return {"bm25_k1": self.bm25_k1, "bm25_b": self.bm25_b}


SETTINGS: tuple[Setting, ...] = tuple(Setting(f.name, f.default, f.metadata["help"]) for f in fields(Settings))
_BY_NAME = {s.name: s for s in SETTINGS}


def _coerce(name: str, raw: Any) -> Any:
    default = _BY_NAME[name].default
    if isinstance(raw, type(default)) and not isinstance(raw, str) or raw is None:
        return raw
    text = str(raw).strip()
    try:
        if isinstance(default, bool):
            if text.lower() in {"1", "true", "yes", "on"}:
                return True
            if text.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(text)
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        raise UsageError(f"setting {name}: {text!r} is not a valid {type(default).__name__}") from None
    return text


def resolve(flags: Mapping[str, Any], environ: Mapping[str, str]) -> Settings:
    """Flags (None = not given) over QUARRY_* environment variables over defaults."""
    values: dict[str, Any] = {}
    for s in SETTINGS:
        env = environ.get(f"QUARRY_{s.name.upper()}")
        if flags.get(s.name) is not None:
            values[s.name] = _coerce(s.name, flags[s.name])
        elif env not in (None, ""):
            values[s.name] = _coerce(s.name, env)
    settings = Settings(**values)
    validate(settings)
    return settings


def validate(s: Settings) -> None:
    if s.mode not in MODES:
        raise UsageError(f"mode must be {', '.join(MODES[:-1])} or {MODES[-1]}, not {s.mode!r}")
    if s.fusion not in FUSIONS:
        raise UsageError(f"fusion must be {', '.join(FUSIONS[:-1])} or {FUSIONS[-1]}, not {s.fusion!r}")
    if not 0.0 <= s.alpha <= 1.0:
        raise UsageError("alpha must be between 0 and 1")
    if s.max_chunk_tokens < 16:
        raise UsageError("max_chunk_tokens must be at least 16")
    if s.max_file_mb < 0:
        raise UsageError("max_file_mb must be 0 (no limit) or more")
    if s.batch_size < 1 or s.candidates < 1 or s.rrf_k < 1:
        raise UsageError("batch_size, candidates and rrf_k must be positive")
    if not 0 < s.port < 65536:
        raise UsageError(f"port must be between 1 and 65535, not {s.port}")
    if s.cluster and not re.fullmatch(CLUSTER_SPEC, s.cluster):
        raise UsageError(f"cluster must be local, local:N (N workers) or a scheduler address like tcp://HOST:8786, not {s.cluster!r}")
    if s.runtime not in RUNTIMES:
        raise UsageError(f"runtime must be {', '.join(RUNTIMES[:-1])} or {RUNTIMES[-1]}, not {s.runtime!r}")
    if s.backend not in {"local", "milvus"}:
        raise UsageError(f"backend must be local or milvus, not {s.backend!r}")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,200}", s.milvus_collection):
        raise UsageError(f"milvus_collection must be letters, digits and underscores, not {s.milvus_collection!r}")
    if s.auth and (":" not in s.auth or not s.auth.split(":", 1)[0] or not s.auth.split(":", 1)[1]):
        raise UsageError("auth must look like USER:PASS (both parts non-empty)")
    if s.answer_passages < 1 or s.answer_passages > s.max_k:
        raise UsageError(f"answer_passages must be between 1 and {s.max_k}")
    if not 1 <= s.answer_sentences <= 10:
        raise UsageError("answer_sentences must be between 1 and 10")
