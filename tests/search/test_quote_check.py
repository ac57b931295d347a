"""Quote checking (#19): hand-made claims of each verdict on the seed corpus, with exact expected spans."""

from __future__ import annotations

import pytest

from quarry.errors import UsageError
from search import open_index
from search import quote_text as qt
from search.quote_check import QuoteCheck, check_quote, checker_for
from search.verify import verify_quote

REPORT = "wrexham-social-services-annual-report-2009-10"
LETTER = "ciw-wrexham-performance-review-2019-20"
CARDIFF = "ciw-cardiff-performance-review-2018-19"
CHILDREN = "We had 76 children coming into care in 09/10, compared with 50 in 08/09"
MCA = ("A jointly commissioned Training Officer has delivered training to all staff on the Mental Capacity Act (MCA), "
       "including Deprivation of Liberty Safeguards (DOLS)")


@pytest.fixture(scope="module")
def searcher(hash_index):
    return open_index(hash_index.index, hash_index)


def _span_of(searcher, doc_id: str, exact: str) -> tuple[int, int]:
    text = searcher.source_text(doc_id)
    start = text.index(exact)
    return start, start + len(exact)


def _assert_source(searcher, result: QuoteCheck, doc_id: str, exact: str) -> None:
    """The verdict's source is exactly `exact` at its place in `doc_id`, and verify_quote agrees."""
    assert result.source is not None
    assert result.source.doc.doc_id == doc_id
    assert (result.source.char_start, result.source.char_end) == _span_of(searcher, doc_id, exact)
    assert result.source.quote == exact
    verify_quote(searcher.source_text(doc_id), result.source.quote, result.source.char_start, result.source.char_end)


def test_a_sentence_as_written_is_verbatim_with_its_exact_span_and_citation(searcher):
    result = check_quote(searcher, CHILDREN)
    assert result.verdict == "verbatim" and result.differences == ()
    _assert_source(searcher, result, REPORT, CHILDREN)
    assert result.source.citation.startswith(searcher.doc_infos[REPORT].title)
    assert CHILDREN in result.source.context and result.source.context.endswith("2010.")  # the whole sentence


def test_case_curly_quotes_and_a_trailing_full_stop_do_not_matter(searcher):
    claim = "\u201cwe had 76 children coming into care in 09/10, compared with 50 in 08/09\u201d"
    assert check_quote(searcher, claim).verdict == "verbatim"
    full = "This has not been sustained."
    result = check_quote(searcher, "'this has NOT been sustained.'")
    assert result.verdict == "verbatim"
    _assert_source(searcher, result, LETTER, full)  # the source's own full stop is included


def test_pdf_line_breaks_and_a_line_end_hyphen_are_verbatim(searcher):
    claim = "A jointly commis-\nsioned Training Officer has delivered\ntraining to all staff on the Mental Capacity Act (MCA), including Deprivation of Liberty Safeguards (DOLS)"
    result = check_quote(searcher, claim)
    assert result.verdict == "verbatim"
    _assert_source(searcher, result, REPORT, MCA)


@pytest.mark.parametrize("mark", ["...", "\u2026", "[...]", "[\u2026]", ". . ."])
def test_elided_parts_in_order_are_verbatim_and_each_part_has_its_span(searcher, mark):
    result = check_quote(searcher, f"We had 76 children {mark} compared with 50 in 08/09")
    assert result.verdict == "verbatim"
    _assert_source(searcher, result, REPORT, CHILDREN)
    text = searcher.source_text(REPORT)
    assert [text[s:e] for s, e in result.source.parts] == ["We had 76 children", "compared with 50 in 08/09"]


def test_elided_parts_out_of_order_are_not_verbatim(searcher):
    result = check_quote(searcher, "compared with 50 in 08/09 ... We had 76 children coming into care")
    assert result.verdict != "verbatim"


def test_a_dropped_comma_is_close_and_named_as_punctuation(searcher):
    result = check_quote(searcher, "We had 76 children coming into care in 09/10 compared with 50 in 08/09")
    assert result.verdict == "close"
    assert [(d.kind, d.claim, d.source) for d in result.differences] == [("punctuation", "", ",")]
    _assert_source(searcher, result, REPORT, CHILDREN)


def test_american_spelling_and_a_dropped_filler_word_are_close(searcher):
    result = check_quote(searcher, "A jointly commissioned Training Officer has delivered training to all staff on Mental Capacity Act")
    assert result.verdict == "close" and [d.kind for d in result.differences] == ["filler"]
    result = check_quote(searcher, "This will mean that not only will services in Wrexham need to become more efficient")
    assert result.verdict == "verbatim"
    # "organise"/"organize" style variants: the rule is shared by British and American spellings of one word
    assert qt.spelling_key("organisation") == qt.spelling_key("organization") != qt.spelling_key("organ")


def test_a_changed_number_is_altered_and_the_number_is_named_with_its_source_span(searcher):
    result = check_quote(searcher, "We had 67 children coming into care in 09/10, compared with 50 in 08/09")
    assert result.verdict == "altered"
    (diff,) = result.changed
    assert (diff.kind, diff.claim, diff.source) == ("number", "67", "76")
    assert searcher.source_text(REPORT)[diff.char_start:diff.char_end] == "76"
    _assert_source(searcher, result, REPORT, CHILDREN)


def test_a_dropped_negation_is_altered_and_named(searcher):
    result = check_quote(searcher, "This has been sustained.")
    assert result.verdict == "altered"
    assert [(d.kind, d.claim, d.source) for d in result.changed] == [("negation", "", "not")]
    _assert_source(searcher, result, LETTER, "This has not been sustained.")


def test_a_quantifier_and_a_percentage_change_are_named(searcher):
    result = check_quote(searcher, "Vacancies currently stand at 40%.")
    assert result.verdict == "altered"
    assert [(d.kind, d.claim, d.source) for d in result.changed] == [("number", "40", "30")]
    _assert_source(searcher, result, CARDIFF, "Vacancies currently stand at 30%.")
    result = check_quote(searcher, MCA.replace("to all staff", "to some staff"))
    assert [(d.kind, d.claim, d.source) for d in result.changed] == [("quantifier", "some", "all")]


def test_a_sentence_from_elsewhere_is_not_found_with_nearest_passages(searcher):
    result = check_quote(searcher, "The present study is a history of the Dewey Decimal Classification and its eighteen editions.")
    assert result.verdict == "not_found" and result.source is None
    assert result.nearest
    for near in result.nearest:
        verify_quote(searcher.source_text(near.doc.doc_id), near.quote, near.char_start, near.char_end)
    assert result.to_dict()["verdict"] == "not_found"


def test_filters_restrict_the_documents_checked(searcher):
    assert check_quote(searcher, CHILDREN, filters={"doc": REPORT}).verdict == "verbatim"
    assert check_quote(searcher, CHILDREN, filters={"doc": LETTER}).verdict == "not_found"


def test_to_dict_is_the_json_contract(searcher):
    d = check_quote(searcher, "We had 67 children coming into care in 09/10").to_dict()
    assert set(d) == {"text", "verdict", "source", "differences", "nearest"}
    assert {"citation", "char_start", "char_end", "quote", "context", "page", "title", "authority", "section"} <= set(d["source"])
    assert d["differences"][0] | {"char_start": 0, "char_end": 0} == {
        "kind": "number", "changes_meaning": True, "claim": "67", "source": "76", "char_start": 0, "char_end": 0}


def test_diff_runs_rebuild_the_source_quote_with_each_difference_in_place(searcher):
    result = check_quote(searcher, "We had 67 children coming into care in 09/10, compared with 50 in 08/09")
    runs = result.diff_runs()
    assert runs[0] == "We had " and runs[1].claim == "67" and runs[1].source == "76"
    assert "".join(r if isinstance(r, str) else r.source for r in runs) == result.source.quote
    assert check_quote(searcher, CHILDREN).diff_runs() == (CHILDREN,)
    assert check_quote(searcher, "The Dewey Decimal Classification and its eighteen editions.").diff_runs() == ()


@pytest.mark.parametrize("text", ["", "   ", "\u201c \u201d", "...", "[\u2026]", "?!"])
def test_empty_text_is_a_usage_error_of_one_line(searcher, text):
    with pytest.raises(UsageError) as e:
        check_quote(searcher, text)
    assert "\n" not in str(e.value) and "empty" in str(e.value)


def test_too_long_text_is_a_usage_error(searcher):
    with pytest.raises(UsageError):
        check_quote(searcher, "word " * 1000)


def test_one_checker_per_open_index_forgotten_with_the_index(hash_index):
    import gc

    from search import quote_check

    opened = open_index(hash_index.index, hash_index)
    assert check_quote(opened, CHILDREN).verdict == "verbatim"
    checker = checker_for(opened)
    assert checker_for(opened) is checker and checker.searcher is opened  # built once, reused
    assert not hasattr(opened, "_quote_checker")  # nothing set on the Searcher
    other = open_index(hash_index.index, hash_index)
    assert checker_for(other) is not checker
    before = len(quote_check._checkers)
    del opened, other, checker
    gc.collect()
    assert len(quote_check._checkers) == before - 2  # a closed (rebuilt) index does not stay in memory


# ---- the pure parts, worked by hand ------------------------------------------------------------

def test_tokens_keep_exact_spans_and_normalise_quotes_dashes_and_hyphenation():
    text = "The multi-\nagency \u2018front door\u2019 isn\u2019t safe \u2013 2019\u201320."
    toks = qt.tokens(text)
    assert [t.key for t in toks] == ["the", "multiagency", "front", "door", "isn't", "safe", "-", "201920", "."]
    assert [text[t.start:t.end] for t in toks][1] == "multi-\nagency"
    assert qt.keys(text) == [t.key for t in toks]


def test_elided_parts_are_split_at_every_kind_of_mark():
    text = "one two ... three [\u2026] four (...) five \u2026 six"
    assert [text[s:e].strip() for s, e in qt.elided_parts(text)] == ["one two", "three", "four", "five", "six"]


def test_alignment_similarity_is_the_dice_overlap_of_words():
    a = qt.align(["we", "had", "67", "children"], ["so", "we", "had", "76", "children", "here"])
    assert (a.start, a.end) == (1, 5)
    assert a.similarity == pytest.approx(2 * 3 / (4 + 4))
    assert [op[0] for op in a.opcodes] == ["equal", "replace", "equal"]


@pytest.mark.parametrize("claim,source,kind", [
    (["40"], ["30"], "number"), (["march"], ["june"], "date"), (["2019"], ["2020"], "date"), ([], ["not"], "negation"),
    (["unsafe"], ["safe"], "negation"), (["some"], ["all"], "quantifier"), (["lower"], ["higher"], "comparative"),
    (["good"], ["poor"], "word"),
])
def test_meaning_changes_are_classified(claim, source, kind):
    assert qt.benign_kind(claim, source) is None
    assert qt.meaning_kind(claim, source, capitalised=False) == kind


@pytest.mark.parametrize("claim,source,kind", [
    ([], [","], "punctuation"), (["wellbeing"], ["well", "being"], "spacing"), (["1000"], ["1,000"], "number format"),
    (["organized"], ["organised"], "spelling"), (["behavior"], ["behaviour"], "spelling"), ([], ["very"], "filler"),
    (["40", "%"], ["40", "per", "cent"], "punctuation"),
])
def test_benign_differences_are_classified(claim, source, kind):
    assert qt.benign_kind(claim, source) == kind
