from indexer.normalise import normalise
from indexer.sections import classify, detect_sections
from tests.conftest import CORPUS, SEEDS


def sections_of(name):
    text = normalise([(CORPUS / f"{SEEDS[name]}.txt").read_text(encoding="utf-8")]).text
    return text, detect_sections(SEEDS[name], text)


def test_annual_report_numbered_headings_and_paths():
    _, sections = sections_of("annual_report")
    by_number = {s.number: s for s in sections if s.number}
    assert by_number["3.4.2"].title == "Fostering and Adoption"
    assert by_number["3.4.2"].heading_path[-2:] == ("3.4 Corporate Parenting", "3.4.2 Fostering and Adoption")
    assert by_number["3.4.2"].heading_path[0].startswith("3 REVIEW OF SAFEGUARDING")
    assert by_number["4.10"].title.startswith("Services for People with Physical, Sensory")
    assert any(s.heading_path and s.heading_path[0].startswith("5 REVIEW OF SOCIAL SERVICES") for s in sections)


def test_contents_table_is_not_a_body_section():
    text, sections = sections_of("annual_report")
    contents = [s for s in sections if s.kind == "contents"]
    assert len(contents) == 1
    assert "Introduction\t1" in text[contents[0].char_start:contents[0].char_end]
    assert all("Introduction\t1" not in text[s.char_start:s.char_end] for s in sections if s.kind != "contents")


def test_acronym_list_detected():
    text, sections = sections_of("annual_report")
    (acronyms,) = [s for s in sections if s.kind == "acronyms"]
    assert "MARAC\t-\tMulti-Agency Risk Assessment Conference" in text[acronyms.char_start:acronyms.char_end]


def test_restarted_numbering_nests_inside_its_section():
    _, sections = sections_of("annual_report")
    (localisation,) = [s for s in sections if s.title == "Localisation"]
    assert localisation.heading_path[-2:] == ("6.2 Adult Social Care", "2 Localisation")


def test_letter_title_lines_and_bullet_headings():
    _, wrexham = sections_of("letter_wrexham")
    titles = [s.title for s in wrexham]
    for name in ("Well-being", "People", "Prevention", "Partnerships", "CIW Performance Review Plan for 2020-2021"):
        assert name in titles
    _, cardiff = sections_of("letter_cardiff")
    people = next(s for s in cardiff if s.title == "People")  # from the bullet line "- People"
    assert people.heading_path[0].startswith("Summary of strengths")
    assert cardiff[-1].kind == "closing"


def test_sections_do_not_overlap_and_stay_in_order():
    for name in SEEDS:
        _, sections = sections_of(name)
        for a, b in zip(sections, sections[1:]):
            assert a.char_end <= b.char_start


def test_classify_rejects_sentences_salutations_and_addresses():
    assert classify("3. During 2009/10 we spent £58.61 million on Social Services in Wrexham.", True, "x " * 10) is None
    assert classify("Dear Alwyn Jones,", True, "x " * 10) is None
    assert classify("Source: NYAS Event July 2009", True, "x " * 10) is None
    assert classify("Well-being", False, "x " * 10) is None  # not a paragraph of its own
    assert classify("3.4.2 Fostering and Adoption", True, "The annual CSSIW inspection").number == "3.4.2"


def test_markdown_and_inspection_report_headings():
    text = normalise(["Intro paragraph of the report, which runs on for a good few words.\n\n"
                      "What needs to improve?\n\nOversight of arrangements when care leavers move in and out of accommodation.\n\n"
                      "The experiences and progress of children in care: good\n\nChildren in care live in stable homes with carers who know them.\n\n"
                      "## Annex: data\n\nTables of figures follow here in the annex."]).text
    titles = [s.title for s in detect_sections("d", text)]
    assert titles == ["", "What needs to improve?", "The experiences and progress of children in care: good", "Annex: data"]
    assert classify("Source: Welsh Government statistics: note", True, "x " * 10) is None
    assert classify("Why does this matter to families in Wrexham and what should the council do about it now?", True, "x " * 10) is None


# the head of an Ofsted inspection report (../shared/datasets/ofsted), as the normaliser leaves it
GRADE_TABLE = (
    "Inspection of Dorset local authority children's services\n"
    "Inspection dates: 27 September to 8 October 2021\n"
    "Lead inspector: Steve Lowe, Her Majesty's Inspector\n"
    "Judgement Grade\n"
    "The impact of leaders on social work practice with children and families\n"
    "Outstanding\n"
    "The experiences and progress of children who need help and protection\n"
    "Good\n"
    "Overall effectiveness Good\n\n"
    "Services for children and families in Dorset are of good quality and are continuing to\n"
    "improve. The senior leadership team is an impressive and successful force for change.\n\n"
    "What needs to improve?\n\n"
    "Oversight of arrangements when care leavers move in and out of emergency accommodation.\n\n"
    "Ofsted\nPiccadilly Gate\nStore Street\nManchester\n"
)


def test_a_paragraph_of_short_label_lines_is_a_table_section_of_its_own():
    sections = detect_sections("d", GRADE_TABLE)
    tables = [GRADE_TABLE[s.char_start:s.char_end] for s in sections if s.kind == "table"]
    (table,) = tables  # the address block at the end is too small to stand alone
    assert table.startswith("Inspection of Dorset") and table.endswith("Overall effectiveness Good")
    (prose,) = [s for s in sections if s.kind == "preamble"]
    assert GRADE_TABLE[prose.char_start:prose.char_end].startswith("Services for children")


def test_prose_or_a_list_is_never_a_table():
    wrapped = "The council has\nimproved its\nservices for\nchildren in care.\n\nNext paragraph here."
    bullets = "- one thing\n- another thing\n- a third thing\n- a fourth thing\n"
    lead_in = "Leaders know:\nwhat works\nwhat does not\nwhere to go next\nand why\n"
    for text in (wrapped, bullets):
        assert all(s.kind != "table" for s in detect_sections("d", text))
    # a table must be a whole paragraph: the lead-in line ends with ':' so this one is not
    assert all(s.kind != "table" for s in detect_sections("d", lead_in))
