"""Every setting declared once, with its default and help; resolved once at the CLI edge.

Precedence: command-line flag > environment variable QUARRY_<NAME> > default.
Library code receives a `Settings` object and never reads the environment itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

from quarry.errors import UsageError


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("index", ".quarry/index", "index directory"),
    Setting("model", "all-MiniLM-L6-v2", "embedding model: the bundled default, a local sentence-transformers folder, or 'hash' (a fast fake for tests)"),
    Setting("query_model", "", "model that embeds queries: empty = the index's own; only the index model's int8 twin (all-MiniLM-L6-v2-int8, no torch) is accepted besides it"),
    Setting("device", "auto", "torch device for the embedding model: auto (cuda when a GPU is present, else cpu), cpu, cuda, cuda:1, ..."),
    Setting("batch_size", 32, "passages per embedding batch"),
    Setting("max_chunk_tokens", 200, "word-pieces of passage text per chunk (model window is 256, the rest is heading context)"),
    Setting("max_file_mb", 64.0, "files larger than this many MB are skipped with a reason, not read (0 = no limit)"),
    Setting("overlap_sentences", 1, "sentences repeated between neighbouring windows of a long section"),
    Setting("k", 10, "results per query"),
    Setting("max_k", 1000, "largest k accepted"),
    Setting("max_query_chars", 2000, "longest query accepted (characters)"),
    Setting("mode", "hybrid", "retrieval mode: hybrid, bm25 or dense"),
    Setting("fusion", "rrf", "hybrid fusion: rrf (reciprocal rank) or weighted (normalised scores)"),
    Setting("rrf_k", 60, "RRF constant k"),
    Setting("alpha", 0.5, "weight of the dense score in weighted fusion"),
    Setting("candidates", 100, "candidates taken from each retriever before fusion"),
    Setting("bm25_k1", 1.5, "BM25 k1"),
    Setting("bm25_b", 0.75, "BM25 b"),
    Setting("meta_weight", 0.3, "weight of the document-fields BM25 (title, authority, period, type) beside the passage text"),
    Setting("ann_threshold", 200_000, "chunks above which the dense index is approximate (HNSW) instead of flat"),
    Setting("verify", True, "check index file checksums when opening an index"),
    Setting("prefer_weight", 0.5, "RRF weight of each ranking restricted to the documents a query names; doubled when they match two named fields, e.g. authority and year (0 = no preference)"),
    Setting("interpret", True, "recognise authorities, years, document types and acronyms in queries (a soft preference)"),
    Setting("host", "127.0.0.1", "address `quarry serve` binds (0.0.0.0 = every interface: use --auth)"),
    Setting("port", 7860, "port `quarry serve` listens on"),
    Setting("auth", "", "USER:PASS that `quarry serve` requires for the page and the API (empty = none)"),
    Setting("backend", "local", "storage backend: local (plain files in --index) or milvus (Milvus Lite file or server at --milvus-uri)"),
    Setting("milvus_uri", ".quarry/milvus.db", "Milvus: a file path for Milvus Lite, or http://host:19530 for a Milvus server or cluster"),
    Setting("milvus_token", "", "Milvus: token (USER:PASS or an API key) for a server with authentication (empty = none)"),
    Setting("milvus_collection", "quarry", "Milvus: prefix of this index's collections (<prefix>_chunks, _docs, _meta)"),
    Setting("eval_cache", ".quarry/eval-cache", "folder of indexes built by `quarry eval` (one per corpus, model and chunking)"),
    Setting("answer_passages", 20, "passages read for an answer (quarry ask -k)"),
    Setting("answer_sentences", 3, "most sentences quoted in an answer"),
    Setting("abstain_below", 0.5, "abstain when the best answer sentence scores below this (calibrated on eval/gold/seed.jsonl)"),
    Setting("answer_checks", True, "abstain when no evidence matches the periods, dates, numbers, places and kind of figure the question asks about"),
    Setting("reranker", "", "local sentence-transformers CrossEncoder folder that reranks passages for answers (off when empty)"),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    index: str = ".quarry/index"
    model: str = "all-MiniLM-L6-v2"
    query_model: str = ""
    device: str = "auto"
    batch_size: int = 32
    max_chunk_tokens: int = 200
    max_file_mb: float = 64.0
    overlap_sentences: int = 1
    k: int = 10
    max_k: int = 1000
    max_query_chars: int = 2000
    mode: str = "hybrid"
    fusion: str = "rrf"
    rrf_k: int = 60
    alpha: float = 0.5
    candidates: int = 100
    bm25_k1: float = 1.5
    bm25_b: float = 0.75
    meta_weight: float = 0.3
    ann_threshold: int = 200_000
    verify: bool = True
    prefer_weight: float = 0.5
    interpret: bool = True
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str = field(default="", repr=False)  # a password: kept out of reprs and logs
    backend: str = "local"
    milvus_uri: str = ".quarry/milvus.db"
    milvus_token: str = field(default="", repr=False)  # a secret, like auth
    milvus_collection: str = "quarry"
    eval_cache: str = ".quarry/eval-cache"
    answer_passages: int = 20
    answer_sentences: int = 3
    abstain_below: float = 0.5
    answer_checks: bool = True
    reranker: str = ""

    def with_(self, **changes: Any) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def chunking(self) -> dict[str, Any]:
        """The settings an index's chunks depend on (a change means re-chunking)."""
        return {"max_chunk_tokens": self.max_chunk_tokens, "overlap_sentences": self.overlap_sentences}

    def lexical(self) -> dict[str, Any]:
        return {"bm25_k1": self.bm25_k1, "bm25_b": self.bm25_b}


assert {f.name for f in fields(Settings)} == set(_BY_NAME), "Settings and SETTINGS disagree"
assert all(getattr(Settings(), s.name) == s.default for s in SETTINGS), "defaults disagree"


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
    if s.mode not in {"hybrid", "bm25", "dense"}:
        raise UsageError(f"mode must be hybrid, bm25 or dense, not {s.mode!r}")
    if s.fusion not in {"rrf", "weighted"}:
        raise UsageError(f"fusion must be rrf or weighted, not {s.fusion!r}")
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
