"""The 40 real Ofsted PDFs: page counts, sentences on the right page, furniture gone, page citations."""

from __future__ import annotations

import json
import re
import shutil
from functools import lru_cache
from pathlib import Path

import pypdf
import pytest

from indexer import readers
from indexer.build import build_index
from indexer.normalise import NormalText, normalise
from quarry.records import page_label
from quarry.settings import Settings
from search import open_index
from tests.conftest import SHARED
from tests.indexer.documents import make_pdf

OFSTED = SHARED / "datasets" / "ofsted"
pytestmark = pytest.mark.requires((OFSTED / "pdf").is_dir(), "shared Ofsted PDFs not present")

BIRMINGHAM_LETTER = "pdf/focused_visits/80429_birmingham/children's services focused visit - 01 december 2021.pdf"
BIRMINGHAM_REPORT = "pdf/inspections/80429_birmingham/children's services inspection - 25 november 2016.pdf"
COVENTRY_REPORT = "pdf/inspections/80456_coventry/children's services inspection - 12 august 2022.pdf"
KNOWN = [  # (pdf, sentence as printed, page it is printed on)
    (BIRMINGHAM_LETTER, "The small number of unregistered placements for 16–17-year-olds are not subject to the same "
                        "level of senior management oversight", 3),
    (BIRMINGHAM_REPORT, "Educational outcomes for children who are looked after have improved marginally since the last "
                        "inspection.", 21),
    (BIRMINGHAM_REPORT, "Many young people who live in permanent fostering arrangements have secure and settled "
                        "placements", 3),
]


def manifest_pdfs() -> list[dict]:
    rows = []
    for name in ("inspections.manifest.jsonl", "focused_visits.manifest.jsonl"):
        with (OFSTED / name).open(encoding="utf-8") as f:
            rows += [r for r in map(json.loads, f) if "pdf" in r]
    return rows


@lru_cache(maxsize=None)
def normalised(pdf: str) -> NormalText:
    return normalise(readers.read(OFSTED / pdf).pages)


@lru_cache(maxsize=None)
def printed_pages(pdf: str) -> tuple[str, ...]:
    """Each page extracted on its own by pypdf, the independent check of where text is printed."""
    return tuple(page.extract_text() for page in pypdf.PdfReader(OFSTED / pdf).pages)


def find(pattern_text: str, text: str) -> re.Match[str] | None:
    pattern = r"\s+".join(re.escape(w) for w in pattern_text.split())
    pattern = pattern.replace("–", r"–\s*")  # pypdf breaks "16–\n17" at the dash
    return re.search(pattern, text)


@pytest.mark.slow  # reads all 40 PDFs (about 40 s)
def test_all_40_pdfs_have_the_manifest_page_count():
    rows = manifest_pdfs()
    assert len(rows) == 40
    for row in rows:
        raw = readers.read(OFSTED / row["pdf"])
        assert raw.format == "pdf"
        assert len(raw.pages) == row["pages"], row["pdf"]


@pytest.mark.parametrize("pdf, sentence, page", KNOWN)
def test_known_sentence_is_on_its_printed_page(pdf, sentence, page):
    printed = printed_pages(pdf)
    assert find(sentence, printed[page - 1]), "the sentence is printed on that page (pypdf, page alone)"
    assert not any(find(sentence, p) for i, p in enumerate(printed) if i != page - 1)
    norm = normalised(pdf)
    m = find(sentence, norm.text)
    assert m, "the sentence survives repair"
    assert norm.page_at(m.start()) == page


@pytest.mark.slow  # reads all 40 PDFs twice
def test_sampled_lines_of_every_pdf_land_on_their_page():
    """For every page of all 40 PDFs, a line from the middle of the page maps back to that page."""
    checked = total = 0
    for row in manifest_pdfs():
        total += row["pages"]
        norm = normalised(row["pdf"])
        for number, page in enumerate(printed_pages(row["pdf"]), start=1):
            lines = [ln.strip() for ln in page.split("\n") if len(ln.split()) >= 8 and not ln.rstrip().endswith("-")]
            if len(lines) < 5:
                continue
            line = re.sub(r"^[\ue000-\uf8ff]\s*", "", lines[len(lines) // 2])  # repair shows Symbol-font bullets as •
            if sum(bool(find(line, p)) for p in printed_pages(row["pdf"])) != 1:
                continue  # the same words printed on two pages cannot tell pages apart
            m = find(line, norm.text)
            assert m, (row["pdf"], number, line)
            assert norm.page_at(m.start()) == number, (row["pdf"], number, line)
            checked += 1
    assert checked >= 0.75 * total  # the rest have too few lines, or lines printed on two pages


def test_running_headers_and_page_numbers_are_removed():
    norm = normalised(COVENTRY_REPORT)
    printed = printed_pages(COVENTRY_REPORT)
    header = next(ln.strip() for ln in printed[1].split("\n") if ln.strip())
    assert header.startswith("Inspection of Coventry local authority children")
    assert sum(printed_page.count(header) for printed_page in printed) >= 8  # printed atop every page
    assert norm.text.count(header) <= 1  # only the title on page 1 is left
    dated = [ln.strip() for page in printed[1:] for ln in page.split("\n")[:5] if ln.strip().startswith("20 June to 1 July 2022 ")]
    assert len(dated) == len(printed) - 1  # "20 June to 1 July 2022 7": dates and page number under the header
    assert not any(line in norm.text for line in dated)
    for pdf in (BIRMINGHAM_LETTER, BIRMINGHAM_REPORT):
        assert sum(bool(re.fullmatch(r"\s*\d{1,3}\s*", ln)) for page in printed_pages(pdf) for ln in page.split("\n")) >= 3
        paragraphs = normalised(pdf).text.split("\n\n")
        assert not [p for p in paragraphs if p.strip().isdigit()], pdf  # the printed page numbers are gone


def test_hyphens_at_line_ends_real_pdfs_keep_compounds():
    printed = printed_pages(BIRMINGHAM_LETTER)
    assert "well-\nmatched" in printed[0]
    text = normalised(BIRMINGHAM_LETTER).text
    assert "stable and well-matched placements" in text


def test_hyphenated_word_broken_by_the_typesetter_is_rejoined(tmp_path):
    lines = ["Inspectors found that the quality of the social work assessment and the plans that",
             "follow it have improved. In most cases the risk assess-",
             "ment is thorough and is reviewed regularly by managers who know the children."]
    norm = normalise(readers.parse(make_pdf([lines, ["A second page of text to read."]]), ".pdf").pages)
    assert "the risk assessment is thorough" in norm.text


def copy_pdfs(root: Path) -> list[Path]:
    """Three of the real PDFs, keeping their folders (names with spaces and apostrophes)."""
    for pdf in (BIRMINGHAM_LETTER, BIRMINGHAM_REPORT, COVENTRY_REPORT):
        target = root / Path(pdf).relative_to("pdf")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(OFSTED / pdf, target)
    return [root / "inspections", root / "focused_visits"]


@pytest.fixture(scope="module")
def pdf_index(tmp_path_factory) -> tuple[Settings, Path]:
    """The three PDFs indexed with the fake embedder."""
    root = tmp_path_factory.mktemp("pdfs")
    settings = Settings(index=str(root / "index"), model="hash")
    summary = build_index(copy_pdfs(root), settings)
    assert summary.documents == 3 and not summary.skipped
    return settings, root


@pytest.mark.slow  # the real model and FAISS over the three PDFs
def test_real_model_answers_from_the_right_page(tmp_path):
    settings = Settings(index=str(tmp_path / "index"))
    summary = build_index(copy_pdfs(tmp_path), settings)
    assert summary.documents == 3 and summary.embedded == summary.chunks
    searcher = open_index(settings.index, settings)
    question = "Are 16 and 17 year olds in unregistered children's homes overseen by senior managers?"
    for mode in ("dense", "hybrid"):
        hits = searcher.search(question, k=5, mode=mode).hits
        hit = next(h for h in hits if find(KNOWN[0][1], h.chunk.text))
        assert hit.rank <= 3, mode
        assert hit.doc.authority == "Birmingham" and hit.doc.published == "2021-12-01"
        assert hit.chunk.page_start == hit.chunk.page_end == 3 and hit.citation.endswith("p. 3")


@pytest.mark.parametrize("pdf, sentence, page", KNOWN)
def test_search_hit_cites_the_printed_page(pdf_index, pdf, sentence, page):
    settings, _ = pdf_index
    searcher = open_index(settings.index, settings)
    hits = searcher.search(sentence, k=3, mode="bm25").hits
    top = hits[0]
    assert find(sentence, top.chunk.text)
    assert top.chunk.page_start <= page <= top.chunk.page_end
    offset = find(sentence, top.chunk.text).start() + top.chunk.char_start
    assert searcher.doc_infos[top.chunk.doc_id].source.endswith(Path(pdf).name)
    expected = page_label(page, page) if top.chunk.page_start == top.chunk.page_end else page_label(top.chunk.page_start, top.chunk.page_end)
    assert expected in top.citation
    assert normalise(readers.read(OFSTED / pdf).pages).page_at(offset) == page


def test_chunks_spanning_a_page_break_cite_both_pages(pdf_index):
    settings, _ = pdf_index
    searcher = open_index(settings.index, settings)
    spanning = [c for c in searcher.chunks if c.page_start and c.page_end and c.page_end > c.page_start]
    assert spanning
    chunk = spanning[0]
    assert page_label(chunk.page_start, chunk.page_end) == f"pp. {chunk.page_start}–{chunk.page_end}"
    text = searcher.source_text(chunk.doc_id)
    source = Path(searcher.doc_infos[chunk.doc_id].source)
    page_starts = {page: offset for offset, page in normalise(readers.read(source).pages).page_marks}
    assert chunk.char_start < page_starts[chunk.page_end] < chunk.char_end
    assert text[chunk.char_start:chunk.char_end] == chunk.text
