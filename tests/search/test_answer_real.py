"""End to end with the real model and FAISS on the seed corpus: answers cite the gold span, and
near-miss questions abstain."""

import json
from pathlib import Path

import pytest

from search.answer import ask

GOLD = {json.loads(line)["id"]: json.loads(line)
        for line in (Path(__file__).resolve().parents[2] / "eval" / "gold" / "seed.jsonl").open(encoding="utf-8")}


def _collapse(text: str) -> str:
    return " ".join(text.split()).casefold()


@pytest.mark.slow
@pytest.mark.parametrize("qid", ["seed-004", "seed-087", "seed-090", "seed-052", "seed-001"])
def test_answers_cite_the_gold_span(real_searcher, qid):
    row = GOLD[qid]
    answer = ask(real_searcher, row["question"])
    assert not answer.abstained, answer.interpreted
    spans = [_collapse(a["span"]) for a in row["answers"]]
    first = answer.citations[0]
    assert any(s in _collapse(answer.answer) or s in _collapse(first.quote) for s in spans)
    d = answer.to_dict()
    json.dumps(d)  # serialisable
    for c in d["citations"]:
        assert real_searcher.source_text(c["doc_id"])[c["char_start"]:c["char_end"]] == c["quote"]
        assert f"[{c['n']}]" in d["answer"]


@pytest.mark.slow
@pytest.mark.parametrize("qid", ["seed-069", "seed-039", "seed-030", "seed-066",
                                 "seed-121", "seed-125"])  # an average caseload, children's homes: not of what is asked
def test_near_miss_questions_abstain(real_searcher, qid):
    answer = ask(real_searcher, GOLD[qid]["question"])
    assert answer.abstained and not answer.citations
    assert answer.answer == "The corpus does not answer this confidently."
    assert 1 <= len(answer.passages) <= 3


@pytest.mark.slow
@pytest.mark.parametrize("qid", ["seed-017", "seed-052", "seed-091"])
def test_a_summary_quotes_what_the_ordinary_answer_finds(real_searcher, qid):
    """"What did X say about Y" routes to a summary; the gold sentence (which the ordinary answer quotes) stays in it:
    seed-017 and -052 quote an inspectorate inside the council's own report, -091's gold is outside the summary's section."""
    row = GOLD[qid]
    answer = ask(real_searcher, row["question"])
    assert answer.interpreted["answer_type"] == "summary" and not answer.abstained, answer.interpreted
    assert any(_collapse(a["span"]) in _collapse(answer.answer) for a in row["answers"])
    assert {c.hit.chunk.doc_id for c in answer.citations} == {Path(a["doc"]).stem for a in row["answers"]}  # the named one only
    assert len(answer.citations) <= 4


@pytest.mark.slow
def test_the_summarys_borrowed_quote_honours_the_callers_threshold(real_searcher):
    """seed-091's gold sentence reaches its summary only as the ordinary answer's best quote, which must
    clear the `abstain_below` the caller asked for (not the setting's)."""
    row = GOLD["seed-091"]
    spans = [_collapse(a["span"]) for a in row["answers"]]
    assert any(s in _collapse(ask(real_searcher, row["question"]).answer) for s in spans)
    strict = ask(real_searcher, row["question"], abstain_below=5.0)  # no sentence scores 5: nothing is borrowed
    assert strict.interpreted["answer_type"] == "summary"
    assert not any(s in _collapse(strict.answer) for s in spans)
