"""`quarry ask`, run as a user runs it: one JSON object with --json, readable numbered citations without."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

QUARRY = [sys.executable, "-m", "cli"]
ANSWER_KEYS = {"question", "answer", "abstained", "citations", "passages"}
CITATION_KEYS = {"n", "chunk_id", "doc_id", "title", "citation", "quote", "char_start", "char_end", "page"}


def quarry(*args):
    return subprocess.run([*QUARRY, *args], capture_output=True, text=True, timeout=180,
                          cwd=Path(__file__).resolve().parents[2])


def test_ask_json_is_exactly_one_object_with_verified_quotes(hash_index):
    out = quarry("ask", "How many children came into care in Wrexham in 2009/10?", "--index", hash_index.index, "--json")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    d = json.loads(lines[0])
    assert ANSWER_KEYS <= set(d) and not d["abstained"]
    assert d["citations"] and all(CITATION_KEYS <= set(c) for c in d["citations"])
    from search import open_index

    searcher = open_index(hash_index.index, hash_index)
    for c in d["citations"]:
        assert searcher.source_text(c["doc_id"])[c["char_start"]:c["char_end"]] == c["quote"]
        assert f"[{c['n']}]" in d["answer"]


def test_ask_prints_the_answer_with_numbered_citations_underneath(hash_index):
    out = quarry("ask", "How many children came into care in Wrexham in 2009/10?", "--index", hash_index.index)
    assert out.returncode == 0, out.stderr
    answer, _, rest = out.stdout.partition("\n\n")
    assert "[1]" in answer
    assert rest.startswith("[1] ")
    assert "\n    \u201c" in rest  # the quote, indented under its citation


def test_ask_abstains_readably(hash_index):
    out = quarry("ask", "What did CIW say about Swansea Council's children's services?", "--index", hash_index.index)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("The corpus does not answer this confidently.")
    assert "Swansea" in out.stdout and "Closest passages:" in out.stdout and "\n1. " in out.stdout


@pytest.mark.parametrize("args,needle", [
    (("ask", "x", "-k", "0"), "answer_passages must be between"),
    (("ask", "x", "-k", "many"), "not a valid int"),
    (("ask", "x", "--filter", "colour=red"), "unknown filter key"),
    (("ask", "   "), "query is empty"),
    (("ask", "x", "--abstain-below", "high"), "not a valid float"),
])
def test_ask_usage_errors_are_one_line_exit_2(hash_index, args, needle):
    out = quarry(*args, "--index", hash_index.index)
    assert out.returncode == 2
    assert needle in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_ask_with_a_missing_reranker_folder_fails_cleanly(hash_index, tmp_path):
    out = quarry("ask", "children in care", "--index", hash_index.index, "--reranker", str(tmp_path / "none"))
    assert out.returncode == 1 and "not a local cross-encoder folder" in out.stderr and "Traceback" not in out.stderr
