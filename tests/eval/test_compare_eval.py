"""`quarry eval --compare`: stripping the authority from a question, judging the named row, the report section."""

import json
from pathlib import Path

import pytest

from eval.compare import CompareResult, cases, name_forms, score_compare, score_not_covered, strip_authority
from eval.gold import DocMatcher, load
from indexer.build import file_sources
from search import open_index
from tests.conftest import CORPUS


@pytest.mark.parametrize("question,authority,stripped", [
    ("In Windsor and Maidenhead, how did the database affect managers?", "Windsor and Maidenhead",
     "How did the database affect managers?"),
    ("How many care leavers in Brent were on apprenticeships?", "Brent", "How many care leavers were on apprenticeships?"),
    ("What age range does Solihull's new strategy cover?", "Solihull", "What age range does the new strategy cover?"),
    ("How many IT systems do social workers in the North Northamptonshire MASH use?", "North Northamptonshire",
     "How many IT systems do social workers in the MASH use?"),
    ("What proportion of its care leavers was Devon in touch with?", "Devon",
     "What proportion of its care leavers was the council in touch with?"),
    ("What was the stability rate in BCP in 2019?", "Bournemouth, Christchurch and Poole", "What was the stability rate in 2019?"),
    ("How does Stockton commission its front door?", "Stockton-on-Tees", "How does the council commission its front door?"),
    ("What judgement did Ofsted give Dorset children's services in the report published 19 november 2021?", "Dorset",
     "What judgement did Ofsted give children's services in the report published 19 november 2021?"),
    ("How did Ofsted judge leaders in Brighton And Hove (report published 16 may 2024)?", "Brighton and Hove",
     "How did Ofsted judge leaders (report published 16 may 2024)?"),
])
def test_strip_authority(question, authority, stripped):
    assert strip_authority(question, authority) == stripped


def test_a_question_not_naming_the_authority_is_left_out():
    assert strip_authority("What did the February 2019 visit find?", "Devon") is None
    assert "BCP" in name_forms("Bournemouth, Christchurch and Poole") and "East Riding" in name_forms("East Riding of Yorkshire")


@pytest.fixture(scope="module")
def searcher(hash_index):
    return open_index(hash_index.index, hash_index)


def test_named_rows_are_judged_and_the_not_covered_rows_abstain(searcher, tmp_path):
    gold = tmp_path / "gold.jsonl"
    rows = [{"id": "q1", "question": "What is the demand for children coming into care in Wrexham?",
             "answers": [{"doc": "wrexham-social-services-annual-report-2009-10.txt", "span": "demand for children coming into care"}]},
            {"id": "q2", "question": "What did the annual report say about telecare?",  # names no authority: left out
             "answers": [{"doc": "wrexham-social-services-annual-report-2009-10.txt", "span": "Telecare Project group"}]}]
    gold.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    sources, _ = file_sources([CORPUS])
    matcher = DocMatcher(sources, [CORPUS])
    items, excluded = cases(load(gold), searcher, matcher)
    assert [c.question for c in items] == ["What is the demand for children coming into care?"] and excluded == {"names no authority": 1}
    judged = tmp_path / "nc.jsonl"
    judged.write_text(json.dumps({"topic": "telecare", "not_covered": ["Cardiff", "Atlantis"], "covered_by": ["Wrexham"]}),
                      encoding="utf-8")
    result = score_compare(searcher, gold, matcher, "seed", judged)
    assert result.questions == 1 and result.groups == 2 and 0 <= result.success_at_1 <= result.success_at_3 <= 1
    assert result.not_covered_cases == 1 and result.excluded["judged authority not indexed"] == 1
    score = score_not_covered(searcher, [json.loads(judged.read_text())])
    assert score.cases == 1 and score.abstained == 1.0 and score.missing == ["Atlantis"]  # Cardiff never mentions telecare
    assert CompareResult.from_dict(result.to_dict()) == result


def test_report_section_shows_targets(tmp_path):
    from eval import report, report_compare

    result = CompareResult("letters", 15, 0.8, 0.93, 0.4, 0.5, 75, 0.97, 82, 0.6, 154, 0.7, 1.4,
                           misses=[{"id": "x", "question": "a | b", "authority": "Devon", "at3": True, "first": "c"}])
    report_compare.save(result, tmp_path / "REPORT.md", "quarry eval --compare")
    report.write(tmp_path / "REPORT.md")
    text = (tmp_path / "REPORT.md").read_text(encoding="utf-8")
    assert "## Comparison view (`quarry compare`)" in text
    assert "s@1 ≥ 0.80: met" in text and "a \\| b" in text and "quarry eval --compare" in text
