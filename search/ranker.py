"""The learned hybrid ranker: a linear model over search/features.py, stored as plain JSON (never pickle).

`eval/fusion.py` fits it (pairwise logistic loss on training splits) and writes the file; searching
only reads it: standardise each feature, dot with the weights. 200 candidates cost microseconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from quarry.errors import QuarryError
from search.features import ALL_FEATURES, with_interactions

DEFAULT_RANKER = Path(__file__).with_name("ranker.json")
VERBATIM_BONUS = 1e3  # a passage holding the quoted phrase word for word goes before every other


@dataclass(frozen=True)
class LinearRanker:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    about: dict[str, Any] = field(default_factory=dict)  # how it was fitted: command, data, splits

    def score(self, x: np.ndarray) -> np.ndarray:
        """Scores of one query's candidates, from feature rows in search.features.FEATURES order."""
        return ((with_interactions(x)[:, self._columns] - self.mean) / self.scale) @ self.weights

    @cached_property
    def _columns(self) -> list[int]:
        return [ALL_FEATURES.index(f) for f in self.features]

    def to_json(self) -> dict[str, Any]:
        return {"kind": "linear", "features": list(self.features), "mean": self.mean.round(6).tolist(),
                "scale": self.scale.round(6).tolist(), "weights": self.weights.round(6).tolist(), "about": self.about}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "LinearRanker":
        unknown = [f for f in data["features"] if f not in ALL_FEATURES]
        if data.get("kind") != "linear" or unknown:
            raise QuarryError(f"ranker file is not a linear ranker over known features (unknown: {unknown})")
        arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "weights")]
        if any(len(a) != len(data["features"]) for a in arrays):
            raise QuarryError("ranker file is inconsistent: feature, mean, scale and weight counts differ")
        return cls(tuple(data["features"]), *arrays, about=data.get("about", {}))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")


@lru_cache(maxsize=8)
def load_ranker(path: str = "") -> LinearRanker:
    """The ranker file at `path` (empty: the one shipped with quarry); one clear line when unusable."""
    where = Path(path) if path else DEFAULT_RANKER
    try:
        return LinearRanker.from_json(json.loads(where.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise QuarryError(f"ranker file {where} does not exist") from None
    except (ValueError, KeyError, TypeError) as e:
        raise QuarryError(f"ranker file {where} is not a ranker ({type(e).__name__}: {e})") from None
