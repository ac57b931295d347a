"""The quote-checking gold set (eval/gold/verify.jsonl), its generator and the evaluation's metrics."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from eval import make_verify_gold as mk
from eval.verify import confusion, load_gold, names_changes, percentile, precision_recall, same_span, words
from quarry.records import Chunk, DocInfo
from search.quote_check import VERDICTS, Difference, QuoteCheck, SourceSpan

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "eval" / "gold" / "verify.jsonl"


@pytest.fixture(scope="module")
def seed_sentences():
    return mk.read_sentences([ROOT / "corpus"])


def test_the_committed_gold_set_is_large_balanced_and_well_formed():
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 400
    counts = Counter(r["verdict"] for r in rows)
    assert set(counts) == set(VERDICTS) and max(counts.values()) - min(counts.values()) <= len(rows) // 20
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert r["text"].strip()
        if r["verdict"] == "not_found":
            assert "span" not in r
        else:
            assert r["doc"] and r["span"]
        if r["verdict"] == "altered":
            assert r["changed"] and all(c["claim"] != c["source"] for c in r["changed"])
            assert all(c["claim"] in r["text"] and c["source"] in r["span"] for c in r["changed"])
    assert load_gold(GOLD)[0].verdict == rows[0]["verdict"]


def test_seed_rows_spans_are_exact_text_of_their_documents(seed_sentences):
    _, flats = seed_sentences
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]
    seed_rows = [r for r in rows if r.get("doc", "").startswith("corpus/")]
    assert len(seed_rows) >= 40
    for r in seed_rows:
        assert any(mk.flat(r["span"]) in f for f in flats), r["id"]
        if r["verdict"] in ("close", "altered"):
            assert not any(mk.flat(r["text"]) in f for f in flats), r["id"]  # never said verbatim anywhere


def test_generation_is_deterministic_and_edits_what_it_says(seed_sentences):
    sentences, flats = seed_sentences
    others = ["The present study is a history of the Dewey Decimal Classification and its many editions so far."] * 3
    a = mk.generate(sentences, flats, list(others), per_verdict=12, seed=7)
    b = mk.generate(sentences, flats, list(others), per_verdict=12, seed=7)
    assert a == b
    assert a != mk.generate(sentences, flats, list(others), per_verdict=12, seed=8)
    for r in a:
        if r["verdict"] == "verbatim" and r["kind"] == "sentence":
            assert r["text"] == r["span"]
        if r["verdict"] == "altered":
            assert r["text"] != r["span"]


def test_edits_by_hand():
    s = mk.Sentence("corpus/x.txt", "x", "Wrexham", "We had 76 children in care in Wrexham in March 2010, not 50.", None, "")
    rng = random.Random(0)
    text, changed = mk.edit_number(s, rng)
    assert changed[0]["source"] in ("76", "50") and changed[0]["claim"] in text and changed[0]["source"] not in text.split()
    text, changed = mk.edit_negation(s, rng)
    assert changed == [{"claim": "", "source": "not"}] and " not " not in text
    text, changed = mk.edit_name(s, rng, ["Wrexham", "Cardiff"])
    assert changed == [{"claim": "Cardiff", "source": "Wrexham"}] and "in Cardiff in" in text
    assert mk.edit_date(s, rng)[1][0]["source"] in ("March", "2010")
    assert mk.flat("The \u2018front\u2019 door\u2013multi-\nagency") == "the front door-multiagency"


def _check(verdict: str, changed: list[tuple[str, str]], quote: str | None = None) -> QuoteCheck:
    source = None
    if quote is not None:
        chunk = Chunk("d:0", "d", None, "", (), quote, 0, len(quote))
        source = SourceSpan(DocInfo("d", "d.txt", "Doc"), chunk, 0, len(quote), quote, quote, 0, len(quote), None, None, 1.0)
    diffs = tuple(Difference("number", c, s, 0, 0) for c, s in changed) + (Difference("punctuation", "", ",", 0, 0),)
    return QuoteCheck("t", verdict, source, diffs)


def test_changed_words_are_named_only_when_the_meaning_differences_are_exactly_the_gold_ones():
    assert names_changes([("67", "76")], _check("altered", [("67", "76")]))
    assert not names_changes([("67", "76")], _check("altered", [("67", "76"), ("2019", "2020")]))
    assert not names_changes([("67", "76")], _check("altered", []))
    assert names_changes([("Tower Hamlets", "Wrexham")], _check("altered", [("Tower Hamlets's", "Wrexham\u2019s")]))


def test_span_match_ignores_case_quotes_and_spacing():
    assert same_span("The \u2018front door\u2019 is  safe.", _check("verbatim", [], "the front door is safe"))
    assert not same_span("The front door is safe.", _check("verbatim", [], "the front door is not safe"))
    assert words("Children\u2019s  services!") == "children services"


def test_precision_recall_and_confusion_by_hand():
    pairs = [("verbatim", "verbatim"), ("verbatim", "close"), ("close", "close"), ("altered", "altered"),
             ("not_found", "altered")]
    pr = precision_recall(pairs)
    assert pr["verbatim"] == {"precision": 1.0, "recall": 0.5, "support": 1 + 1}
    assert pr["close"]["precision"] == pytest.approx(1 / 2) and pr["close"]["recall"] == 1.0
    assert pr["altered"]["precision"] == pytest.approx(1 / 2) and pr["not_found"]["recall"] == 0.0
    m = confusion(pairs)
    assert m["verbatim"] == {"verbatim": 1, "close": 1, "altered": 0, "not_found": 0}
    assert m["not_found"]["altered"] == 1


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50 and percentile(values, 95) == 95 and percentile([7.0], 95) == 7.0
