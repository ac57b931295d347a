"""Handlers as plain functions over the fast (hash-embedder) seed index."""

import csv
import html
import json

import pytest

from quarry.errors import UsageError
from search import open_index
from search.answer import ask
from ui import handlers
from ui.handlers import SearchRequest

CARDIFF = "Cardiff City Council"


@pytest.fixture(scope="module")
def searcher(hash_index):
    return open_index(hash_index.index, hash_index)


class Delegating:
    """The real searcher behind another object (subclasses replace a method)."""

    def __init__(self, searcher):
        self._s = searcher

    def __getattr__(self, name):
        return getattr(self._s, name)


def test_filter_choices_come_from_the_index(searcher):
    choices = handlers.filter_choices(searcher)
    assert choices.authorities == (CARDIFF, "Wrexham County Borough Council")
    assert ("Social Services Annual Report 2009/10", "wrexham-social-services-annual-report-2009-10") in choices.documents
    assert choices.years == ("2009", "2010", "2018", "2019", "2020")
    assert choices.doc_types == ("annual report", "performance review letter")
    assert handlers.filter_choices(searcher) is choices  # made once per opened index


def test_the_documents_menu_stays_empty_for_a_large_index(searcher, monkeypatch):
    from search.api import Searcher

    monkeypatch.setattr(handlers, "MAX_DOCUMENT_CHOICES", 2)
    fresh = Searcher(searcher.index, searcher.settings)
    choices = handlers.filter_choices(fresh)
    assert choices.documents == () and choices.authorities and choices.years


def test_search_renders_cards_with_citations_and_context(searcher):
    view = handlers.run_search(searcher, SearchRequest("Fostering and Adoption inspection", "bm25", 3))
    assert len(view.hits) == 3 and view.cards.count('<article class="q-card"') == 3
    assert "3 passages for" in view.status
    top = view.hits[0]
    assert f'<span class="q-citation">{top.citation}</span>' in view.cards
    assert view.cards.count("Show in context") == 3
    assert '<section class="q-answer' in view.answer  # the answer (or the abstention) sits above the cards


def test_filters_are_passed_through_and_narrow_results(searcher):
    req = SearchRequest("children's services", "hybrid", 10, handlers.make_filters([CARDIFF], [], [], []))
    view = handlers.run_search(searcher, req)
    assert view.hits and {h.doc.authority for h in view.hits} == {CARDIFF}
    assert view.cards.count(f'data-authority="{CARDIFF}"') == len(view.hits)
    assert "filtered by authority: Cardiff City Council" in view.status and "preferring" not in view.status


def test_status_says_what_the_query_names(searcher):
    view = handlers.run_search(searcher, SearchRequest("foster carers in Cardiff", "bm25", 3))
    assert "preferring authority: Cardiff City Council" in view.status


def test_empty_no_result_and_error_states(searcher):
    assert "Ask a question" in handlers.run_search(searcher, SearchRequest("")).status
    none = handlers.run_search(searcher, SearchRequest("children", "bm25", 5, {"type": ["annual report"], "authority": ["Cardiff"]}))
    assert none.hits == () and "No passages found" in none.status and "Remove a filter" in none.status
    for req, needle in [(SearchRequest("x", "bm25", 0), "k must be a positive"),
                        (SearchRequest("x", "bm25", 5, {"colour": ["red"]}), "unknown filter key"),
                        (SearchRequest("x" * 5000, "bm25", 5), "the limit is")]:
        view = handlers.run_search(searcher, req)
        assert 'class="q-error"' in view.status and needle in view.status and "Traceback" not in view.status


def test_unexpected_failure_is_an_error_panel_not_a_traceback(searcher, caplog):
    class Broken(Delegating):
        def search(self, *args, **kwargs):
            raise RuntimeError("disk on fire at /secret/path")

    view = handlers.run_search(Broken(searcher), SearchRequest("carers"))
    assert 'class="q-error"' in view.status and "something went wrong" in view.status
    assert "/secret/path" not in view.status and "disk on fire" in caplog.text


def test_answer_panel_shows_the_real_answer_with_linked_markers(searcher, monkeypatch):
    calls = []

    def recording(s, question, k=None, filters=None):  # the real `ask`, recording the arguments it receives
        calls.append((s, question, k, filters))
        return ask(s, question, k=k, filters=filters)

    monkeypatch.setattr(handlers, "ask", recording)
    req = SearchRequest("When was the Wrexham Fostering Service inspection published?", "hybrid", 6, {"authority": ["Wrexham"]})
    view = handlers.run_search(searcher, req)
    assert calls == [(searcher, req.query, 6, {"authority": ["Wrexham"]})]
    answer = ask(searcher, req.query, k=6, filters={"authority": ["Wrexham"]})
    assert not answer.abstained and answer.citations
    assert '<section class="q-answer"' in view.answer and 'class="q-marker"' in view.answer
    for c in answer.citations:  # every quote is shown, escaped, beside its citation
        assert html.escape(c.quote) in view.answer and html.escape(c.to_dict()["citation"]) in view.answer


def test_request_from_url_params():
    req = handlers.request_from_params({"q": [" foster carers "], "mode": ["keyword"], "k": ["5"],
                                        "authority": ["Cardiff"], "filter": ["year=2019", "year=2018"]})
    assert req == SearchRequest("foster carers", "bm25", 5, {"authority": ["Cardiff"], "year": ["2019", "2018"]})
    assert handlers.request_from_params({}, default_k=7) == SearchRequest("", "hybrid", 7, {})
    for bad in ({"mode": ["magic"]}, {"k": ["ten"]}, {"filter": ["nokey"]}):
        with pytest.raises(UsageError):
            handlers.request_from_params(bad)


def test_exports_are_written_once_per_result_list(searcher, tmp_path):
    view = handlers.run_search(searcher, SearchRequest("foster carers", "bm25", 4))
    paths = handlers.write_exports(view, tmp_path)
    assert sorted(p.name for p in paths.values()) == ["quarry-results.csv", "quarry-results.json", "quarry-results.md"]
    assert handlers.write_exports(view, tmp_path) == paths  # same results, same files
    rows = list(csv.DictReader(paths["quarry-results.csv"].open(encoding="utf-8")))
    assert [r["citation"] for r in rows] == [h.citation for h in view.hits]
    assert json.loads(paths["quarry-results.json"].read_text())["hits"][0] == {**view.hits[0].to_dict(), "interpreted": {}}
    assert view.hits[0].citation in paths["quarry-results.md"].read_text()


def test_api_json_is_the_cli_contract(searcher):
    req = SearchRequest("foster carers in Cardiff", "bm25", 3)
    data = handlers.search_json(searcher, req)
    named = {"authority": "Cardiff City Council"}
    assert data["interpreted"] == named
    assert data["hits"] == [{**h.to_dict(), "interpreted": named} for h in searcher.search(req.query, k=3, mode="bm25").hits]
    with pytest.raises(UsageError):
        handlers.search_json(searcher, SearchRequest(""))
    assert handlers.ask_json(searcher, req) == ask(searcher, req.query, k=3, filters=None).to_dict()
    with pytest.raises(UsageError):
        handlers.ask_json(searcher, SearchRequest(""))


# --- "Check a quote" (#19) ---------------------------------------------------------------------

CHILDREN = "We had 76 children coming into care in 09/10, compared with 50 in 08/09"


def test_run_verify_shows_the_verdict_citation_and_the_changed_words(searcher):
    page = handlers.run_verify(searcher, CHILDREN.replace("76", "67"))
    assert 'data-verdict="altered"' in page
    assert '<span class="q-diff q-meaning" title="number: changes the meaning"><del>67</del><ins>76</ins></span>' in page
    assert html.escape("Social Services Annual Report 2009/10, Wrexham County Borough Council") in page
    verbatim = handlers.run_verify(searcher, CHILDREN, {"authority": ["Wrexham"]})
    assert 'data-verdict="verbatim"' in verbatim and f'<blockquote class="q-source">{html.escape(CHILDREN)}</blockquote>' in verbatim
    assert 'data-verdict="not_found"' in handlers.run_verify(searcher, CHILDREN, {"authority": ["Cardiff"]})


def test_run_verify_lists_the_nearest_passages_when_not_found(searcher):
    page = handlers.run_verify(searcher, "The Dewey Decimal Classification and its eighteen editions.")
    assert 'data-verdict="not_found"' in page and '<ol class="q-nearest"><li><q>' in page


@pytest.mark.parametrize("text,needle", [("", "the text to check is empty"), ("x " * 3000, "the limit is")])
def test_run_verify_errors_are_one_line_panels(searcher, text, needle):
    page = handlers.run_verify(searcher, text)
    assert 'class="q-error"' in page and "Could not check:" in page and needle in page


def test_run_verify_unexpected_failure_stays_in_the_log(searcher, caplog):
    class Broken(Delegating):
        def allowed(self, *args, **kwargs):
            raise RuntimeError("disk on fire at /secret/path")

    page = handlers.run_verify(Broken(searcher), CHILDREN)
    assert "something went wrong" in page and "/secret/path" not in page and "disk on fire" in caplog.text


def test_reruns_with_another_mode_k_or_filter_embed_the_query_once(hash_index):
    """The UI's reruns (mode, k and filter changes, the JSON API, the answer) reuse the query's vector."""
    from tests.counting import Counting

    inner = Counting()
    s = open_index(hash_index.index, hash_index, embedder=inner)
    query = "foster carers recruited"
    handlers.run_search(s, SearchRequest(query, "hybrid", 10), with_answer=False)
    handlers.run_search(s, SearchRequest(query, "dense", 3), with_answer=False)
    handlers.run_search(s, SearchRequest(query, "hybrid", 5, handlers.make_filters([CARDIFF], [], [], [])), with_answer=False)
    handlers.search_json(s, SearchRequest(query, "dense", 20))
    assert inner.seen.count(query) == 1
    handlers.run_search(s, SearchRequest("adoption panels", "dense", 3), with_answer=False)
    assert inner.seen.count("adoption panels") == 1  # a new query is embedded (the counter sees it)
