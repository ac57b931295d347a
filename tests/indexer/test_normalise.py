from indexer.normalise import clean, normalise
from tests.conftest import CORPUS, SEEDS


def test_sentence_split_across_a_page_break_is_rejoined():
    raw = (CORPUS / f"{SEEDS['annual_report']}.txt").read_text(encoding="utf-8")
    assert "47% more assessments were completed\n\ncompared with 2008/09" in raw
    assert "47% more assessments were completed compared with 2008/09" in normalise([raw]).text


def test_finished_sentences_and_headings_are_not_joined():
    text = normalise(["The year ended well.\n\nthe next paragraph", "Short heading\n\nlower start"]).text
    assert "well.\n\nthe next" in text
    assert "Short heading\n\nlower start" in text


def test_page_marks_follow_pages():
    norm = normalise(["First page text here.", "Second page text here."])
    second = norm.text.index("Second")
    assert norm.page_at(0) == 1 and norm.page_at(second) == 2
    assert normalise(["one page only"]).page_at(0) is None


def test_clean_drops_control_characters_and_nbsp():
    assert clean("a\u00a0b\x07c\r\nd  \n") == "a bc\nd\n"
