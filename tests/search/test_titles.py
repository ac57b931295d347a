from quarry.records import Chunk, DocInfo, Hit
from search.titles import display_title, first_heading, place_case, reader_date, sentence_case

LETTER = ("22 June 2023\n\nTheresa Leavy\nExecutive Director of People\nCounty Hall\n\nDear Ms Leavy\n\n"
          "Focused visit to Dorset children\u2019s services\n\nThis letter summarises the findings of the visit.")
INSPECTION = (" \n \nInspection of Dorset local authority \nchildren\u2019s services  \n"
              "Inspection dates: 27 September to 8 October 2021 \n")
RUN_ON = "9 May 2022\nDear Mr Marks\n\nFocused visit to Southend-on-Sea Borough Council children\u2019s services This letter summarises it."


def inferred(title: str, published: str | None = "2023-06-22") -> DocInfo:
    return DocInfo("d", "d.txt", title, authority="Dorset", published=published, inferred=("title", "authority"))


def test_file_name_titles_become_the_documents_own_heading_with_its_date():
    assert display_title(inferred("children's services focused visit - 22 june 2023"), LETTER) == \
        "Focused visit to Dorset children\u2019s services, 22 June 2023"
    assert first_heading(INSPECTION, "children's services inspection - 19 november 2021") == \
        "Inspection of Dorset local authority children\u2019s services"
    assert first_heading(RUN_ON, "children's services focused visit - 09 may 2022") == \
        "Focused visit to Southend-on-Sea Borough Council children\u2019s services"


def test_an_address_line_sharing_two_words_is_not_the_title():
    text = "Director of Children\u2019s Services\nCounty Hall\n\nDear Ms X\n\nWe visited."
    assert first_heading(text, "children's services focused visit - 09 may 2018") is None
    assert display_title(inferred("children's services focused visit - 09 may 2018"), text) == \
        "Children's services focused visit \u2013 9 May 2018"


def test_catalogued_titles_are_kept():
    info = DocInfo("d", "d.txt", "Social Services Annual Report 2009/10", inferred=())
    assert display_title(info, LETTER) == "Social Services Annual Report 2009/10"


def test_reader_forms_of_dates_and_places():
    assert reader_date("2021-12-08") == "8 December 2021" and reader_date(None) is None and reader_date("2021") is None
    assert sentence_case("children's services focused visit - 08 december 2021") == \
        "Children's services focused visit \u2013 8 December 2021"
    assert place_case("Richmond Upon Thames") == "Richmond upon Thames"
    assert place_case("Southend-On-Sea") == "Southend-on-Sea"
    assert place_case("Hammersmith & Fulham") == "Hammersmith and Fulham"
    assert place_case("Isle of Wight") == "Isle of Wight"


def test_citations_use_the_display_title_and_drop_the_repeated_authority():
    from dataclasses import replace

    from search.titles import display_info

    info = inferred("children's services focused visit - 22 june 2023")
    chunk = Chunk("c", "d", "1", "Headline findings", ("Headline findings",), "x", 0, 1, 2, 2)
    hit = Hit(chunk, display_info(info, LETTER), 1.0, 1)
    assert hit.citation == "Focused visit to Dorset children\u2019s services, 22 June 2023, \u00a7Headline findings, p. 2"
    assert Hit(chunk, replace(info), 1.0, 1).citation.startswith("children's services focused visit - 22 june 2023, Dorset")
