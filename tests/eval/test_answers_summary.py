"""Summary answers judged: key-sentence recall and precision, the set's figures, and the gold set itself
(every judged key sentence verbatim in its document; the split fixed by the set)."""

import json

import pytest

from eval.answers import in_held_out
from eval.answers_summary import summary_metrics, summary_verdict
from eval.gold import collapse
from tests.conftest import CORPUS, SHARED, require

GOLD = CORPUS.parent / "eval" / "gold" / "summary.jsonl"
LETTERS = SHARED / "datasets" / "ofsted"


def test_recall_counts_key_sentences_quoted_and_precision_quoted_sentences_that_are_key():
    keys = ["Vacancies stand at 30%.", "A plan was agreed.", "Staff  were trained."]
    quotes = ["Vacancies stand at 30%. The weather was fine.", "staff were trained."]
    v = summary_verdict(keys, quotes)
    assert v["key_recall"] == pytest.approx(2 / 3, abs=1e-4)  # whitespace and case aside
    assert v["key_precision"] == pytest.approx(2 / 3, abs=1e-4)  # 3 quoted sentences, 2 of them key
    assert summary_verdict(keys, []) == {"key_recall": 0.0, "key_precision": 0.0}


def test_summary_metrics_score_an_abstention_on_an_answerable_question_as_nothing_recalled():
    rows = [
        {"answerable": True, "abstained": False, "key_recall": 1.0, "key_precision": 0.5, "named_only": True, "sentences": 4, "flagged": 0},
        {"answerable": True, "abstained": True, "flagged": 0},
        {"answerable": False, "abstained": True, "flagged": 0},
        {"answerable": False, "abstained": False, "sentences": 2, "flagged": 1},
    ]
    m = summary_metrics(rows)
    assert m["key_recall"] == 0.5 and m["key_precision"] == 0.5 and m["named_only"] == 1.0
    assert m["abstain_answerable"] == 0.5 and m["abstain_unanswerable"] == 0.5
    assert m["flagged_sentences"] == 1 and m["sentences_p50"] == 4


def test_a_row_with_a_split_keeps_it_and_others_fall_back_to_the_hash():
    assert in_held_out({"id": "x", "split": "report"}) and not in_held_out({"id": "x", "split": "calibration"})
    assert in_held_out({"id": "seed-001"}) in (True, False)


def _rows():
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_summary_set_has_30_answerable_questions_split_in_halves():
    rows = _rows()
    answerable = [r for r in rows if r["answerable"]]
    assert len(answerable) >= 30 and all(r["kind"] == "summary" for r in rows)
    assert all(2 <= len(r["answers"]) <= 5 and len({a["doc"] for a in r["answers"]}) == 1 for r in answerable)
    splits = [r["split"] for r in rows]
    assert set(splits) == {"calibration", "report"} and abs(splits.count("report") - splits.count("calibration")) <= 2


def test_every_key_sentence_is_verbatim_in_its_document():
    rows = _rows()
    require(LETTERS.is_dir(), f"{LETTERS} (the focused-visit letters) is not beside the repository")
    texts = {}
    for r in rows:
        for a in r["answers"]:
            path = LETTERS / a["doc"] if a["doc"].startswith("focused_visits/") else CORPUS / a["doc"]
            if path not in texts:
                texts[path] = collapse(path.read_text(encoding="utf-8"))
            assert collapse(a["span"]) in texts[path], (r["id"], a["span"][:60])
