"""Every setting declared once, with its default and help; resolved once at the CLI edge.

Precedence: command-line flag > environment variable QUARRY_<NAME> > default.
Library code receives a `Settings` object and never reads the environment itself.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
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
    Setting("device", "cpu", "torch device for the embedding model"),
    Setting("batch_size", 32, "passages per embedding batch"),
    Setting("max_chunk_tokens", 200, "word-pieces of passage text per chunk (model window is 256, the rest is heading context)"),
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
    Setting("ann_threshold", 200_000, "chunks above which the dense index is approximate (HNSW) instead of flat"),
    Setting("verify", True, "check index file checksums when opening an index"),
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
    device: str = "cpu"
    batch_size: int = 32
    max_chunk_tokens: int = 200
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
    ann_threshold: int = 200_000
    verify: bool = True
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
    if s.batch_size < 1 or s.candidates < 1 or s.rrf_k < 1:
        raise UsageError("batch_size, candidates and rrf_k must be positive")
    if s.answer_passages < 1 or s.answer_passages > s.max_k:
        raise UsageError(f"answer_passages must be between 1 and {s.max_k}")
    if not 1 <= s.answer_sentences <= 10:
        raise UsageError("answer_sentences must be between 1 and 10")
