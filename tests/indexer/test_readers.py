"""Readers: the format comes from the bytes; .docx/.html/.md headings reach the section detector."""

import pytest

from indexer import readers
from indexer.normalise import normalise
from indexer.readers import Unreadable, parse, sniff
from indexer.readers.html import html_text
from indexer.readers.text import decode
from indexer.sections import detect_sections
from tests.indexer.documents import docx_paragraph, docx_table, make_docx, make_pdf


def sections_of(raw):
    text = normalise(raw.pages).text
    return text, detect_sections("d", text)


def test_format_is_sniffed_from_content_not_the_name():
    pdf = make_pdf([["A real PDF saved with the wrong extension."]])
    assert sniff(pdf, ".txt") == "pdf"
    assert parse(pdf, ".txt").pages == ["A real PDF saved with the wrong extension."]
    assert sniff(b"<!DOCTYPE html><html><body><p>x</p></body></html>", ".txt") == "html"
    assert sniff(make_docx(docx_paragraph("x")), ".bin") == "docx"
    assert sniff(b"# Title\n\ntext", ".md") == "markdown"
    assert sniff(b"plain words", ".txt") == "text"


@pytest.mark.parametrize("data, suffix, reason", [
    (b"\x00\x01garbage\xff" * 50, ".pdf", "not a PDF (no %PDF- header)"),
    (b"just some text pretending", ".docx", "not a Word .docx file"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, ".txt", "an image (PNG)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20, ".doc", "old binary Office file"),
    (b"%PDF-1.7\n\x00\x00 truncated rubbish", ".pdf", "damaged PDF"),
    (b"PK\x03\x04 not really a zip", ".docx", "damaged zip package"),
])
def test_misnamed_and_damaged_files_get_a_reason(data, suffix, reason):
    with pytest.raises(Unreadable, match=reason.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        parse(data, suffix)


def test_binary_junk_named_txt_is_refused():
    with pytest.raises(Unreadable, match="binary content"):
        parse(b"abc\x00\x00\x00def" * 100, ".txt")


def test_cp1252_and_utf16_are_detected_and_noted():
    text, note = decode("Café budget: £5m – “approved”".encode("cp1252"))
    assert text == "Café budget: £5m – “approved”" and note == "decoded as cp1252"
    text, note = decode("Gwasanaethau Cymdeithasol – ŵ ŷ".encode("utf-16"))
    assert text == "Gwasanaethau Cymdeithasol – ŵ ŷ" and note == "decoded as utf-16"
    assert decode("plain “utf-8”".encode("utf-8")) == ("plain “utf-8”", None)


def test_pdf_pages_encryption_and_missing_text_layer():
    raw = parse(make_pdf([["First page text."], [], ["Third page text."]]), ".pdf")
    assert raw.pages == ["First page text.", "", "Third page text."]
    assert raw.note == "1 of 3 pages have no text layer (images only)"
    assert parse(make_pdf([["Readable without a password."]], password="s3cret", owner_only=True), ".pdf").pages == ["Readable without a password."]
    with pytest.raises(Unreadable, match="encrypted PDF: a password is needed"):
        parse(make_pdf([["Locked."]], password="s3cret"), ".pdf")
    with pytest.raises(Unreadable, match=r"no text layer in any of its 2 page\(s\) \(scanned or image-only PDF; OCR it first\)"):
        parse(make_pdf([[], []]), ".pdf")


def test_aes_pdf_without_a_crypto_package_says_what_is_missing(monkeypatch):
    import pypdf
    from pypdf.errors import DependencyError

    def needs_crypto(self, password):
        raise DependencyError("cryptography>=3.1 is required for AES algorithm")

    monkeypatch.setattr(pypdf.PdfReader, "decrypt", needs_crypto)
    with pytest.raises(Unreadable, match="needs the `cryptography` package"):
        parse(make_pdf([["Locked."]], password="s3cret"), ".pdf")


def test_docx_heading_styles_become_sections_and_tables_and_lists_survive():
    body = "".join([
        docx_paragraph("Annual Report 2023", "Heading1"),
        docx_paragraph("This report describes the |year in review for the council."),
        docx_paragraph("Children's Services", "Kop2"),  # a localised style id: the style *name* says heading 2
        docx_paragraph("The service improved its assessment timeliness this year."),
        docx_paragraph("Fewer re-referrals", list_item=True),
        docx_paragraph("More stable placements", list_item=True),
        docx_table([["Measure", "2022", "2023"], ["Referrals", "1,200", "1,050"]]),
        docx_paragraph("Adult Services", "Heading1"),
        docx_paragraph("Adult services supported more people at home than before."),
    ])
    raw = parse(make_docx(body), ".docx")
    text, sections = sections_of(raw)
    assert "This report describes the year in review for the council." in text  # runs are joined
    assert "- Fewer re-referrals\n- More stable placements" in text
    assert "Measure\t2022\t2023\nReferrals\t1,200\t1,050" in text
    paths = {s.heading_path for s in sections}
    assert ("Annual Report 2023", "Children's Services") in paths
    assert ("Adult Services",) in paths
    children = next(s for s in sections if s.title == "Children's Services")
    assert text[children.char_start:children.char_end].startswith("The service improved")
    assert "Referrals\t1,200" in text[children.char_start:children.char_end]


def test_docx_text_box_is_read_once_and_deleted_text_not_at_all():
    mc = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    box = (f'<w:p><w:r><mc:AlternateContent {mc}><mc:Choice Requires="wps"><w:txbxContent>{docx_paragraph("Key fact: 92% in touch")}'
           f'</w:txbxContent></mc:Choice><mc:Fallback><w:txbxContent>{docx_paragraph("Key fact: 92% in touch")}</w:txbxContent>'
           '</mc:Fallback></mc:AlternateContent></w:r></w:p>')
    deleted = '<w:p><w:r><w:t>Kept words</w:t></w:r><w:del><w:r><w:delText> and struck words</w:delText></w:r></w:del></w:p>'
    text = parse(make_docx(box + deleted), ".docx").pages[0]
    assert text == "Key fact: 92% in touch\n\nKept words"


def test_html_headings_and_page_chrome():
    html = """<!doctype html><html><head><title>Report</title><style>p {color: red}</style>
    <script>var tracking = "should not be indexed";</script></head><body>
    <nav><a href="/">Home</a> | <a href="/about">About us</a></nav>
    <h1>Inspection of Example Council</h1><p>The council&rsquo;s services are <b>good</b>.
    Leaders know their services well.</p>
    <h2>Help and protection</h2><p>Children get help<br>at the right time.</p>
    <ul><li>Timely assessments</li><li>Stable workforce</li></ul>
    <h3>Table</h3><table><tr><th>Judgement</th><th>Grade</th></tr><tr><td>Overall</td><td>Good</td></tr></table>
    </body></html>"""
    text = html_text(html)
    assert "should not be indexed" not in text and "About us" not in text and "color: red" not in text
    assert "The council’s services are good. Leaders know their services well." in text
    assert "Children get help\nat the right time." in text
    assert "- Timely assessments\n- Stable workforce" in text
    assert "Judgement\tGrade\nOverall\tGood" in text
    _, sections = sections_of(parse(html.encode(), ".html"))
    assert ("Inspection of Example Council", "Help and protection", "Table") in {s.heading_path for s in sections}


def test_markdown_atx_and_setext_headings():
    md = "Guide to Fostering\n==================\n\nIntro paragraph about fostering.\n\n## 1. Who can foster\n\nAlmost anyone over 21 can apply.\n\nAllowances\n----------\n\nCarers receive an allowance.\n"
    text, sections = sections_of(parse(md.encode(), ".md"))
    by_title = {s.title: s for s in sections}
    assert by_title["Who can foster"].number == "1"
    assert by_title["Who can foster"].heading_path == ("Guide to Fostering", "1 Who can foster")
    assert by_title["Allowances"].heading_path == ("Guide to Fostering", "Allowances")
    assert text[by_title["Allowances"].char_start:by_title["Allowances"].char_end] == "Carers receive an allowance."


def test_read_reports_missing_permission_and_empty(tmp_path):
    with pytest.raises(Unreadable, match="vanished"):
        readers.read(tmp_path / "gone.txt")
    (tmp_path / "empty.txt").write_bytes(b"  \n\n ")
    with pytest.raises(Unreadable, match="empty: no text"):
        readers.read(tmp_path / "empty.txt")
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * (2 * 2**20 + 1))
    with pytest.raises(Unreadable, match=r"too large: 2 MB is over max_file_mb=1\.5"):
        readers.read(big, max_mb=1.5)
