"""The CI gate: the seed gold set and CISI through the harness with the real model; fail below a floor.

Floors live in eval/thresholds.json (a little under the measured figures). A change that lowers a
number below its floor fails here; raise floors when quality improves, lower one only on purpose.
Keys ending in /answers gate `quarry eval --answers` the same way, with ceilings for the rates that
must stay low (abstaining on answerable questions).
"""

import json
from pathlib import Path

import pytest

from eval.harness import evaluate_beir, evaluate_gold
from quarry.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
THRESHOLDS = json.loads((ROOT / "eval" / "thresholds.json").read_text(encoding="utf-8"))
SETS = [key for key in THRESHOLDS if not key.startswith("_") and not key.endswith("/answers")]
ANSWER_SETS = [key for key in THRESHOLDS if key.endswith("/answers")]


def run(spec: dict) -> dict:
    """{mode: metrics} for one gated data set, built and cached like `quarry eval` does."""
    settings = Settings(eval_cache=str(ROOT / ".quarry" / "eval-cache"))
    modes = list(spec["floors"])
    if "gold" in spec:
        results = evaluate_gold(ROOT / spec["gold"], [ROOT / d for d in spec["docs"]], settings, modes)
    else:
        folder = ROOT / spec["dataset"]
        if not folder.is_dir():
            pytest.fail(f"{folder} is missing: the gate needs the shared datasets beside the repository")
        results = evaluate_beir(folder, settings, spec.get("split", "test"), spec.get("corpus", "corpus.jsonl"), modes)
    return {r.mode: r.metrics for r in results}


def below_floors(key: str, measured: dict, floors: dict) -> list[str]:
    """One line per number under its floor."""
    return [f"{key} {mode} {metric}: {measured[mode][metric]:.4f} < floor {floor}"
            for mode, by_metric in floors.items() for metric, floor in by_metric.items() if measured[mode][metric] < floor]


@pytest.mark.slow
@pytest.mark.parametrize("key", SETS)
def test_no_number_drops_below_its_floor(key):
    spec = THRESHOLDS[key]
    drops = below_floors(key, run(spec), spec["floors"])
    assert not drops, "retrieval quality fell below the committed floors:\n" + "\n".join(drops)


def test_a_drop_below_a_floor_is_named():
    floors = {"hybrid": {"ndcg@10": 0.40, "mrr@10": 0.60}}
    assert below_floors("cisi/test", {"hybrid": {"ndcg@10": 0.41, "mrr@10": 0.60}}, floors) == []
    assert below_floors("cisi/test", {"hybrid": {"ndcg@10": 0.39, "mrr@10": 0.61}}, floors) == \
        ["cisi/test hybrid ndcg@10: 0.3900 < floor 0.4"]


def test_floors_are_well_formed():
    from eval.metrics import METRICS

    for key in SETS:
        spec = THRESHOLDS[key]
        assert ("gold" in spec) != ("dataset" in spec), key
        for mode, floors in spec["floors"].items():
            assert mode in {"bm25", "dense", "hybrid"} and set(floors) <= set(METRICS), (key, mode)
            assert all(0 <= v <= 1 for v in floors.values()), (key, mode)


def out_of_bounds(key: str, measured: dict, floors: dict, ceilings: dict) -> list[str]:
    """One line per answer metric under its floor or over its ceiling."""
    return ([f"{key} {metric}: {measured[metric]:.4f} < floor {floor}" for metric, floor in floors.items() if measured[metric] < floor]
            + [f"{key} {metric}: {measured[metric]:.4f} > ceiling {ceiling}" for metric, ceiling in ceilings.items()
               if measured[metric] > ceiling])


@pytest.mark.slow
@pytest.mark.parametrize("key", ANSWER_SETS)
def test_no_answer_metric_crosses_its_bound(key, seed_answers_line):
    spec = THRESHOLDS[key]
    # the seed set's answers are run once per session by `quarry eval --answers` (tests/eval/conftest.py)
    assert (spec["gold"], spec["docs"]) == ("eval/gold/seed.jsonl", ["corpus"]), "only the seed set's answers are gated"
    bad = out_of_bounds(key, seed_answers_line, spec["floors"], spec.get("ceilings", {}))
    assert not bad, "answer quality crossed the committed bounds:\n" + "\n".join(bad)


def test_an_answer_metric_out_of_bounds_is_named():
    floors, ceilings = {"span_hit": 0.75}, {"abstain_answerable": 0.10}
    assert out_of_bounds("seed/answers", {"span_hit": 0.75, "abstain_answerable": 0.10}, floors, ceilings) == []
    assert out_of_bounds("seed/answers", {"span_hit": 0.7, "abstain_answerable": 0.12}, floors, ceilings) == \
        ["seed/answers span_hit: 0.7000 < floor 0.75", "seed/answers abstain_answerable: 0.1200 > ceiling 0.1"]


def test_answer_bounds_are_well_formed():
    for key in ANSWER_SETS:
        spec = THRESHOLDS[key]
        bounds = {**spec["floors"], **spec.get("ceilings", {})}
        assert set(bounds) <= {"span_hit", "evidence_hit", "abstain_answerable", "abstain_unanswerable"}, key
        assert all(0 <= v <= 1 for v in bounds.values()) and set(bounds) <= set(spec["measured"]), key
