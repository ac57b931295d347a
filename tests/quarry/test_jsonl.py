"""The shared JSON-lines reader: line numbers kept, blank lines skipped, one clear error per bad line."""

import pytest

from quarry.jsonl import read_jsonl
from quarry.errors import QuarryError, UsageError


def test_rows_come_with_their_line_numbers_and_blank_lines_are_skipped(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"a": 1}\n\n   \n{"b": 2}\n', encoding="utf-8")
    assert list(read_jsonl(path)) == [(1, {"a": 1}), (4, {"b": 2})]


@pytest.mark.parametrize("line,needle", [("{not json", r"r.jsonl:2: not a JSON line"),
                                         ("[1, 2]", r"r.jsonl:2: expected a JSON object, found list")])
def test_a_bad_line_is_named_by_its_number(tmp_path, line, needle):
    path = tmp_path / "r.jsonl"
    path.write_text('{"a": 1}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(QuarryError, match=needle):
        list(read_jsonl(path))


def test_a_missing_file_is_a_usage_error_in_the_callers_words(tmp_path):
    with pytest.raises(UsageError, match=r"nope.jsonl: no such gold set"):
        list(read_jsonl(tmp_path / "nope.jsonl", "no such gold set"))
