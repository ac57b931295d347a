"""Rendering as plain functions: escaping, highlighting, locators, the answer panel and the exports."""

import csv
import io
import json
from html import escape
from html.parser import HTMLParser

from quarry.records import Answer, Chunk, Citation, DocInfo, Hit
from ui import render

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class Attributes(HTMLParser):
    """Collect one attribute's values as a browser would read them."""

    def __init__(self, name):
        super().__init__()
        self.name, self.values = name, []

    def handle_starttag(self, tag, attrs):
        self.values += [v for k, v in attrs if k == self.name]

    @classmethod
    def of(cls, html, name):
        parser = cls(name)
        parser.feed(html)
        return parser.values


def make_hit(text="Foster carers were recruited. The council opened a new children's home in 2010.", *, rank=1,
             title="Annual Report", authority="Wrexham County Borough Council", section="3.4",
             heading="3.4 Corporate Parenting", page=7, chunk_id="doc:0-80", ranks=None, scores=None) -> Hit:
    doc = DocInfo("doc", "doc.txt", title, authority=authority, period="2009/10", doc_type="annual report")
    chunk = Chunk(chunk_id, "doc", section, heading, (heading,), text, 0, len(text), page, page)
    return Hit(chunk, doc, 0.5, rank, ranks or {"bm25": 2, "dense": 1}, scores or {"bm25": 7.25, "dense": 0.61})


def test_locator_is_section_and_page():
    assert render.locator(make_hit()) == "\u00a73.4 Corporate Parenting, p. 7"
    assert render.locator(make_hit(section=None, heading="Prevention", page=None)) == "Prevention"


def test_query_terms_match_by_stem_and_are_marked():
    wanted = render.query_terms("How are foster carers recruited?")
    html = render.mark_terms("A carer recruits; Fostering matters.", wanted)
    assert html == "A <mark>carer</mark> <mark>recruits</mark>; <mark>Fostering</mark> matters."


def test_best_sentence_has_most_query_terms():
    text = "Foster carers were recruited. The council opened a new children's home in 2010."
    start, end = render.best_sentence(text, render.query_terms("new children's home opened"))
    assert text[start:end] == "The council opened a new children's home in 2010."
    assert render.best_sentence(text, render.query_terms("budget")) is None


def test_question_words_are_not_highlighted_and_do_not_pick_the_sentence():
    # from the seed annual report: the second sentence answers "how many children came into care"
    text = ("8. Whilst there have been positive aspects of performance in many areas of Children's Social Care "
            "Services, we do still have some key challenges. We had 76 children coming into care in 09/10, "
            "compared with 50 in 08/09.")
    wanted = render.query_terms("How many children came into care in Wrexham in 2009/10?")
    assert "mani" not in wanted and {"children", "care", "10"} <= wanted
    start, end = render.best_sentence(text, wanted)
    assert text[start:end].startswith("We had 76 children coming into care")
    assert "<mark>many</mark>" not in render.mark_terms(text, wanted)


def test_highlight_wraps_best_sentence_and_marks_inside_it():
    text = "Foster carers were recruited. The council opened a home."
    wanted = render.query_terms("council home")
    html = render.highlight(text, wanted, render.best_sentence(text, wanted))
    assert html == ('Foster carers were recruited. <span class="q-best">The <mark>council</mark> opened a '
                    '<mark>home</mark>.</span>')


def test_card_escapes_document_text_title_and_heading():
    hit = make_hit(text=f"Before {EVIL} after carers.", title=f"T {EVIL}", heading=f"3.4 {EVIL}", authority=EVIL)
    html = render.card(hit, render.query_terms("carers script"), "hybrid", (f"ctx {EVIL} Before", 8, 20))
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    # attribute values are escaped too: a parser reads the copy text back whole, quotes and all
    copied = Attributes.of(html, "data-copy")
    assert copied == [f"\u201cBefore {EVIL} after carers.\u201d \u2014 {hit.citation}"]


def test_card_has_context_scores_and_copy_text():
    hit = make_hit()
    html = render.card(hit, render.query_terms("children's home"), "hybrid", ("Intro. " + hit.chunk.text, 7, 7 + len(hit.chunk.text)))
    assert 'id="hit-1"' in html
    assert '<details class="q-context"><summary>Show in context</summary>' in html
    assert 'Intro. <span class="q-in-context">' in html
    assert "Keyword (BM25)</td><td>#2</td><td>7.2500" in html and "Semantic (dense)</td><td>#1</td><td>0.6100" in html
    expected_copy = ("\u201cThe council opened a new children's home in 2010.\u201d \u2014 "
                     "Annual Report, Wrexham County Borough Council, \u00a73.4 Corporate Parenting, p. 7")
    assert render.copy_text(render.quote_for(hit, render.query_terms("children's home")), hit.citation) == expected_copy
    assert 'data-copy="\u201cThe council opened a new children&#x27;s home in 2010.\u201d' in html


def test_quote_without_matching_terms_is_the_opening_sentences():
    hit = make_hit(text="First sentence here. " * 30)
    quote = render.quote_for(hit, render.query_terms("unrelated"))
    assert quote.startswith("First sentence here.") and len(quote) >= 200 and hit.chunk.text.startswith(quote[:50])


def test_query_is_escaped_in_status_and_no_result_states():
    assert "<script" not in render.status(EVIL, 2, "bm25", 5, {"authority": [EVIL]})
    assert "<script" not in render.no_results(EVIL, filtered=True)
    assert "<script" not in render.error_state(f"unknown filter key {EVIL!r}")
    assert "Remove a filter" in render.no_results("x", filtered=True)


def test_share_link_round_trips_the_search():
    link = render.share_query("care & support?", "bm25", 5, {"authority": ["Cardiff"], "year": ["2019"]})
    assert link == "?q=care+%26+support%3F&mode=bm25&k=5&authority=Cardiff&year=2019"


def test_answer_markers_link_to_cards_or_to_their_own_quote():
    shown, other = make_hit(chunk_id="doc:0-80", rank=2), make_hit(chunk_id="doc:90-150", rank=9)
    answer = Answer("q?", "They opened a home [1] and recruited <b>carers</b> [2].", False,
                    (Citation(1, shown, "opened a new children's home", 10, 40), Citation(2, other, "carers <b>", 0, 10)))
    html = render.answer_panel(answer, [shown])
    assert '<a class="q-marker" href="#hit-2">[1]</a>' in html
    assert '<a class="q-marker" href="#cite-2">[2]</a>' in html and 'id="cite-2"' in html
    assert "<b>" not in html and "&lt;b&gt;carers&lt;/b&gt;" in html


def test_abstention_is_shown_as_such():
    html = render.answer_panel(Answer("q?", "The documents do not say.", True), [])
    assert "No confident answer" in html and "The documents do not say." in html and "q-marker" not in html
    assert render.answer_panel(None) == ""


def test_exports_carry_citations_and_text():
    hits = [make_hit(rank=1), make_hit(rank=2, text="Second, with \"quotes\", commas\nand a new line.", chunk_id="doc:90-150")]
    md = render.to_markdown("foster <care>", hits, "hybrid")
    assert md.startswith("# Results for \u201cfoster <care>\u201d")
    assert "1. **Annual Report, Wrexham County Borough Council, \u00a73.4 Corporate Parenting, p. 7**" in md
    assert "   > and a new line." in md
    rows = list(csv.DictReader(io.StringIO(render.to_csv(hits))))
    assert [r["rank"] for r in rows] == ["1", "2"] and rows[1]["text"] == hits[1].chunk.text
    assert rows[0]["citation"] == hits[0].citation and rows[0]["page"] == "7"
    data = json.loads(render.to_json("q", hits, "bm25", {"authority": ["Wrexham"]}, {"year": 2010}))
    assert data["hits"] == [{**h.to_dict(), "interpreted": {"year": 2010}} for h in hits]
    assert data["filters"] == {"authority": ["Wrexham"]} and data["interpreted"] == {"year": 2010}


def test_quote_check_panel_escapes_the_claim_and_the_source_and_marks_differences():
    from search.quote_check import Difference, QuoteCheck, SourceSpan

    source = f"The council spent {EVIL} on care."
    doc = DocInfo("doc", "doc.txt", f"Report {EVIL}", authority="Wrexham County Borough Council")
    chunk = Chunk("doc:0-40", "doc", "2", "2 Money", ("2 Money",), source, 0, len(source), 3, 3)
    at = source.index(EVIL)
    span = SourceSpan(doc, chunk, 0, len(source), source, source, 0, len(source), 3, 3, 0.9)
    diff = Difference("word", "<b>nothing</b>", EVIL, at, at + len(EVIL))
    html = render.quote_check_panel(QuoteCheck("The council spent <b>nothing</b> on care.", "altered", span, (diff,)))
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert f"<del>{escape('<b>nothing</b>')}</del><ins>{escape(EVIL)}</ins>" in html
    assert html.count('class="q-diff q-meaning"') == 1 and 'q-verdict-altered' in html
    assert escape(f"Report {EVIL}") in html  # the citation
    assert Attributes.of(html, "data-copy") == [f"\u201c{source}\u201d \u2014 {span.citation}"]
