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


def test_search_ask_and_filters_show_display_titles_but_the_index_keeps_the_file_name(tmp_path):
    from indexer.build import build_index
    from quarry.settings import Settings
    from search import open_index
    from ui import handlers

    corpus = tmp_path / "corpus" / "80453_york"
    corpus.mkdir(parents=True)
    (corpus / "children's services focused visit - 09 august 2019.txt").write_text(
        "9 August 2019\n\nDear Amanda\n\nFocused visit to York local authority children\u2019s services\n\n"
        "Main findings\n\nThe front door responds quickly to contacts from the police.\n", encoding="utf-8")
    (tmp_path / "corpus" / "other.txt").write_text("Budget Report\n\nThe budget was reviewed in 2019.\n", encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"), model="hash")
    build_index([tmp_path / "corpus"], settings)
    searcher = open_index(settings.index, settings)
    doc = next(d for d in searcher.doc_infos.values() if "focused" in d.title)
    assert doc.title == "children's services focused visit - 09 august 2019"  # what is embedded and indexed
    shown = "Focused visit to York local authority children\u2019s services, 9 August 2019"
    body = handlers.search_json(searcher, handlers.SearchRequest("front door police", "bm25", 1))
    assert body["hits"][0]["title"] == shown and body["hits"][0]["citation"].startswith(shown + ", Main findings")
    answer = handlers._answer(searcher, handlers.SearchRequest("How quickly does the front door respond to the police?", "hybrid", 5))
    assert all(c.hit.doc.title == shown for c in answer.citations if c.hit.chunk.doc_id == doc.doc_id)
    assert all(h.doc.title == shown for h in answer.passages if h.chunk.doc_id == doc.doc_id)
    assert (shown, doc.doc_id) in handlers.filter_choices(searcher).documents
