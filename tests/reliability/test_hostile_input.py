"""Property-based tests: hostile and malformed input gives a clear error or a sane result, never
a traceback or a hang (issue 8)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.chunks import chunk_sections
from indexer.normalise import normalise
from indexer.sections import detect_sections
from cli.main import main
from quarry.embedders import HashEmbedder
from quarry.errors import QuarryError
from search import open_index
from search.filters import parse

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=3000)
queries = st.one_of(
    texts,
    st.sampled_from(["", "   ", "\x00\x1b[31m", '"unbalanced', "((()", "*", "AND OR NOT", "児童養護施設",
                     "Ysgol Gymraeg gofal", "x" * 100_000, "<script>alert(1)</script>", "../../etc/passwd"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages=st.lists(texts, min_size=1, max_size=4))
def test_chunker_invariants_hold_on_any_text(pages):
    norm = normalise(pages)
    count = HashEmbedder().count_tokens
    for section in detect_sections("d", norm.text):
        assert 0 <= section.char_start <= section.char_end <= len(norm.text)
        for chunk in chunk_sections([section], norm.text, count, 40, 1, norm.page_at):
            assert chunk.text.strip()
            assert norm.text[chunk.char_start:chunk.char_end] == chunk.text


@pytest.fixture(scope="module")
def searcher(hash_index):
    return open_index(hash_index.index, hash_index)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries, k=st.one_of(st.integers(-5, 20), st.sampled_from([0, -1, 10**9])),
       mode=st.sampled_from(["hybrid", "bm25", "dense", "nonsense"]))
def test_search_gives_hits_or_a_clear_error(searcher, query, k, mode):
    try:
        hits = searcher.search(query, k=k, mode=mode).hits
    except QuarryError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert 1 <= k <= searcher.settings.max_k and len(hits) <= k
    assert all(h.chunk.doc_id in searcher.doc_infos for h in hits)


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.text(max_size=30), max_size=4))
def test_filter_parsing_never_crashes(pairs):
    try:
        parsed = parse(pairs)
    except QuarryError:
        return
    assert all(isinstance(v, list) for v in parsed.values())


def test_path_traversal_in_filters_is_just_a_value_that_matches_nothing(searcher):
    assert searcher.search("care", k=5, filters={"doc": ["../../etc/passwd"]}).hits == []
    assert searcher.chunk("../../etc/passwd") is None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=st.lists(st.sampled_from(["search", "index", "-k", "0", "-1", "999999999999", "--mode", "x", "--filter",
                                      "a=b", "=", "--json", "--bogus", "", "\x00", "year=abc"]), max_size=6))
def test_cli_exits_cleanly_on_any_arguments(hash_index, capsys, args):
    try:
        code = main([*args, "--index", hash_index.index] if args[:1] == ["search"] else args)
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    assert code in (0, 1, 2)
    assert "Traceback" not in err
