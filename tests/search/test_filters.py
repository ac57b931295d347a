"""Hard filters: which documents pass (keys ANDed, values ORed)."""

import pytest

from quarry.errors import UsageError
from quarry.records import DocInfo
from search.filters import allowed_docs


class Undecoded(dict):
    """Documents whose fields must not be read (a doc filter names ids only)."""

    def items(self):
        raise AssertionError("a document's fields were decoded")


DOCS = {"a": DocInfo(doc_id="a", source="a.txt", title="A", authority="Cardiff Council", years=(2019,)),
        "b": DocInfo(doc_id="b", source="b.txt", title="B", authority="Wrexham County Borough Council", years=(2020,)),
        "c": DocInfo(doc_id="c", source="c.txt", title="C", years=(2019, 2020))}


def test_keys_are_anded_and_values_ored():
    assert allowed_docs(None, DOCS) is None
    assert allowed_docs({"year": ["2019"]}, DOCS) == {"a", "c"}
    assert allowed_docs({"year": ["2019"], "authority": "Cardiff"}, DOCS) == {"a"}
    assert allowed_docs({"authority": ["wrexham", "cardiff council"]}, DOCS) == {"a", "b"}
    with pytest.raises(UsageError, match="year filter must be a year"):
        allowed_docs({"year": "last"}, DOCS)


def test_a_document_filter_reads_ids_only():
    many = [f"d{i}" for i in range(20_000)]
    docs = Undecoded({d: None for d in many})
    assert allowed_docs({"doc": many[::2] + ["unknown"]}, docs) == set(many[::2])
