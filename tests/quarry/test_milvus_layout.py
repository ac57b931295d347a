"""The Milvus layout's pure parts (no Milvus needed): VARCHAR pieces, clipping, filters, row encodings."""

from __future__ import annotations

import numpy as np

from quarry import milvus_layout as mv
from quarry.records import Chunk


def test_pieces_round_trip_and_stay_under_the_varchar_limit():
    text = "ä€𝄞x" * 40_000  # 1-, 2-, 3- and 4-byte characters
    parts = mv.pieces(text, 1000)
    assert "".join(parts) == text
    assert all(len(p.encode("utf-8")) <= 1000 for p in parts)
    assert mv.clip("a€", 2) == "a"
    assert mv.doc_filter({"b", 'a"x'}) == 'doc_id in ["a\\"x", "b"]'
    assert mv.doc_filter(None) == ""


def test_a_chunk_row_reads_back_as_the_same_chunk_with_and_without_pages():
    for pages in ((None, None), (3, 4)):
        chunk = Chunk("d:0-5", "d", "2", "2 Intro", ("2 Intro",), "Hello", 0, 5, *pages, "body")
        row = mv.chunk_row(chunk.to_dict(), 0, {"authority": "Cardiff", "year": 2019}, np.ones(2), "2 Intro\nHello")
        assert row["page_start"] == (-1 if pages[0] is None else 3)
        assert mv.chunk_from_row({k: row[k] for k in mv.CHUNK_FIELDS}) == chunk


def test_meta_rows_are_pieces_keyed_by_name_and_number():
    rows = mv.meta_rows("glossary", {"CIW": "x" * 70_000})
    assert [r["key"] for r in rows] == ["glossary#00000", "glossary#00001"]
    assert mv.stamp_row({"build": "b"})["key"] == mv.STAMP_KEY == mv.piece_key("stamp", 0)
