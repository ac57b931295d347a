"""`quarry verify`, run as a user runs it: one JSON object with --json, a readable verdict and word diff without."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

QUARRY = [sys.executable, "-m", "cli"]
REPORT = "wrexham-social-services-annual-report-2009-10"
CHILDREN = "We had 76 children coming into care in 09/10, compared with 50 in 08/09"
CITATION = "Social Services Annual Report 2009/10, Wrexham County Borough Council, \u00a72 EXECUTIVE SUMMARY - SOCIAL SERVICES IN WREXHAM"


def quarry(*args):
    return subprocess.run([*QUARRY, *args], capture_output=True, text=True, timeout=180,
                          cwd=Path(__file__).resolve().parents[2])


def test_verify_json_is_exactly_one_object_whose_quote_is_the_source_text(hash_index):
    out = quarry("verify", CHILDREN, "--index", hash_index.index, "--json")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    d = json.loads(lines[0])
    assert set(d) == {"text", "verdict", "source", "differences", "nearest"}
    assert d["verdict"] == "verbatim" and d["source"]["citation"] == CITATION
    from search import open_index

    text = open_index(hash_index.index, hash_index).source_text(d["source"]["doc_id"])
    assert text[d["source"]["char_start"]:d["source"]["char_end"]] == d["source"]["quote"] == CHILDREN


def test_verify_prints_the_verdict_citation_and_exact_source(hash_index):
    out = quarry("verify", CHILDREN, "--index", hash_index.index)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[:3] == ["verbatim: the source says this word for word", CITATION,
                                           f"    \u201c{CHILDREN}\u201d"]


def test_verify_shows_an_altered_number_as_a_word_diff(hash_index):
    out = quarry("verify", CHILDREN.replace("76", "67"), "--index", hash_index.index)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("altered: ")
    assert f"\u201c{CHILDREN}\u201d" in out.stdout  # the source as it is, not as claimed
    assert "We had [-67-]{+76+} children coming into care" in out.stdout
    assert "number: 67 \u2192 76  (changes the meaning)" in out.stdout


def test_verify_lists_the_nearest_passages_when_not_found(hash_index):
    out = quarry("verify", "The Dewey Decimal Classification and its eighteen editions.", "--index", hash_index.index)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("not_found: ") and "\nNearest passages:\n1. " in out.stdout


def test_verify_filters_restrict_the_documents(hash_index):
    out = quarry("verify", CHILDREN, "--filter", "authority=Cardiff", "--index", hash_index.index, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["verdict"] == "not_found"


@pytest.mark.parametrize("args,needle", [
    (("verify", ""), "the text to check is empty"),
    (("verify", " ... "), "the text to check is empty"),
    (("verify", "x", "--filter", "colour=red"), "unknown filter key"),
    (("verify",), "the following arguments are required: text"),
])
def test_verify_usage_errors_are_one_line_exit_2(hash_index, args, needle):
    out = quarry(*args, "--index", hash_index.index)
    assert out.returncode == 2
    assert needle in out.stderr and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_verify_without_an_index_says_what_to_run(tmp_path):
    out = quarry("verify", CHILDREN, "--index", str(tmp_path / "none"))
    assert out.returncode == 1 and "quarry index" in out.stderr and "Traceback" not in out.stderr
