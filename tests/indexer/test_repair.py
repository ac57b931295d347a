"""PDF text repair on hand-made pages: hard wraps, hyphenation, running headers, bullets, headings."""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.repair import drop_furniture, drop_furniture_unpaged, join_hyphenated, looks_hard_wrapped, repair
from tests.conftest import CORPUS

BODY = [
    "Social workers know children well and ensure that, for most children, their views help",
    "inform plans for their future. Children make progress in care and are supported to do",
    "well in school and enjoy their childhood. Most children benefit from stable and well-",
    "matched placements which meet their needs. The quality of the assess-",
    "ment is good.",
]


def test_hard_wrapped_lines_become_one_paragraph():
    (page,) = repair(["\n".join(BODY)])
    assert "\n" not in page
    assert page.startswith("Social workers know children well and ensure that, for most children, their views help inform plans")


def test_line_end_hyphens_keep_real_compounds_and_join_broken_words():
    (page,) = repair(["\n".join(BODY)])
    assert "stable and well-matched placements" in page  # "well-" + "matched": both words, the hyphen is real
    assert "quality of the assessment is good." in page  # "ment" is only a word ending


def test_hyphen_decided_by_the_document_itself():
    seen = Counter({"decision-making": 2, "wellbeing": 1})
    assert join_hyphenated("decision", "making", seen) is False
    assert join_hyphenated("well", "being", seen) is True
    assert join_hyphenated("chil", "dren", Counter()) is False  # no evidence: keep the text as printed
    assert join_hyphenated("chil", "dren", Counter({"children": 3})) is True


def test_headings_bullets_and_numbered_paragraphs_stay_on_their_own_lines():
    text = "\n".join([
        "This letter summarises the findings of the focused visit to the local authority in June.",
        "Headline findings",
        "Most children in care benefit from living with settled carers who meet their needs and",
        "who help them to thrive.",
        "What needs to improve:",
        "◼ Improve placement sufficiency for children to negate the use of unregistered",
        "settings",
        "◼ Statutory reviews when children experience unplanned placement breakdowns.",
        "1. Children receive the help that they need at the right time. Families benefit from",
        "a broad range of early help services.",
        "2. The front door provides a calm, well-organised service.",
    ])
    paragraphs = repair([text])[0].split("\n\n")
    assert "Headline findings" in paragraphs
    assert "◼ Improve placement sufficiency for children to negate the use of unregistered settings" in paragraphs
    assert "◼ Statutory reviews when children experience unplanned placement breakdowns." in paragraphs
    assert "1. Children receive the help that they need at the right time. Families benefit from a broad range of early help services." in paragraphs
    assert paragraphs[-1] == "2. The front door provides a calm, well-organised service."


def test_address_block_keeps_its_lines():
    text = "Ofsted\nPiccadilly Gate\nStore Street\nManchester\nM1 2WD\n\nDear Ms Harrison\nThis letter summarises the findings of the focused visit to Birmingham children's services."
    page = repair([text])[0]
    assert page.startswith("Ofsted\nPiccadilly Gate\nStore Street\nManchester\nM1 2WD\n\nDear Ms Harrison\n\n")


WORDS = "apple birch cedar daisy elder fern gorse heather iris juniper kale laurel maple nettle oak pine quince rose sage thyme ulex vetch willow yarrow zinnia alder beech clover dock elm fig hazel ivy larch moss nut olive poppy rush sorrel teasel".split()


def _pages(n: int) -> list[list[str]]:
    pages = []
    for p in range(1, n + 1):
        header = [] if p == 1 else ["Inspection of Dorset local authority children's services", f"27 September to 8 October 2021 {p}"]
        body = [f"Body text {WORDS[(p * 8 + i) % len(WORDS)]} of page {p}." for i in range(8)]
        pages.append(header + body + ["© Crown copyright 2021", str(p)])
    return pages


def test_running_headers_footers_and_page_numbers_are_dropped():
    pages = drop_furniture(_pages(5))
    for p, lines in enumerate(pages, start=1):
        assert lines == [f"Body text {WORDS[(p * 8 + i) % len(WORDS)]} of page {p}." for i in range(8)]


def test_a_title_on_page_one_that_reads_like_the_header_is_kept():
    pages = _pages(4)
    pages[0].insert(0, "Inspection of Dorset local authority children's services")
    assert drop_furniture(pages)[0][0] == "Inspection of Dorset local authority children's services"


def test_furniture_without_page_breaks():
    lines = [ln for page in _pages(5) for ln in page]
    for at in (5, 20, 35):  # a grade repeated in the text is not furniture
        lines.insert(at, "Good")
    kept = drop_furniture_unpaged(lines)
    assert kept.count("Good") == 3
    assert not any(ln.startswith("27 September to 8 October 2021") for ln in kept)
    assert not any(ln.strip().isdigit() for ln in kept)
    assert sum(ln.startswith("Body text") for ln in kept) == 40


def test_seed_corpus_is_not_mistaken_for_hard_wrapped_text():
    for path in CORPUS.glob("*.txt"):
        assert not looks_hard_wrapped(path.read_text(encoding="utf-8")), path.name
    assert looks_hard_wrapped("\n".join(BODY * 4))


def _subsequence(small: str, big: str) -> bool:
    it = iter(big)
    return all(ch in it for ch in small)


@settings(max_examples=200, deadline=None)
@given(pages=st.lists(st.text(alphabet=st.sampled_from(list("ab Ab.-,:\n\n\n1◼•\uf0b7 ")), max_size=400), min_size=1, max_size=5))
def test_repair_only_removes_and_joins_never_invents_text(pages):
    repaired = repair(pages)
    assert len(repaired) == len(pages)
    squeeze = lambda s: "".join(s.split()).replace("-", "").replace("\uf0b7", "•")  # noqa: E731
    for before, after in zip(pages, repaired):
        assert _subsequence(squeeze(after), squeeze(before))
