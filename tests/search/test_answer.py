"""Extractive answers over a tiny two-council corpus (fast hash embedder): composition, markers,
continuation quotes, figure preference, multi-document support, abstention and quote verification."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from indexer.build import Source, build_from_sources
from quarry.records import Chunk, DocInfo, Hit
from quarry.settings import Settings
from search import open_index
from search.answer import ABSTAIN_TEXT, ask, with_lexical_extras
from search.answer_candidates import boilerplate, candidates_from, depends_on_context, heading_like
from search.answer_topic import Coverage, join_words, key_terms
from search.verify import CitationMismatch

CARDIFF = """Fostering

The council recruited 12 new foster carers during 2018-19. This is an increase on the previous year. Foster carers rated the support they receive from the fostering team as good.

Finance

The council spent £4.2 million on fostering services in 2018-19. The overspend was caused by placements outside the county.

Staffing

Staff sickness absence was 6.5% in children's services, compared with 5.9% across Wales.
The average caseload of social workers was 19 in December 2018.
"""

WREXHAM = """Safeguarding

The local authority has addressed a backlog in deprivation of liberty safeguards and operates without a waiting list.

Fostering

Foster carers rated the support they receive from the fostering team as good. The council recruited 9 new foster carers during 2019-20.
"""

SOURCES = [
    Source("cardiff-letter", "cardiff-letter", entry={"title": "Performance Review 2018-19: Cardiff", "authority": "Cardiff City Council",
                                                    "years": [2018, 2019], "period": "April 2018 - March 2019"}, text=CARDIFF),
    Source("wrexham-letter", "wrexham-letter", entry={"title": "Performance Review 2019-20: Wrexham", "authority": "Wrexham County Borough Council",
                                                    "years": [2019, 2020], "period": "April 2019 - March 2020"}, text=WREXHAM),
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    settings = Settings(index=str(tmp_path_factory.mktemp("tiny") / "index"), model="hash")
    build_from_sources(SOURCES, settings)
    return open_index(settings.index, settings)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def test_answer_quotes_verified_sentences_with_markers(tiny):
    answer = ask(tiny, "How many new foster carers did Cardiff recruit?")
    assert not answer.abstained
    assert answer.citations and [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    first = answer.citations[0]
    assert first.hit.chunk.doc_id == "cardiff-letter"
    # the sentence that answers, quoted together with the sentence that refers back to it
    assert first.quote == "The council recruited 12 new foster carers during 2018-19. This is an increase on the previous year."
    for c in answer.citations:
        assert tiny.source_text(c.hit.chunk.doc_id)[c.char_start:c.char_end] == c.quote
    # each quoted sentence stands in the answer, followed by its own marker, in order
    expected = " ".join(f"{_collapse(c.quote)} [{c.n}]" for c in answer.citations)
    assert answer.answer == expected
    assert re.findall(r"\[(\d)\]", answer.answer) == [str(c.n) for c in answer.citations]


@pytest.mark.parametrize("question,figure", [
    ("How much did Cardiff spend on fostering services?", "£4.2 million"),
    ("What percentage of staff were off sick in Cardiff children's services?", "6.5%"),
    ("What was the average caseload of social workers in Cardiff in December 2018?", "was 19 in December 2018"),
])
def test_questions_about_figures_are_answered_with_the_figure(tiny, question, figure):
    answer = ask(tiny, question)
    assert not answer.abstained, answer.interpreted
    assert figure in answer.citations[0].quote


def test_the_same_finding_in_two_documents_is_cited_from_each(tiny):
    answer = ask(tiny, "How did foster carers rate the support they receive from the fostering team?")
    assert not answer.abstained
    docs = [c.hit.chunk.doc_id for c in answer.citations]
    assert {"cardiff-letter", "wrexham-letter"} <= set(docs)
    quotes = [c.quote for c in answer.citations]
    assert quotes.count("Foster carers rated the support they receive from the fostering team as good.") == 2


@pytest.mark.parametrize("question,missing", [
    ("What was the average caseload of social workers in Cardiff in March 2019?", "march"),
    ("How many new foster carers did Cardiff recruit during 2016-17?", "2016/2017"),
    ("How many foster carers did Wrexham recruit in 2018-19?", "2018/2019"),
])
def test_abstains_when_no_evidence_matches_what_the_question_names(tiny, question, missing):
    answer = ask(tiny, question)
    assert answer.abstained
    assert answer.answer == ABSTAIN_TEXT
    assert answer.citations == ()
    assert 1 <= len(answer.passages) <= 3  # the closest passages are still shown
    assert missing in answer.interpreted["reason"]


def test_abstains_when_a_count_question_finds_no_count(tiny):
    answer = ask(tiny, "How many deprivation of liberty applications did Wrexham receive?")
    assert answer.abstained and "a count" in answer.interpreted["reason"]


def test_a_figure_of_something_else_does_not_answer(tiny):
    # the only percentages are of sickness absence: they do not answer a question about a recruitment rate
    answer = ask(tiny, "What was the foster carer recruitment rate in Cardiff in 2018-19?")
    assert answer.abstained and answer.interpreted["reason"] == "the figures found are not of carer recruitment"
    assert answer.interpreted["missing_terms"] == ["carer", "recruitment"]
    assert not ask(tiny, "What was the foster carer recruitment rate in Cardiff in 2018-19?", checks=False).abstained
    # the figure of what is asked: answered
    said = ask(tiny, "What was the staff sickness absence rate in Cardiff in 2018-19?")
    assert not said.abstained and "6.5%" in said.citations[0].quote


def test_sentences_that_do_not_speak_of_the_question_do_not_answer_it(tiny):
    # Cardiff's passages are about other things; Wrexham's sentence on the waiting list is another council's
    question = "Why does Cardiff have a waiting list for deprivation of liberty safeguards?"
    answer = ask(tiny, question)
    assert answer.abstained
    assert answer.interpreted["reason"] == "the closest sentences do not speak of waiting list, deprivation or liberty safeguards"
    assert not ask(tiny, question, checks=False).abstained
    said = ask(tiny, "Why does Wrexham have no waiting list for deprivation of liberty safeguards?")
    assert not said.abstained and "without a waiting list" in said.citations[0].quote


def test_weak_evidence_under_the_threshold_abstains(tiny):
    strict = open_index(tiny.settings.index, tiny.settings.with_(abstain_below=9.0))
    answer = ask(strict, "How many new foster carers did Cardiff recruit?")
    assert answer.abstained and "under 9.0" in answer.interpreted["reason"]
    assert answer.interpreted["confidence"] < 9.0
    once = ask(tiny, "How many new foster carers did Cardiff recruit?", abstain_below=9.0)  # for one call only
    assert once == answer and not ask(tiny, "How many new foster carers did Cardiff recruit?").abstained


def test_checks_can_be_turned_off(tiny):
    loose = open_index(tiny.settings.index, tiny.settings.with_(answer_checks=False))
    assert not ask(loose, "How many new foster carers did Swansea recruit?").abstained
    once = ask(tiny, "How many new foster carers did Swansea recruit?", checks=False)
    assert once == ask(loose, "How many new foster carers did Swansea recruit?")
    assert ask(tiny, "How many new foster carers did Swansea recruit?").abstained


def test_sentences_per_call_match_the_setting(tiny):
    one = open_index(tiny.settings.index, tiny.settings.with_(answer_sentences=1))
    question = "How did foster carers rate the support they receive from the fostering team?"
    assert len(ask(tiny, question).citations) > 1
    assert ask(tiny, question, sentences=1) == ask(one, question) and len(ask(one, question).citations) == 1


def test_json_contract(tiny):
    d = ask(tiny, "How many new foster carers did Cardiff recruit?").to_dict()
    assert {"question", "answer", "abstained", "citations", "passages"} <= set(d)
    for c in d["citations"]:
        assert {"n", "chunk_id", "doc_id", "title", "citation", "quote", "char_start", "char_end", "page"} <= set(c)
        assert c["citation"].startswith(c["title"])
    for p in d["passages"]:
        assert {"rank", "score", "chunk_id", "doc_id", "title", "text", "citation", "char_start", "char_end", "page"} <= set(p)


def test_a_tampered_source_text_is_caught_before_an_answer_is_returned(tiny, monkeypatch):
    real = tiny.source_text

    def tampered(doc_id: str) -> str:
        return real(doc_id).replace("12 new foster carers", "21 new foster carers")

    monkeypatch.setattr(tiny, "source_text", tampered)
    with pytest.raises(CitationMismatch):
        ask(tiny, "How many new foster carers did Cardiff recruit?")


def test_filters_and_usage_errors_pass_through(tiny):
    answer = ask(tiny, "How did foster carers rate the support they receive?", filters={"authority": ["Wrexham"]})
    assert {c.hit.chunk.doc_id for c in answer.citations} == {"wrexham-letter"}
    from quarry.errors import UsageError

    with pytest.raises(UsageError):
        ask(tiny, "   ")
    with pytest.raises(UsageError):
        ask(tiny, "foster carers", k=0)


def _hit(doc: DocInfo, text: str, start: int, rank: int, heading: str = "Fostering") -> Hit:
    chunk = Chunk(f"{doc.doc_id}:{start}", doc.doc_id, None, heading, (heading,), text, start, start + len(text))
    return Hit(chunk, doc, 1.0 / rank, rank, {"bm25": rank})


def test_overlapping_windows_offer_each_sentence_once():
    text = "First sentence is here. Second sentence is here. Third sentence is here."
    doc = DocInfo("d", "d.txt", "Doc")
    a = _hit(doc, text[:48], 0, 1)  # first two sentences
    b = _hit(doc, text[24:], 24, 2)  # last two: the second is repeated
    cands = candidates_from([a, b], lambda d: text)
    spans = [(c.start, c.end) for c in cands]
    assert spans == [(0, 23), (24, 48), (49, len(text))]
    assert all(text[s:e] == c.quote for (s, e), c in zip(spans, cands))
    assert cands[1].hit is a  # the better-ranked passage holding it


def test_a_sentence_ending_with_a_colon_is_quoted_with_what_follows():
    text = "The director said:\n\n'It is evident that the report is factual and readable'.\n\nAnother paragraph starts here."
    doc = DocInfo("d", "d.txt", "Doc")
    cands = candidates_from([_hit(doc, text[:18], 0, 1)], lambda d: text)
    assert cands[0].quote == "The director said:\n\n'It is evident that the report is factual and readable'."


def test_a_short_grade_line_is_quoted_though_it_looks_like_a_heading():
    # an ILACS judgement table flattened to one line per row: the last row is as short as a heading
    text = ("Judgement Grade\nThe impact of leaders on social work practice with children and families Outstanding\n"
            "Overall effectiveness Outstanding\n\nStable leadership has created conditions for improvement.")
    doc = DocInfo("d", "d.txt", "Doc")
    quotes = [c.quote for c in candidates_from([_hit(doc, text, 0, 1)], lambda d: text)]
    assert "Overall effectiveness Outstanding" in quotes
    assert "Judgement Grade" not in quotes  # a heading that states no judgement stays a heading
    assert heading_like("Overall effectiveness Outstanding")


def test_a_line_cut_off_at_a_comma_is_never_quoted():
    # address and salutation lines of a letter, and a sentence broken at a line end, say nothing alone
    text = ("Civic Centre\nSt Peter\u2019s Square,\nDear Ms Moore,\n\nThis support ensures that,\n"
            "Children's centres offer early help to families in every locality.")
    doc = DocInfo("d", "d.txt", "Doc")
    quotes = [c.quote for c in candidates_from([_hit(doc, text, 0, 1)], lambda d: text)]
    assert quotes == ["Children's centres offer early help to families in every locality."]


def test_heading_like_lines():
    assert heading_like("Inspection of Adult Protection in Wrexham County Borough Council (December 2009)")
    assert heading_like("Annual Council Reporting Framework")
    assert not heading_like("- inspection of Community Mental Health Team with Healthcare Inspectorate Wales (HIW), 15 October 2019")
    assert not heading_like("We had 76 children coming into care in 09/10.")


def test_lexical_extras_follow_the_fused_passages():
    doc = DocInfo("d", "d.txt", "Doc")
    fused = [_hit(doc, "alpha text.", 0, 1), _hit(doc, "beta text.", 20, 2)]
    lexical = [_hit(doc, "beta text.", 20, 1), _hit(doc, "gamma text.", 40, 2)]
    merged = with_lexical_extras(fused, lexical)
    assert [h.chunk.text for h in merged] == ["alpha text.", "beta text.", "gamma text."]
    assert [h.rank for h in merged] == [1, 2, 3]


# Topic coverage (#17): the question's key terms must be in the evidence.

@pytest.mark.parametrize("question,missing", [
    ("How many new foster carers did Swansea recruit?", "Swansea"),  # a place no document names
    ("What was the council's repairs budget in 2018-19?", "repairs budget"),  # a topic no document covers
    ("How many potholes did Cardiff fill during 2018-19?", "potholes"),
])
def test_abstains_and_names_what_the_reports_do_not_mention(tiny, question, missing):
    answer = ask(tiny, question)
    assert answer.abstained and answer.citations == ()
    assert answer.answer == f"The reports do not mention {missing}."
    assert missing.split()[-1] in answer.interpreted["missing_terms"]
    assert "do not mention" in answer.interpreted["reason"]
    assert 1 <= len(answer.passages) <= 3  # the closest passages are still shown


def test_a_question_whose_topic_is_covered_is_answered_with_no_missing_terms(tiny):
    answer = ask(tiny, "How much did Cardiff spend on fostering services?")
    assert not answer.abstained
    assert answer.interpreted["missing_terms"] == [] and "fostering" in answer.interpreted["key_terms"]


def test_key_terms_leave_out_the_asking_frame_and_what_the_answer_names():
    words = lambda q, vocab=None: [k.word for k in key_terms(q, (), vocab)]
    assert words("What was the council's housing repairs budget in 2009/10?", {"hous": 3}) == ["council", "housing", "repairs", "budget"]
    # a verb-like word the index never uses frames the question ("struggling"); one it uses is a topic ("housing")
    assert words("Did Wrexham struggle to fill posts for practitioners struggling?", {"hous": 3}) == ["Wrexham", "struggle", "posts", "practitioners"]
    assert words("What was the council's housing budget?", {}) == ["council", "budget"]
    # "which bodies was it copied to": the noun asked for is the kind of answer, not a topic the evidence repeats
    assert words("Which bodies was CIW's letter to Wrexham copied to?") == ["CIW", "letter", "Wrexham"]
    assert words("What GCSE results did children achieve?") == ["GCSE", "children", "achieve"]
    # a preposition is no topic ("among" once counted as a missing word of IDF 5.5)
    assert words("What did the visit find about repeat missing episodes among children?", {"miss": 2}) == \
        ["visit", "repeat", "missing", "episodes", "children"]


def test_the_missing_share_is_idf_weighted_and_adjacent_missing_words_read_as_one_phrase():
    keys = key_terms("What was the housing repairs budget?", (), {"hous": 1})
    by = {k.word: k for k in keys}
    cov = Coverage(keys, {}, (by["housing"], by["repairs"]), (by["repairs"],), {"hous": 1.0, "repair": 3.0, "budget": 1.0})
    assert cov.missing_share == pytest.approx((1.0 + 3.0) / (1.0 + 3.0 + 1.0))
    assert cov.phrase(question="What was the housing repairs budget?") == "housing repairs"
    assert join_words(["potholes", "libraries"], "potholes and libraries") == "potholes or libraries"


# Answer selection (#17): no padding, no sentence that needs its neighbour, no letter furniture.

LETTER = """Safeguarding

The council has strengthened its safeguarding board and partners attend regularly. We will also undertake two pieces of focused activity within the local authority during the year. The details for the focus of these will be confirmed.

The council recruited 14 new social workers in 2018-19. Social workers told us they feel well supported by their managers. The council also opened a new office in the town centre.

You will note that this letter has been copied to colleagues in Audit Wales, Estyn and HIW. CIW works closely with partner inspectorates to consider the wider corporate perspective in which social services operate.
"""


@pytest.fixture(scope="module")
def letter(tmp_path_factory):
    settings = Settings(index=str(tmp_path_factory.mktemp("letter") / "index"), model="hash")
    build_from_sources([Source("newtown-letter", "newtown-letter", entry={"title": "Performance Review 2018-19: Newtown",
                                                                      "authority": "Newtown Council", "years": [2018, 2019]},
                               text=LETTER)], settings)
    return open_index(settings.index, settings)


def test_a_factoid_question_is_answered_by_the_one_sentence_that_gives_the_figure(letter):
    answer = ask(letter, "How many new social workers did the council recruit in 2018-19?")
    assert not answer.abstained
    assert [c.quote for c in answer.citations] == ["The council recruited 14 new social workers in 2018-19."]


def test_a_sentence_joins_only_when_it_adds_what_the_question_asks_about():
    from search.answer_choice import factoid
    from search.answer_scoring import Question
    from search.constraints import Specifics

    q = Question("How many social workers?", ("social", "worker"), {}, "count", Specifics())
    assert factoid(q) and factoid(replace(q, kind=None, text="Who leads the safeguarding board?"))
    assert not factoid(replace(q, kind=None, text="How is the safeguarding board working?"))


@pytest.mark.parametrize("sentence,depends", [
    ("The details for the focus of these will be confirmed.", True),
    ("This is an increase on the previous year.", True),
    ("Both of them were inspected in May.", True),
    ("These children were seen promptly.", True),  # opens with a demonstrative: refers back
    ("The council recruited 14 new social workers in 2018-19.", False),
    ("Managers review all of these cases weekly because of their risk.", False),  # "these cases": a noun follows
])
def test_context_dependent_sentences(sentence, depends):
    assert depends_on_context(sentence) is depends


def test_a_sentence_that_needs_its_neighbour_is_never_quoted_alone(letter):
    cands = candidates_from([_letter_hit(letter)], letter.source_text)
    quotes = [c.quote for c in cands]
    assert "The details for the focus of these will be confirmed." not in quotes
    assert any(q.endswith("focused activity within the local authority during the year. "
                          "The details for the focus of these will be confirmed.") for q in quotes)


@pytest.mark.parametrize("sentence", [
    "You will note that this letter has been copied to colleagues in Audit Wales, Estyn and HIW.",
    "Yours sincerely",
    "Ofsted will take the findings from this focused visit into account when planning the next inspection or visit.",
    "This letter will be published on the Ofsted website.",
    "I would like to thank the staff for their help during the visit.",
    "It assesses council children\u2019s services, and inspects services for children looked after, safeguarding and child protection.",
    "Interested in our work? You can subscribe to our monthly newsletter for more information and updates.",
    "You may reuse this information (not including logos) free of charge in any format or medium.",
])
def test_letter_furniture_is_boilerplate(sentence):
    assert boilerplate(sentence)


@pytest.mark.parametrize("sentence", [
    "Leaders have improved the quality of assessments since the last inspection.",
    "Inspectors assessed the council's services for children looked after as good.",
])
def test_findings_about_services_are_not_boilerplate(sentence):
    assert boilerplate(sentence) is None


def test_boilerplate_is_not_quoted_unless_the_question_asks_about_it(letter):
    asked = ask(letter, "Which bodies was the letter to Newtown copied to?")
    assert not asked.abstained and "copied to colleagues" in asked.citations[0].quote
    for question in ("What did CIW say about the safeguarding board and partners in Newtown?",
                     "What did CIW say about the wider corporate perspective of social services in Newtown?"):
        answer = ask(letter, question)
        assert all(boilerplate(c.quote) is None for c in answer.citations), answer.answer


def _letter_hit(searcher) -> Hit:
    chunk = next(c for c in searcher.chunks if "focused activity" in c.text)
    return Hit(chunk, searcher.doc_infos[chunk.doc_id], 1.0, 1)


def test_a_chain_of_sentences_that_refer_back_is_quoted_from_what_they_refer_to():
    from search.answer_candidates import antecedent

    texts = ["A protection plan was agreed.", "This involved referral for assessment.", "It worked well."]
    assert antecedent(texts, [False] * 3, 2) == 0 and antecedent(texts, [False] * 3, 1) == 0
    assert antecedent(texts, [False] * 3, 0) == 0
    assert antecedent(["Heading", "This involved referral.", "It worked."], [True, False, False], 2) is None
    assert not depends_on_context("This letter summarises our review of the council's performance.")


def test_a_judgement_table_is_quoted_row_by_row_and_contact_lines_are_not():
    from search.answer_candidates import table_rows

    table = ("Inspection of Dorset local authority children’s services\nInspection dates: 27 September to 8 October 2021\n"
             "Judgement Grade\nThe impact of leaders on social work practice with children and families\nOutstanding\n"
             "The experiences and progress of children who need help and protection\nGood\nOverall effectiveness Good")
    rows, tables = table_rows(table)
    assert tables == ((0, len(table)),)
    assert [table[a:b] for a, b in rows] == [
        "Inspection of Dorset local authority children’s services",
        "Inspection dates: 27 September to 8 October 2021",  # a label with its value on one line takes no other
        "The impact of leaders on social work practice with children and families\nOutstanding",
        "The experiences and progress of children who need help and protection\nGood", "Overall effectiveness Good"]
    contact = "Piccadilly Gate\nStore Street\nManchester\nM1 2WD\nT: 0300 123 1231\nW: www.gov.uk/ofsted"
    assert table_rows(contact) == ((), ())  # lines without labelled values (an address) are no table
    glossary = "Glossary\nMARAC - Multi-Agency Risk Assessment Conference\nMCA - Mental Capacity Act\nLSCB - Local Safeguarding Children Board"
    assert table_rows(glossary) == ((), ())  # each line is its own entry: a list, read as before
    prose = "Children are seen alone.\nTheir plans are reviewed.\nManagers oversee practice.\nLeaders know this."
    assert table_rows(prose) == ((), ())
    doc = "Intro sentence here is long enough.\n" + table
    hit = _hit(DocInfo("d", "d", "Dorset"), table, len("Intro sentence here is long enough.\n"), 1)
    quotes = [c.quote for c in candidates_from([hit], lambda d: doc)]
    assert "The impact of leaders on social work practice with children and families\nOutstanding" in quotes
    assert "Outstanding" not in quotes and "Judgement Grade" not in quotes
    wrapped = ("Judgement Grade\nThe impact of leaders on social work\npractice with children and families\n"
               "Requires improvement to be good\nThe experiences and progress of\nchildren in care \nGood \n"
               "Overall effectiveness Requires improvement to be good")
    rows, _ = table_rows(wrapped)  # labels wrapped over lines, and a grade of five words
    assert [" ".join(wrapped[a:b].split()) for a, b in rows] == [
        "The impact of leaders on social work practice with children and families Requires improvement to be good",
        "The experiences and progress of children in care Good", "Overall effectiveness Requires improvement to be good"]


def test_the_asked_part_leaves_out_a_scenario_before_or_after_the_question():
    from search.answer_scoring import asked_part

    assert asked_part("My nephew lives with us. Can I take him abroad?") == "Can I take him abroad?"
    assert asked_part("Can I take him abroad? (scenario: My nephew lives with us. He has a grill.)") == "Can I take him abroad?"
    assert asked_part("Can I apply? Do I need a form? (scenario: I live in Japan.)") == "Can I apply? Do I need a form?"
    assert asked_part("How many children came into care in 2009/10?") == "How many children came into care in 2009/10?"
    assert asked_part("care leavers in Wrexham") == "care leavers in Wrexham"
