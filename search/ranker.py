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
from search.features import ALL_FEATURES, CONFIDENCES, FEATURES, INTERACTION_OF, confidences

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
        """Scores of one query's candidates, from feature rows in search.features.FEATURES order: the
        standardised features (interactions included, see search.features.with_interactions) dot the weights,
        computed as one product with the weights `folded` for this query's confidences."""
        if not len(x):
            return np.zeros(0)
        per_confidence, offset = self.folded
        return x @ (np.array([1.0, *confidences(x)]) @ per_confidence) - offset

    @cached_property
    def folded(self) -> tuple[np.ndarray, float]:
        """The model over the FEATURES columns alone, made once: standardising is linear, ((v - mean) / scale)
        * w = v * (w / scale) - mean * w / scale, and each interaction is a confidence of the query times a
        column. So the score is x @ (p[0] + sum over confidences c of c * p[1 + its position]) - offset;
        this returns (p, offset). Equal to standardising the interactions' columns up to float rounding
        (with_interactions rounds its products to float32, this does not)."""
        per_confidence = np.zeros((1 + len(CONFIDENCES), len(FEATURES)))
        offset = 0.0
        for name, mean, scale, weight in zip(self.features, self.mean, self.scale, self.weights):
            confidence, column = INTERACTION_OF.get(name, (None, name))
            at = 0 if confidence is None else 1 + CONFIDENCES.index(confidence)
            per_confidence[at, FEATURES.index(column)] += weight / scale
            offset += mean * weight / scale
        return per_confidence, float(offset)

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
