"""Optional reranker hook: a sentence-transformers CrossEncoder from a local folder reorders passages.

Off by default: no cross-encoder weights can be installed offline here, so the user supplies a
folder (`--reranker PATH`). `rerank` is a pure reordering by the scorer's predictions.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Protocol, Sequence

from quarry.errors import QuarryError
from quarry.records import Hit


class PairScorer(Protocol):
    def predict(self, pairs: list[tuple[str, str]], **kwargs) -> Sequence[float]: ...


def passage_text(hit: Hit) -> str:
    """What the cross-encoder reads for a passage: its heading, then its text."""
    return f"{hit.chunk.heading}\n{hit.chunk.text}" if hit.chunk.heading else hit.chunk.text


def rerank(question: str, hits: Sequence[Hit], scorer: PairScorer) -> list[Hit]:
    """Hits reordered by the scorer's prediction for (question, passage), best first; ties keep order."""
    if not hits:
        return []
    predicted = [float(s) for s in scorer.predict([(question, passage_text(h)) for h in hits], show_progress_bar=False)]
    order = sorted(range(len(hits)), key=lambda i: (-predicted[i], i))
    out = []
    for new_rank, i in enumerate(order, start=1):
        h = hits[i]
        out.append(replace(h, rank=new_rank, score=predicted[i],
                           ranks={**h.ranks, "fused": h.rank, "rerank": new_rank},
                           scores={**h.scores, "fused": h.score, "rerank": predicted[i]}))
    return out


@lru_cache(maxsize=2)
def load_reranker(path: str, device: str = "cpu") -> PairScorer:
    """A CrossEncoder loaded from a local folder (never from a model hub), cached per path."""
    folder = Path(path).expanduser()
    if not (folder / "config.json").is_file():
        raise QuarryError(f"reranker {path!r} is not a local cross-encoder folder (it needs a config.json; models cannot be downloaded here)")
    from sentence_transformers import CrossEncoder

    from quarry.embedders import resolve_device

    try:
        return CrossEncoder(str(folder), device=resolve_device(device), local_files_only=True)
    except (OSError, ValueError) as e:
        raise QuarryError(f"reranker {path!r} could not be loaded: {str(e).splitlines()[0]}") from None
