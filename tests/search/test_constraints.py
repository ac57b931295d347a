"""What a question pins down (periods, months, numbers, names) and whether evidence honours it."""

from search.constraints import another_time, months_in, numbers_in, periods_in, specifics, strip_periods, unmet


def test_periods():
    assert periods_in("in 2009/10 and 08/09") == [frozenset({2009, 2010}), frozenset({2008, 2009})]
    assert periods_in("2019-20, 2018-2019 and 2011") == [frozenset({2019, 2020}), frozenset({2018, 2019}), frozenset({2011})]
    assert periods_in("1999/00") == [frozenset({1999, 2000})]
    assert periods_in("58.61 million, 10,000 people") == []
    assert strip_periods("spent in 2009/10?") == "spent in  ?"


def test_numbers_and_months():
    assert numbers_in("3.01 per 1000 population aged 75, 10,000 in 2019-20 on the 31st") == {"3.01", "1000", "75", "10000", "31"}
    assert months_in("In March 2019 people may wait") == {"march"}  # "may" the verb is not a month


def test_specifics_of_a_question():
    spec = specifics("How many children were looked after by Wrexham County Borough Council at 31 March 2020?")
    assert spec.periods == (frozenset({2020}),)
    assert spec.months == ("march",)
    assert spec.numbers == ("31",)
    assert "wrexham" in spec.names and "how" not in spec.names


def test_a_text_naming_only_other_years_is_about_another_time():
    spec = specifics("How did Ofsted judge help and protection (report published 21 August 2024)?")
    assert another_time(spec, "At the last inspection in 2019, it was judged to require improvement.")
    assert not another_time(spec, "Since 2019 help has improved; in 2024 it is good.")  # the asked year is named too
    assert not another_time(spec, "Help and protection: good")  # no year at all
    assert not another_time(specifics("How is help and protection judged?"), "In 2019 it was judged good.")  # none asked
    assert another_time(specifics("How many in 2009/10?"), "There were 50 in 08/09.")
    assert not another_time(specifics("How many in 2009/10?"), "There were 76 in 09/10.")


def test_unmet():
    spec = specifics("What was the caseload in Cardiff in March 2019?")
    context = "The average caseload increased to 19.5 in December 2018."
    assert unmet(spec, context, years=(2018, 2019), known_terms={"cardiff"}, doc_terms={"cardiff"}) == ["march"]
    assert unmet(spec, context.replace("December 2018", "March 2019"), years=(2018, 2019), known_terms={"cardiff"},
                 doc_terms={"cardiff"}) == []
    # a period outside the document's years and not in the sentence
    spec = specifics("What was the budget in 2010/11?")
    assert unmet(spec, "The budget was £47.66m.", years=(2009, 2010)) == ["2010/2011"]
    assert unmet(spec, "The budget for 2010/11 is £47m.", years=(2009, 2010)) == []
    # a place the index has never seen, and another council's evidence
    spec = specifics("What did CIW say about Swansea and Cardiff?")
    assert unmet(spec, "CIW said so.", known_terms={"ciw", "cardiff"}, authority_terms=frozenset({"cardiff", "wrexham"}),
                 doc_terms={"wrexham"}) == ["Swansea", "Cardiff"]


def test_unmet_names_are_shown_as_the_question_wrote_them():
    spec = specifics("What is the budget of the Welsh Ambulance Service?")
    assert "ambul" in spec.names and spec.word("ambul") == "Ambulance"
    assert unmet(spec, "The budget was £47.66m.", known_terms={"welsh", "servic", "budget"}) == ["Ambulance"]
    assert specifics("Did Wrexham's panel meet?").word("wrexham") == "Wrexham"


def test_a_whole_date_the_question_names_is_met_by_a_document_published_that_day():
    spec = specifics("How did Ofsted judge leaders in Dorset (report published 01 april 2022)?")
    assert spec.dates == ("2022-04-01",) and spec.numbers == ("01",)
    assert specifics("What happened on 19 November 2021?").dates == ("2021-11-19",)
    sentence = "Leaders are good."  # says nothing of the date itself
    assert unmet(spec, sentence, (2022,), published="2022-04-01") == []
    assert unmet(spec, sentence, (2022,), published="2022-04-02") == ["01"]  # another report of that authority
    assert unmet(spec, sentence, (2022,)) == ["01"]
    # a month or a day alone is not a date: the document's date does not stand in for it
    assert unmet(specifics("How many referrals were there in April 2022?"), sentence, (2022,), published="2022-04-01") == ["april"]


def test_a_reports_month_is_met_by_a_document_published_in_it():
    spec = specifics("In the August 2025 focused visit on placement decisions, what game did the group develop?")
    assert spec.month_years == ("2025-08",)
    sentence = "The group has been developing the game."  # the visit's letter says nothing of August
    assert unmet(spec, sentence, (2025,), published="2025-08-28") == []
    assert unmet(spec, sentence, (2025,), published="2025-09-01") == []  # the visit's letter, published weeks later
    assert unmet(spec, sentence, (2025,), published="2025-12-15") == ["august"]  # a later visit's letter
    assert unmet(spec, sentence, (2025,), published="2025-07-30") == ["august"]  # an earlier one's
    visited = specifics("What share of Bromley's workforce was permanent when Ofsted visited in September 2021?")
    assert visited.month_years == ("2021-09",)
    assert unmet(visited, "Bromley is staffed by a high percentage of permanent staff.", (2021,), published="2021-10-28") == []
    assert specifics("What did the report published in May 2023 say?").month_years == ("2023-05",)
    assert specifics("How many referrals were there in April 2022?").month_years == ()  # a period of figures


def test_a_document_published_on_the_date_asked_covers_the_dates_words():
    from quarry.records import DocInfo
    from search.answer_scoring import Question, document_terms

    q = Question("how did ofsted judge leaders (report published 01 april 2022)", ("judg", "leader", "01", "april", "2022"),
                 {}, None, specifics("How did Ofsted judge leaders (report published 01 april 2022)?"))
    doc = DocInfo("d", "d.txt", "Inspection of Dorset children's services", published="2022-04-01")
    assert {"01", "april", "2022", "inspect", "dorset"} <= document_terms(q, doc)
    other = DocInfo("e", "e.txt", "Inspection of Dorset children's services", published="2022-04-02")
    assert not {"01", "april"} & document_terms(q, other)  # another day's report does not cover the date


def test_a_reports_year_is_met_only_by_a_report_of_that_year():
    spec = specifics("What did the 2018 focused visit to Barnsley find?")
    assert spec.report_years == (2018,)
    # a 2024 letter that mentions the last inspection in 2018 is not the 2018 visit's letter
    sentence = "Workforce challenges since Barnsley's last inspection in 2018 have weakened practice."
    assert unmet(spec, sentence, (2024,), published="2024-12-05") == ["a report of 2018"]
    assert unmet(spec, sentence, (2018,), published="2018-06-01") == []
    # a visit late in the year is reported early in the next; later than REPORT_LAG_MONTHS it is another report
    assert unmet(spec, "The visit found ...", (2019,), published="2019-01-20") == []
    assert unmet(spec, "The visit found ...", (2019,), published="2019-06-20") == ["a report of 2018"]
    assert specifics("What did Ofsted's 2023 front door visit find?").report_years == (2023,)
    assert specifics("In the August 2025 focused visit, what did children say?").report_years == ()  # a month: month_years
    assert specifics("How many children in 2019 were referred?").report_years == ()  # a year of figures
    assert specifics("What did the 2019-20 performance letter say?").report_years == ()  # a period: its own check


def test_an_age_turned_is_no_number_the_evidence_must_repeat():
    assert specifics("How many care leavers still lived with foster carers after turning 18?").numbers == ()
    assert specifics("Who was supported after their 18th birthday?").numbers == ()
    assert specifics("How many 16- and 17-year-olds presented as homeless?").numbers == ("16", "17")  # who is meant


def test_a_visit_named_by_when_it_took_place():
    assert specifics("When Ofsted visited Rutland in March 2019, how long did assessments take?").month_years == ("2019-03",)
    assert specifics("Why had nothing improved by the time Ofsted returned in April 2022?").month_years == ("2022-04",)
    assert specifics("What did Ofsted find when it looked at its services for children in care in September 2022?").month_years == ("2022-09",)
