"""Answer metrics: span hits, evidence-sentence overlap, abstention rates (hand-worked), and a run
over the seed gold set with the fast index."""

from types import SimpleNamespace

import pytest

from eval.answers import as_row, evaluate_answers, evidence_spans, judge, load_gold, summarise, sweep
from quarry.records import Answer, Chunk, Citation, DocInfo, Hit

DOC = "Intro.\nWithin 10 days of receiving your application the court will send you a case number.\nMore text here."


def _answer(quote_start: int, quote_end: int, abstained: bool = False, text: str | None = None) -> Answer:
    chunk = Chunk("p:0", "p", None, "", (), DOC, 0, len(DOC))
    hit = Hit(chunk, DocInfo("p", "p", "Page"), 1.0, 1)
    quote = DOC[quote_start:quote_end]
    citations = () if abstained else (Citation(1, hit, quote, quote_start, quote_end),)
    return Answer("q", "The corpus does not answer this confidently." if abstained else (text or quote + " [1]"),
                  abstained, citations, (hit,), {"confidence": 1.0})


def test_evidence_spans_strip_html_and_whitespace():
    spans = evidence_spans(DOC, ["<p>Within 10 days of receiving your application the court will send you a case number.</p>",
                                 "<li>not in the page</li>"])
    assert spans == [(7, DOC.index("\nMore"))]


def test_judge_seed_rows_by_span_in_the_answer_or_first_quote():
    row = {"id": "s1", "question": "q", "answerable": True, "answers": [{"doc": "p", "span": "within 10  days"}]}
    start = DOC.index("Within")
    assert judge(row, _answer(start, start + 40), lambda d: DOC)["hit"]
    assert not judge(row, _answer(0, 6), lambda d: DOC)["hit"]
    assert not judge(row, _answer(0, 6, abstained=True), lambda d: DOC)["hit"]  # abstaining is a miss


def test_judge_conditionalqa_rows_by_overlap_with_an_evidence_sentence():
    row = {"id": "c1", "question": "q", "url": "p", "not_answerable": False, "answers": [["within 10 days", []]],
           "evidences": ["<p>Within 10 days of receiving your application the court will send you a case number.</p>"]}
    inside = DOC.index("court")
    assert judge(row, _answer(inside, inside + 5), lambda d: DOC)["evidence_hit"]
    assert not judge(row, _answer(0, 6), lambda d: DOC)["evidence_hit"]


def test_summarise_rates():
    rows = [{"answerable": True, "abstained": False, "hit": True}, {"answerable": True, "abstained": True, "hit": False},
            {"answerable": True, "abstained": False, "hit": False}, {"answerable": True, "abstained": False, "hit": True},
            {"answerable": False, "abstained": True}, {"answerable": False, "abstained": False}]
    m = summarise(rows, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    assert m["span_hit"] == 0.5 and m["abstain_answerable"] == 0.25 and m["abstain_unanswerable"] == 0.5
    assert m["latency_ms_p50"] == pytest.approx(350.0)


def test_gold_records_are_read_like_rows():
    record = SimpleNamespace(id="x", question="q?", answerable=True, answers=(SimpleNamespace(doc="d", span="s"),))
    assert as_row(record) == {"id": "x", "question": "q?", "answerable": True, "answers": [{"doc": "d", "span": "s"}]}


def test_evaluate_and_sweep_on_the_seed_gold_set(hash_index):
    from pathlib import Path

    from search import open_index

    gold = load_gold(Path(__file__).resolve().parents[2] / "eval" / "gold" / "seed.jsonl")[:12]
    searcher = open_index(hash_index.index, hash_index)
    m = evaluate_answers(searcher, gold)
    assert m["questions"] == 12 and len(m["rows"]) == 12 and m["answerable"] + m["unanswerable"] == 12
    assert 0.0 <= m["span_hit"] <= 1.0 and m["latency_ms_p95"] >= m["latency_ms_p50"]
    table = sweep(searcher, gold, [0.0, 99.0])
    assert table[0]["abstain_answerable"] <= table[1]["abstain_answerable"] == 1.0
    assert table[1]["span_hit"] == 0.0
