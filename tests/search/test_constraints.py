"""What a question pins down (periods, months, numbers, names) and whether evidence honours it."""

from search.constraints import months_in, numbers_in, periods_in, specifics, strip_periods, unmet


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
