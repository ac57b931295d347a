"""Which kind of answer a question asks for, and whether a sentence gives it."""

import pytest

from search.answer_types import (acronym_asked, asks_average, counted, figure_subject, has_figure, measured, question_type,
                                 role_asked, spent_on)


@pytest.mark.parametrize("question,kind", [
    ("How many children came into care in 2009/10?", "count"),
    ("What was the average social worker caseload in December 2018?", "count"),
    ("What proportion of cases were allocated?", "percent"),
    ("What was the re-referral rate in 2009/10?", "percent"),
    ("What was Wrexham's rate of looked after children?", "percent"),
    ("How did foster carers rate the support?", "rating"),  # "rate" the verb: a judgement, not a percentage
    ("What was wrong with its rating system?", None),  # a rating system is asked about, not a rating
    ("How much did Wrexham spend on social services?", "money"),
    ("What was the budget for adult social care?", "money"),
    ("How did the Executive Board respond to the overspend?", None),
    ("When did CIW hold its improvement conference?", "date"),
    ("How long has the LSCB been running?", "duration"),
    ("What does MARAC stand for?", "definition"),
    ("What is JICPA?", "definition"),
    ("What does transition mean in adult social care?", None),  # not an acronym
    ("What did CIW say about the culture?", None),
])
def test_question_type(question, kind):
    assert question_type(question) == kind


def test_the_thing_counted_and_the_acronym_asked():
    assert counted("How many new foster carers did Cardiff recruit?") == "carers"
    assert counted("How many children were looked after?") == "children"
    assert counted("How many pieces of focused activity will CIW carry out?") == "pieces"
    # a possessive qualifies the thing counted ("children's homes" counts homes, not children)
    assert counted("How many children's homes does Cardiff run?") == "homes"
    assert counted("How many people\u2019s assessments were completed?") == "assessments"
    # "the average / total X of ..." counts X
    assert counted("What was the average caseload of Wrexham's adult social workers in 2009/10?") == "caseload"
    assert counted("What was the average number of days taken?") == "days"
    assert acronym_asked("What does IFSS stand for?") == "IFSS"
    assert acronym_asked("What did CIW say?") is None


@pytest.mark.parametrize("question,subject", [
    ("What was the staff sickness absence rate in Cardiff's social services in 2018-19?", "staff sickness absence"),
    ("What was Cardiff's unemployment rate in 2018-19?", "unemployment"),  # the owner is not what is measured
    ("What was the vacancy rate for children's social workers in Wrexham?", "vacancy"),
    ("What proportion of children in need cases were allocated to a social worker?", "children"),
    ("What percentage of referrals led to an investigation?", "referrals"),
    ("What is the rate?", None),
    ("Did the rate rise?", None),
    ("Do we note the payments below the official rate in a normal way?", None),  # asks no rate
])
def test_what_a_percentage_measures(question, subject):
    assert measured(question) == subject


def test_the_subject_of_a_figure_question():
    assert figure_subject("How many new foster carers did Cardiff recruit?", "count") == "carers"
    assert figure_subject("What was Cardiff's unemployment rate?", "percent") == "unemployment"
    assert figure_subject("How much did Cardiff spend?", "money") is None


@pytest.mark.parametrize("sentence,expected", [
    ("We had 76 children coming into care in 09/10.", True),
    ("The scheme is to be rolled out to a further eight wards.", True),
    ("3. During 2009/10 we spent £58.61 million on Social Services.", False),  # list number, money
    ("The inspection took place on 15 and 16 October 2019.", False),  # dates
    ("Performance improved in 2019.", False),  # a year
    ("Sickness absence was 6.47%.", False),  # a percentage
    ("The response to the needs of 16 and 17 year-old homeless young people.", False),  # ages
    ("Support for young people aged 16 to 18 improved.", False),
    ("Support for 40 young people aged 16 to 18 improved.", True),  # a count beside an age
])
def test_counts(sentence, expected):
    assert has_figure(sentence, "count") is expected


def test_a_count_must_stand_by_the_thing_counted():
    sentence = "Six inspections took place, and the panel met the new foster carers recruited this year."
    assert has_figure(sentence, "count")
    assert not has_figure(sentence, "count", {"carer"})  # "six" is 11 words from "carers"
    assert has_figure("The council recruited 12 new foster carers.", "count", {"carer"})


@pytest.mark.parametrize("kind,sentence,expected", [
    ("percent", "Re-referral rates were 49.7% for the year.", True),
    ("percent", "A low number of looked after children per 10,000 population.", False),  # no figure
    ("percent", "Delayed transfers improved from 3.01 per 1000 population.", True),
    ("money", "We spent £58.61 million on Social Services.", True),
    ("money", "An overspend of £213k.", True),
    ("money", "Spending was higher than planned.", False),
    ("date", "The meeting was held on 17th April 2019.", True),
    ("date", "People may deteriorate without help.", False),  # "may" is not May
    ("duration", "Within 10 days of receiving your application.", True),
    ("duration", "The board has had nearly four years experience.", True),
    ("definition", "Agreement (MAPPA) and the Multi-Agency Risk Assessment Conference (MARAC).", True),
    ("definition", "MARAC meetings are held monthly.", False),
])
def test_figures(kind, sentence, expected):
    acronym = "MARAC" if kind == "definition" else None
    assert has_figure(sentence, kind, acronym=acronym) is expected


@pytest.mark.parametrize("question", [
    "How did Ofsted judge the impact of leaders on social work practice (report published 19 november 2021)?",
    "What overall effectiveness judgement did Ofsted give Dorset children's services?",
    "How was the fostering service rated?",
])
def test_judgement_questions_ask_for_a_rating(question):
    assert question_type(question) == "rating"


@pytest.mark.parametrize("sentence, expected", [
    ("The impact of leaders on social work practice with children and families\nOutstanding", True),  # a table row
    ("Overall effectiveness Good", True),
    ("In 2018, Wakefield was judged inadequate across all areas.", False),  # in passing: often an earlier inspection
    ("Overall, the service was judged to be good.", True),
    ("Services for care leavers are good.", True),
    ("Leaders have a good understanding of practice.", False),  # "good" describing, not a judgement
    ("Most children in care live in stable placements.", False),
])
def test_a_rating_is_a_grade_given_as_the_judgement(sentence, expected):
    assert has_figure(sentence, "rating") is expected


def test_a_judgement_is_required_when_a_stated_one_scores_near_the_best():
    from types import SimpleNamespace

    from search.answer_choice import RUNNER_UP_MARGIN, judgement_required

    best = SimpleNamespace(figure=False, score=1.0)
    near = SimpleNamespace(figure=True, score=1.0 - RUNNER_UP_MARGIN + 0.05)  # 0.75: within 0.3 of the best
    far = SimpleNamespace(figure=True, score=1.0 - RUNNER_UP_MARGIN - 0.05)  # 0.65: another part's grade
    assert judgement_required("rating", [best, near])
    assert not judgement_required("rating", [best, far])
    assert not judgement_required("rating", [best])  # none stated: any sentence may answer
    assert not judgement_required("cause", [best, near])  # only judgement questions
    assert not judgement_required("rating", [])


@pytest.mark.parametrize("question,role", [
    ("Who chaired Wrexham's Executive Board in 2009/10?", "chaired"),
    ("Who was Cardiff's Director of Social Services in 2018-19?", "Director"),
    ("Who was the lead inspector for the Barnsley visit?", "inspector"),
    ("Who is commissioned to provide services for young carers?", "commissioned"),
])
def test_who_questions_ask_for_a_name_in_a_role(question, role):
    assert question_type(question) == "name"
    assert role_asked(question) == role


@pytest.mark.parametrize("question", ["Who do I contact about repairs?", "Who can apply for a blue badge?",
                                      "Who should I send my appeal to?"])
def test_who_asks_for_an_office_to_contact_is_no_name_question(question):
    assert question_type(question) is None


def test_a_name_is_a_capitalised_word_the_question_does_not_hold():
    asked = {"commiss", "provid", "servic", "young", "carer"}
    assert has_figure("Wrexham commissions services for young carers from 'Action for Children'.", "name", asked)
    assert has_figure("The letter was signed by Jan Edwards, lead inspector.", "name", {"lead", "inspector"})
    asked = {"cardiff", "director", "social", "servic"}
    assert not has_figure("There is good corporate support for social services in Cardiff.", "name", asked)
    assert not has_figure("The Director of Social Services left in March.", "name", asked)  # the question's own words
    assert not has_figure("Changes were made. The team grew.", "name", asked)  # capitalised only to open a sentence


def test_a_count_is_a_whole_number_unless_an_average_is_asked():
    sentence = "The average social worker caseload increased to 19.5 in December 2018."
    assert not has_figure(sentence, "count", {"worker"})  # "How many social workers ...": 19.5 counts no workers
    assert has_figure(sentence, "count", {"worker"}, averaged=True)
    assert has_figure("The team has 12.5 FTE social workers.", "count", {"worker"})  # full-time equivalents
    assert asks_average("What was the average social worker caseload?")
    assert not asks_average("How many social workers did Cardiff employ?")


def test_the_subject_of_a_sum_of_money():
    assert spent_on("How much did Wrexham spend on respite care in 2009/10?") == "respite care"
    assert figure_subject("How much did Wrexham spend on social services in total?", "money") == "social services"
    assert spent_on("What was the cost of agency staff for the council?") == "agency staff"
    assert spent_on("How big was the overspend?") is None


def test_what_happened_to_the_things_counted_is_part_of_the_subject():
    assert figure_subject("How many children were adopted in Wrexham during 2019-20?", "count") == "children adopted"
    assert figure_subject("How many adult protection referrals were made in 2009/10?", "count") == "referrals"
    assert figure_subject("How many more wards is the scheme being rolled out to?", "count") == "wards rolled"


@pytest.mark.parametrize("question,role", [
    ("What was the name of the Wrexham Council chief executive who led the projects?", "executive"),
    ("Which CIW inspectors carried out the September 2019 focused activity?", "inspectors"),
])
def test_asking_the_name_of_someone_or_which_people_did_something_asks_for_a_name(question, role):
    assert question_type(question) == "name"
    assert role_asked(question) == role


@pytest.mark.parametrize("question", ["Which services were inspected?", "Which local authority piloted it?"])
def test_which_of_things_asks_for_no_name(question):
    assert question_type(question) != "name"


def test_how_often_asks_for_a_frequency_or_a_rate():
    assert question_type("How often does the Accelerated Improvement Board meet?") == "frequency"
    assert has_figure("The board meets every six weeks.", "frequency")
    assert has_figure("Panels meet twice a month.", "frequency")
    assert has_figure("Sickness absence was 6.47%.", "frequency")  # "How often were staff off ill?"
    assert not has_figure("It is positive to note that in October 2019 a board was established.", "frequency")


def test_what_the_things_counted_have_is_part_of_the_subject():
    assert figure_subject("How many people with dementia did Wrexham support?", "count") == "people dementia"


def test_which_days_asks_for_a_day_of_the_month():
    assert question_type("On exactly which days in April 2019 did CIW visit?") == "day"
    assert not has_figure("Focused activity undertaken during April 2019.", "day")
    assert has_figure("The visit took place on 15 and 16 October 2019.", "day")


@pytest.mark.parametrize("question,kind", [
    ("What numbers of new recruits did Ofsted report?", "count"),
    ("What was the number of referrals in 2009/10?", "count"),
    ("Why were a small number of children not getting a good enough service?", "cause"),  # no count asked
])
def test_a_count_is_asked_by_how_many_or_what_number_not_by_a_number_of(question, kind):
    assert question_type(question) == kind


def test_a_number_the_question_gives_is_no_count_that_answers_it():
    from search.answer_scoring import Question, figure_test
    from search.constraints import specifics

    text = "How many children in care were waiting for a dental check because of COVID-19?"
    gives = figure_test(Question(text, ("children",), {}, "count", specifics(text)))
    assert not gives("Most children made progress during the COVID- 19 pandemic.")
    assert gives("At the time of the visit, 23 children were waiting for a dental check.")
    text = "How many of the 142 children looked after were with the council's own foster carers?"
    gives = figure_test(Question(text, ("children",), {}, "count", specifics(text)))
    assert not gives("There were 142 children looked after at March 31st 2010.")


def test_a_count_of_a_measure_may_have_decimals():
    assert asks_average("How many weeks did older people wait for commissioned services?")
    assert has_figure("The average wait is currently 3.5 weeks.", "count", {"week"}, averaged=True)
