"""`quarry compare` as a user runs it: a subprocess over the seed corpus's hash index."""

import csv
import io
import json

import pytest

from tests.cli.test_cli import quarry


def test_compare_json_is_one_object_per_group(hash_index):
    out = quarry("compare", "foster carers", "--by", "doc", "--per-group", "2", "--index", hash_index.index, "--json")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 3  # the seed corpus's three documents, each a row
    for row in rows:
        assert row["topic"] == "foster carers" and row["by"] == "doc"
        assert set(row) >= {"group", "key", "documents", "abstained", "reason", "finding", "hits"}
        assert len(row["hits"]) <= 2 and [h["rank"] for h in row["hits"]] == list(range(1, len(row["hits"]) + 1))
        assert all(h["doc_id"] == row["key"] for h in row["hits"])
        assert row["abstained"] == (row["finding"] is None) and (row["reason"] == "") == (not row["abstained"])
    assert [r["group"].casefold() for r in rows] == sorted(r["group"].casefold() for r in rows)


def test_compare_text_lists_every_authority(hash_index):
    out = quarry("compare", "safeguarding", "--index", hash_index.index)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("\u201csafeguarding\u201d by authority: 2 groups")
    assert "Cardiff City Council (1 document)" in out.stdout and "Wrexham County Borough Council (2 documents)" in out.stdout


def test_compare_exports(hash_index):
    md = quarry("compare", "safeguarding", "--by", "year", "--index", hash_index.index, "--markdown")
    assert md.returncode == 0, md.stderr
    assert "| Year | Finding | Citation |" in md.stdout
    table = csv.DictReader(io.StringIO(quarry("compare", "safeguarding", "--index", hash_index.index, "--csv").stdout))
    groups = {row["group"] for row in table}
    assert groups == {"Cardiff City Council", "Wrexham County Borough Council"}


def test_a_filter_narrows_the_groups(hash_index):
    out = quarry("compare", "safeguarding", "--filter", "authority=Wrexham", "--by", "doc", "--index", hash_index.index, "--json")
    assert {json.loads(line)["documents"] for line in out.stdout.splitlines()} == {1}
    assert len(out.stdout.splitlines()) == 2


@pytest.mark.parametrize("args,needle", [
    (("compare", "x", "--by", "colour"), "invalid choice"),
    (("compare", "x", "--per-group", "0"), "from 1 to 10"),
    (("compare", "x", "--per-group", "two"), "whole number"),
    (("compare", "   "), "empty"),
    (("compare", "x", "--filter", "colour=red"), "unknown filter key"),
    (("compare", "x", "--json", "--csv"), "not allowed with"),
])
def test_bad_input_is_one_line_and_exit_2(hash_index, args, needle):
    out = quarry(*args, "--index", hash_index.index)
    assert out.returncode == 2, out.stdout
    assert needle in out.stderr and len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
