"""Summary questions ("What did X say about Y"): recognising them, naming their document, and choosing
the central sentences (pure parts; the end-to-end run is in tests/search/test_answer_real.py)."""

import numpy as np
import pytest

from quarry.records import Chunk, DocInfo, Hit
from search import answer_summary as S
from search.answer_candidates import Candidate, term_set
from search.answer_summary import named_documents, pick, sentence_scores, with_sentence
from search.summary_request import SummaryRequest, speaker_query, speaker_words, summary_request, topic_head
from search.interpret import Interpretation


@pytest.mark.parametrize("question,source,topic", [
    ("What did CIW say about Cardiff's safeguarding?", "CIW", "Cardiff's safeguarding"),
    ("What does the report say about respite care?", "the report", "respite care"),
    ("What have inspectors found about care leavers in Wakefield?", "inspectors", "care leavers in Wakefield"),
    ("What did the inspectors say about fostering in Wrexham's 2009/10 annual report?",
     "the inspectors Wrexham's 2009/10 annual report", "fostering"),
    ("Summarise what the 2021 Wrexham letter says about care leavers", "the 2021 Wrexham letter", "care leavers"),
    ("Summarise the findings on care leavers in the 2021 Wrexham letter", "the 2021 Wrexham letter", "care leavers"),
    ("what did Ofsted note regarding the front door?", "Ofsted", "the front door"),
])
def test_summary_questions_are_split_into_who_speaks_and_the_topic(question, source, topic):
    assert summary_request(question) == SummaryRequest(source, topic)


@pytest.mark.parametrize("question", [
    "How many children came into care in 2009/10?",
    "What does MARAC stand for?",
    "What did CIW find when it looked at the front door?",  # no "about": asks what was found, a fact
    "What did the council spend on residential care?",
    "Why did CIW's concerns escalate?",
])
def test_other_questions_are_not_summaries(question):
    assert summary_request(question) is None


def test_the_speaker_names_a_publisher_when_it_is_an_inspectorate_or_an_acronym():
    assert speaker_words("CIW") == {"ciw"}
    assert speaker_words("the inspectors") == {"inspectorate", "ofsted", "ciw", "cssiw"}
    assert speaker_words("Ofsted's 2018 focused visit") == {"ofsted"}
    assert speaker_words("Wrexham's annual report") == frozenset()


def _doc(doc_id, authority, years, doc_type, publisher):
    return DocInfo(doc_id, doc_id, doc_id, authority=authority, years=years, doc_type=doc_type, publisher=publisher)


INFOS = {
    "letter": _doc("letter", "Wrexham County Borough Council", (2019, 2020), "performance review letter", "Care Inspectorate Wales (CIW)"),
    "report": _doc("report", "Wrexham County Borough Council", (2009, 2010), "annual report", "Wrexham County Borough Council"),
}


def test_named_documents_match_every_named_field_and_the_speaker():
    wrexham = Interpretation(authorities=("Wrexham County Borough Council",), docs=frozenset(INFOS))
    assert named_documents(wrexham, INFOS, frozenset({"ciw"})) == ({"letter"}, "")
    assert named_documents(wrexham, INFOS, frozenset()) == ({"letter", "report"}, "")
    # a speaker no document has (a person's title) rules nothing out
    assert named_documents(wrexham, INFOS, frozenset({"adss"})) == ({"letter", "report"}, "")
    # "the 2016 Wrexham letter": the interpretation's best documents (Wrexham's) lack the year -> abstain, saying why
    old = Interpretation(authorities=("Wrexham County Borough Council",), years=(2016, 2017), docs=frozenset(INFOS))
    assert named_documents(old, INFOS, frozenset()) == (set(), "no indexed document matches Wrexham County Borough Council; 2016 or 2017")
    assert named_documents(Interpretation(), INFOS, frozenset({"ciw"})) == (set(), "")  # nothing named


def test_sentence_scores_add_centrality_and_the_topic_cosine(monkeypatch):
    monkeypatch.setattr(S, "W_CENTRAL", 1.0)
    monkeypatch.setattr(S, "W_TOPIC", 1.0)
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    # centroid (2/3, 1/3) normalised = (2, 1)/sqrt(5): centralities 2/sqrt5, 1/sqrt5, 2/sqrt5; topic (0, 1)
    scores = sentence_scores(vectors, np.array([0.0, 1.0]))
    assert scores == pytest.approx([2 / 5 ** 0.5, 1 / 5 ** 0.5 + 1, 2 / 5 ** 0.5])


def test_pick_takes_the_best_non_overlapping_spans_within_the_margin_in_document_order():
    spans = [(0, 10), (12, 20), (5, 15), (30, 40), (50, 60)]
    scores = [0.9, 0.5, 1.0, 0.8, 0.2]
    # (5, 15) is best; (0, 10) and (12, 20) overlap it; (30, 40) joins; (50, 60) is 0.8 under the best
    assert pick(spans, scores, most=4, margin=0.35) == [2, 3]
    assert pick(spans, scores, most=1, margin=0.35) == [2]
    assert pick(spans, scores, most=4, margin=1.0) == [2, 3, 4]
    assert pick([], [], most=3) == []


def _cand(doc_id: str, start: int, end: int, score: float) -> Candidate:
    doc = DocInfo(doc_id, doc_id, doc_id)
    hit = Hit(Chunk(f"{doc_id}:0", doc_id, None, "", (), "x" * 400, 0, 400), doc, 1.0, 1)
    return Candidate(hit, start, end, "x" * (end - start), score=score)


def test_the_ordinary_answers_quote_joins_a_summary_in_document_order_within_the_cap():
    chosen = [_cand("a", 0, 10, 0.9), _cand("a", 50, 60, 0.4), _cand("a", 100, 110, 0.7)]
    extra = _cand("a", 70, 90, 0.0)
    assert [c.start for c in with_sentence(chosen, extra, most=4)] == [0, 50, 70, 100]
    # at the cap the lowest-scoring summary sentence (0.4) leaves, never the ordinary answer's
    assert [c.start for c in with_sentence(chosen, extra, most=3)] == [0, 70, 100]
    # it replaces the summary sentences it holds (quoted with the sentence they lead to), and is dropped when one holds it
    longer = _cand("a", 45, 80, 0.0)
    assert [(c.start, c.end) for c in with_sentence(chosen, longer, most=3)] == [(0, 10), (45, 80), (100, 110)]
    assert with_sentence(chosen, _cand("a", 52, 58, 0.0), most=3) == chosen
    # another named document's quote comes after the summary's document
    other = _cand("b", 5, 15, 0.0)
    assert [(c.hit.chunk.doc_id, c.start) for c in with_sentence(chosen, other, most=4)] == [("a", 0), ("a", 50), ("a", 100), ("b", 5)]


def test_who_speaks_is_searched_for_by_the_words_the_documents_own_metadata_lacks():
    metadata = term_set("Wrexham Social Services Annual Report 2009-10 Wrexham County Borough Council annual report")
    assert speaker_query("the CSSIW regional director", metadata) == "CSSIW regional director"
    assert speaker_query("the 2009 CSSIW fostering inspection", metadata) == "CSSIW fostering inspection"
    assert speaker_query("Wrexham's annual report", metadata) == ""  # the document itself speaks
    assert speaker_query("the 2019-20 letter", frozenset()) == ""  # numbers and document words are no one


def test_a_period_in_who_speaks_names_the_documents_own_period():
    """"CIW's 2019-20 performance letter" is the review of 2019-20: the 2018-19 letter (which sets out CIW's plans
    for 2019-20) is not it; a period elsewhere in the question or a single year leaves the documents alone."""
    infos = {"cardiff": DocInfo("cardiff", "c.txt", "Cardiff review", period="April 2018 - March 2019", years=(2018, 2019)),
             "wrexham": DocInfo("wrexham", "w.txt", "Wrexham review", period="2019-20", years=(2019, 2020)),
             "letter": DocInfo("letter", "l.txt", "Focused visit letter", years=(2019,))}
    assert S._of_period({"cardiff"}, infos, "CIW its 2019-20 performance letter") == (set(), "no indexed document is of 2019-2020")
    assert S._of_period({"cardiff", "wrexham"}, infos, "CIW's 2019/20 review") == ({"wrexham"}, "")
    assert S._of_period({"cardiff", "letter"}, infos, "CIW's 2019-20 review") == ({"letter"}, "")  # no period of its own
    assert S._of_period({"cardiff"}, infos, "CIW") == ({"cardiff"}, "")
    assert S._of_period({"cardiff"}, infos, "the 2019 letter") == ({"cardiff"}, "")


@pytest.mark.parametrize("topic,head", [
    ("kinship care allowances in Plymouth", "allowances"),
    ("short breaks for disabled children in Bracknell Forest", "breaks"),
    ("Hartlepool's fostering allowances", "allowances"),
    ("Havering's adoption service", None),  # a generic head: the topic is adoption, checked with the other words
    ("the quality of practice", None),
    ("Cardiff's", None),
])
def test_a_topics_head_is_the_last_word_of_its_first_phrase(topic, head):
    assert topic_head(topic) == head
