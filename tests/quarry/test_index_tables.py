"""The document and chunk tables: rows decoded on demand equal what was written; damage is refused."""

import json

import numpy as np
import pytest

from quarry import index_tables as tables
from quarry.records import Chunk

RECORDS = [
    {"doc_id": "b-doc", "source": "b.txt", "title": "B", "authority": "Cardiff Council", "years": [2019, 2020],
     "inferred": ["authority"], "content_hash": "h1", "text": "Café — first.\nSecond line.", "sections": [
         {"number": None, "title": "", "level": 1, "heading_path": [], "char_start": 0, "char_end": 26, "kind": "body"}],
     "page_marks": [[0, 1], [14, 2]]},
    {"doc_id": "a-doc", "source": "a.txt", "title": "A", "text": "", "sections": [], "page_marks": []},
    {"doc_id": "c-doc", "source": "c.txt", "title": "C \u2019quoted\u2019", "year": 2009, "text": "Only text.",
     "sections": [], "page_marks": []},
]


def _chunk(doc_id, start, end, text, **kw):
    return {**Chunk(f"{doc_id}:{start}-{end}", doc_id, kw.pop("section", None), kw.pop("heading", ""),
                    tuple(kw.pop("heading_path", ())), text, start, end, **kw).to_dict(), "embed_hash": f"e{start}"}


CHUNKS = [_chunk("b-doc", 0, 13, "Café — first.", page_start=1, page_end=1, heading_path=("1. Intro",), section="1"),
          _chunk("b-doc", 14, 26, "Second line.", page_start=2, page_end=2, heading="Own heading"),
          _chunk("c-doc", 0, 10, "Only text.")]


@pytest.fixture
def folder(tmp_path):
    tables.write_tables(tmp_path, RECORDS, CHUNKS)
    return tmp_path


def test_rows_read_back_as_written(folder):
    docs = tables.DocTable.open(folder)
    chunks = tables.ChunkTable.open(folder, docs.ids)
    assert docs.ids == ["b-doc", "a-doc", "c-doc"] and len(chunks) == 3
    assert [docs.record(i) for i in range(3)] == RECORDS
    assert docs["b-doc"].info.years == (2019, 2020) and docs["b-doc"].info.inferred == ("authority",)
    assert docs["c-doc"].info.year == 2009 and docs["c-doc"].info.title == "C \u2019quoted\u2019"
    assert docs["b-doc"].page_marks == [[0, 1], [14, 2]] and docs["a-doc"].text == ""
    assert [chunks.record(i) for i in range(3)] == CHUNKS
    assert chunks[0] == Chunk.from_dict(CHUNKS[0]) and chunks[0].heading_path == ("1. Intro",)
    assert [c.chunk_id for c in chunks] == [c["chunk_id"] for c in CHUNKS]
    assert chunks.text(1) == "Second line." and chunks.doc_id(2) == "c-doc"
    assert chunks.present == {"b-doc", "c-doc"}
    assert chunks.rows_of("b-doc").tolist() == [0, 1] and chunks.rows_of("a-doc").tolist() == []
    assert chunks.rows_of("nowhere").tolist() == []
    assert chunks.mask_of({"c-doc", "nowhere"}).tolist() == [False, False, True]
    assert chunks.row_of("c-doc:0-10") == 2 and chunks.row_of("missing") is None
    assert chunks.doc_id_of_rows() == ["b-doc", "b-doc", "c-doc"]
    assert tables.check_tables(folder) == 3


def test_an_in_memory_table_answers_the_same(folder):
    on_disk = tables.ChunkTable.open(folder, tables.DocTable.open(folder).ids)
    memory = tables.ChunkTable.of_chunks(list(on_disk))
    assert list(memory) == list(on_disk) and memory.present == on_disk.present
    assert memory.mask_of({"b-doc"}).tolist() == on_disk.mask_of({"b-doc"}).tolist()
    assert memory.row_of("b-doc:14-26") == 1 and memory.text(2) == "Only text."
    # a heading read from the record alone is the chunk's joined path, or its own heading without one
    assert [on_disk.heading(r) for r in range(3)] == [memory.heading(r) for r in range(3)] == ["1. Intro", "Own heading", ""]


def test_an_empty_index_opens(tmp_path):
    tables.write_tables(tmp_path, [], [])
    docs = tables.DocTable.open(tmp_path)
    assert len(docs) == 0 and len(tables.ChunkTable.open(tmp_path, docs.ids)) == 0
    assert tables.check_tables(tmp_path) == 0


def test_a_truncated_blob_is_refused_at_open(folder):
    blob = folder / "chunks.text.bin"
    blob.write_bytes(blob.read_bytes()[:-3])
    with pytest.raises(tables.TableDamaged, match="chunks.text.bin holds"):
        tables.ChunkTable.open(folder, tables.DocTable.open(folder).ids)


def test_tables_of_different_lengths_are_refused(folder):
    np.save(folder / tables.CHUNK_DOC, np.zeros(2, dtype=np.int32), allow_pickle=False)
    with pytest.raises(tables.TableDamaged, match="differ in length"):
        tables.ChunkTable.open(folder, tables.DocTable.open(folder).ids)


def test_the_full_check_reads_every_row(folder):
    blob = folder / "chunks.records.bin"
    data = bytearray(blob.read_bytes())
    data[0:1] = b"["  # same size, no longer a JSON object per row
    blob.write_bytes(bytes(data))
    tables.ChunkTable.open(folder, tables.DocTable.open(folder).ids)  # opening reads no row
    with pytest.raises(tables.TableDamaged, match="row 0 is not a JSON object"):
        tables.check_tables(folder)


def test_a_chunk_naming_an_unknown_document_fails_the_full_check(folder):
    np.save(folder / tables.CHUNK_DOC, np.asarray([0, 0, 7], dtype=np.int32), allow_pickle=False)
    with pytest.raises(tables.TableDamaged, match="not in the index"):
        tables.check_tables(folder)


def test_facets_say_which_documents_have_each_authority_type_and_year(folder):
    stored = json.loads((folder / tables.DOC_FACETS).read_text(encoding="utf-8"))
    assert stored == {"authority": {"Cardiff Council": [0]}, "year": {"2009": [2], "2019": [0], "2020": [0]}, "doc_type": {}}
    facets = tables.DocFacets.open(folder, tables.document_ids(folder))
    assert facets.ids == ["b-doc", "a-doc", "c-doc"] and facets.rows["year"][2009].tolist() == [2]
    docs = tables.DocTable.open(folder)
    assert tables.DocFacets.of_infos(docs.infos).rows["year"].keys() == facets.rows["year"].keys()


def test_a_document_info_is_decoded_only_when_asked_for(folder):
    infos = tables.DocTable.open(folder).infos
    assert len(infos._done) == 0 and list(infos) == ["b-doc", "a-doc", "c-doc"] and "a-doc" in infos
    assert infos["a-doc"].title == "A" and set(infos._done) == {"a-doc"}


def test_rows_read_together_equal_rows_read_one_by_one(folder):
    chunks = tables.ChunkTable.open(folder, tables.DocTable.open(folder).ids)
    assert chunks.texts_of([2, 0, 2]) == [chunks.text(2), chunks.text(0), chunks.text(2)] == ["Only text.", "Café — first.", "Only text."]
    assert chunks.headings_of([1, 0, 2, 1]) == ["Own heading", "1. Intro", "", "Own heading"]
    assert chunks.doc_ids_of([2, 0]) == ["c-doc", "b-doc"]
    assert chunks.texts_of([]) == [] and chunks.headings_of([]) == [] and chunks.doc_ids_of([]) == []
    with pytest.raises(IndexError):
        chunks.texts_of([3])


def test_each_distinct_heading_is_stored_once(folder):
    assert np.load(folder / tables.CHUNK_HEADING).tolist() == [0, 1, 2]
    tables.write_tables(folder, RECORDS, [CHUNKS[0], CHUNKS[0], CHUNKS[2]])
    assert np.load(folder / tables.CHUNK_HEADING).tolist() == [0, 0, 1]
    assert list(tables.Strings(folder, tables.CHUNK_HEADINGS)) == ["1. Intro", ""]


def test_a_heading_column_that_disagrees_with_the_records_fails_the_full_check(folder):
    np.save(folder / tables.CHUNK_HEADING, np.asarray([1, 0, 2], dtype=np.int32), allow_pickle=False)
    tables.ChunkTable.open(folder, tables.DocTable.open(folder).ids)  # opening reads no row
    with pytest.raises(tables.TableDamaged, match="chunk row 0: its heading column disagrees"):
        tables.check_tables(folder)
    np.save(folder / tables.CHUNK_HEADING, np.asarray([0, 1, 9], dtype=np.int32), allow_pickle=False)
    with pytest.raises(tables.TableDamaged, match="names a heading that is not in the index"):
        tables.check_tables(folder)
