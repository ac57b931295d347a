"""The CLI contract, run as a user runs it: a subprocess of the installed `quarry` script."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

QUARRY = [sys.executable, "-m", "cli"]
CONTRACT = {"rank", "score", "chunk_id", "doc_id", "title", "section", "heading", "text", "citation",
            "char_start", "char_end", "page"}


def quarry(*args):
    return subprocess.run([*QUARRY, *args], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])


def test_help_is_quick_and_lists_commands():
    out = quarry("--help")
    assert out.returncode == 0 and "search" in out.stdout and "index" in out.stdout


def test_search_json_contract(hash_index):
    out = quarry("search", "children coming into care", "--index", hash_index.index, "--json", "-k", "4", "--mode", "bm25")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 4 and [r["rank"] for r in rows] == [1, 2, 3, 4]
    for row in rows:
        assert CONTRACT <= set(row)
        assert row["citation"].startswith(row["title"])
        assert row["page"] is None
        assert row["interpreted"] == {}


def test_search_json_shows_the_interpretation(hash_index):
    out = quarry("search", "DoLS backlog in Wrexham", "--index", hash_index.index, "--json", "-k", "1")
    row = json.loads(out.stdout.splitlines()[0])
    assert row["interpreted"]["authority"] == "Wrexham County Borough Council"
    assert row["interpreted"]["acronyms"] == {"DoLS": "Deprivation of Liberty Safeguards"}


def test_search_text_output_has_citations(hash_index):
    out = quarry("search", "foster carers", "--index", hash_index.index, "-k", "2", "--mode", "bm25",
                 "--filter", "authority=Cardiff City Council")
    assert out.returncode == 0
    assert out.stdout.startswith("1. CIW Local Authority Performance Review 2018-19: Cardiff")


@pytest.mark.parametrize("args,code,needle", [
    (("search", "x", "-k", "0"), 2, "k must be a positive"),
    (("search", "x", "-k", "ten"), 2, "not a valid int"),
    (("search", "x", "--filter", "colour=red"), 2, "unknown filter key"),
    (("search", "x", "--filter", "nokey"), 2, "key=value"),
    (("search", "x", "--mode", "magic"), 2, "mode must be"),
    (("search",), 2, "required: query"),
    (("search", "   "), 2, "query is empty"),
])
def test_usage_errors_are_one_line_exit_2(hash_index, args, code, needle):
    out = quarry(*args, "--index", hash_index.index) if len(args) > 1 else quarry(*args)
    assert out.returncode == code
    assert needle in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_missing_index_says_how_to_build_it(tmp_path):
    out = quarry("search", "care", "--index", str(tmp_path / "none"))
    assert out.returncode == 1
    assert out.stderr.strip() == f"quarry: error: no index at {tmp_path / 'none'}: build one with `quarry index [PATH ...] --index {tmp_path / 'none'}`"


def test_index_summary_and_bad_path(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "note.txt").write_text("Respite Provision\n\nParent carers rated the respite service as good or excellent overall.\n")
    (docs / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    out = quarry("index", str(docs), "--index", str(tmp_path / "ix"), "--model", "hash", "--quiet")
    assert out.returncode == 0, out.stderr
    assert "documents: 1 (1 new" in out.stdout and "skipped photo.jpg" not in out.stdout
    assert "photo.jpg: unsupported file type .jpg" in out.stdout
    assert "inferred from the text" in out.stdout
    out = quarry("index", str(tmp_path / "missing"), "--index", str(tmp_path / "ix"), "--model", "hash")
    assert out.returncode == 1 and "no such file or directory" in out.stderr and "Traceback" not in out.stderr
