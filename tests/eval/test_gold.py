"""Gold-set relevance: a passage holding the span (whitespace collapsed) is relevant; doc paths by tail."""

from pathlib import Path

import pytest

from eval import gold
from indexer.build import Source
from quarry.errors import QuarryError, UsageError
from quarry.records import Chunk

TEXT = "Intro line.\n\nThe council spent £58.61\nmillion on  social services.\n\nAnother paragraph here.\n"


def chunk(start: int, end: int, doc: str = "d") -> Chunk:
    return Chunk(f"{doc}#{start}-{end}", doc, "1", "h", ("h",), TEXT[start:end], start, end, None, None, "body")


def test_collapse_ignores_line_breaks_runs_of_spaces_and_soft_hyphens():
    assert gold.collapse(" a\n b\t\tc\u00ad d ") == "a b c d"
    assert gold.collapse("cafe\u0301") == "café"


def test_a_passage_holding_the_span_across_a_line_break_is_relevant():
    mid = TEXT.index("Another")
    chunks = [chunk(0, mid), chunk(mid, len(TEXT))]
    ids, how = gold.relevant_chunks("spent £58.61 million on social services", chunks, TEXT)
    assert (ids, how) == ({chunks[0].chunk_id}, "contains")


def test_every_passage_holding_the_span_counts_for_overlapping_windows():
    chunks = [chunk(0, 70), chunk(10, len(TEXT))]
    ids, how = gold.relevant_chunks("The council spent", chunks, TEXT)
    assert ids == {c.chunk_id for c in chunks} and how == "contains"


def test_a_span_cut_by_a_chunk_boundary_credits_the_overlapping_chunks():
    cut = TEXT.index("million")
    chunks = [chunk(0, 12), chunk(12, cut), chunk(cut, len(TEXT))]
    ids, how = gold.relevant_chunks("£58.61 million", chunks, TEXT)
    assert how == "overlaps" and ids == {chunks[1].chunk_id, chunks[2].chunk_id}


def test_a_span_that_is_not_in_the_document_is_missing():
    assert gold.relevant_chunks("£99 million", [chunk(0, len(TEXT))], TEXT) == (set(), "missing")


def test_span_ranges_map_back_to_original_offsets():
    (start, end), = gold.span_ranges(TEXT, "£58.61 million on social")
    assert TEXT[start:end] == "£58.61\nmillion on  social"


def test_both_row_shapes_load(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text(
        '{"id": "a", "question": "Q1?", "kind": "number", "answerable": true, "answers": [{"doc": "x.txt", "span": "s"}]}\n'
        '{"id": "b", "question": "Q2?", "kind": "unanswerable", "answerable": false, "answers": []}\n'
        '{"id": "c", "question": "Q3?", "source_txt": "inspections/la/r.txt", "evidence": "Overall Good"}\n'
        '{"id": "d", "question": "Q4?", "names": "date", "answers": [{"doc": "y.txt", "span": "t"}]}\n', encoding="utf-8")
    qs = {q.id: q for q in gold.load(path)}
    assert qs["a"].answerable and qs["a"].answers == (gold.Answer("x.txt", "s"),) and qs["a"].kind == "number"
    assert not qs["b"].answerable
    assert qs["c"].answers == (gold.Answer("inspections/la/r.txt", "Overall Good"),) and qs["c"].kind == "all"
    assert qs["d"].kind == "date"


def test_a_malformed_gold_row_is_one_clear_error(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text('{"id": "a"}\n', encoding="utf-8")
    with pytest.raises(QuarryError, match=r"g.jsonl:1: expected \{\"question\""):
        gold.load(path)
    path.write_text('{"question": "q"}\n{"question": \n', encoding="utf-8")
    with pytest.raises(QuarryError, match=r"g.jsonl:2: not a JSON line"):
        gold.load(path)
    with pytest.raises(UsageError, match="no such gold set"):
        gold.load(tmp_path / "missing.jsonl")


def _sources(root: Path, rels: list[str]) -> list[Source]:
    out = []
    for i, rel in enumerate(rels):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x", encoding="utf-8")
        out.append(Source(f"doc{i}", str(p), path=p))
    return out


def test_doc_paths_match_by_tail_whatever_the_prefix(tmp_path):
    root = tmp_path / "ofsted" / "inspections"
    sources = _sources(root, ["la1/report - 1 may 2020.txt", "la2/report - 1 may 2020.txt"])
    m = gold.DocMatcher(sources, [root])
    assert m.doc_id("inspections/la2/report - 1 may 2020.txt") == "doc1"  # relative to the parent folder
    assert m.doc_id("la1/report - 1 may 2020.txt") == "doc0"  # relative to the indexed folder
    assert m.doc_id("elsewhere/inspections/la1/report - 1 may 2020.txt") == "doc0"  # an unknown prefix
    assert m.doc_id("report - 1 may 2020.txt") is None  # too short to say which
    assert m.doc_id("inspections/la3/report - 1 may 2020.txt") is None  # not indexed


def test_seed_file_names_match_documents_in_the_indexed_folder(tmp_path):
    sources = _sources(tmp_path / "corpus", ["a.txt", "b.txt"])
    m = gold.DocMatcher(sources, [tmp_path / "corpus"])
    assert m.doc_id("b.txt") == "doc1" and m.doc_id("c.txt") is None
