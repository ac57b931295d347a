"""Word .docx with the standard library: the XML in the zip package, paragraphs and tables in order.

Heading styles ("Heading 1".."Heading 6", "Title", or an outline level) become Markdown "#" lines,
which sections.py recognises, so .docx, .html and .md share one path to sections. List items get
"- ". A .docx has no fixed pages (Word lays them out when it renders), so it is one page here.
(python-docx would add a dependency and still lose the order of paragraphs and tables.)
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from xml.etree import ElementTree as ET

from indexer.readers import RawDocument, Unreadable

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_MAX_XML_BYTES = 256 * 2**20
_HEADING_NAME = re.compile(r"^heading\s*([1-9])$", re.I)


def _style_levels(styles_xml: bytes | None) -> dict[str, int]:
    """Paragraph style id -> heading level, from the style names and outline levels in styles.xml."""
    if not styles_xml:
        return {}
    levels: dict[str, int] = {}
    for style in ET.fromstring(styles_xml).iter(f"{W}style"):
        sid = style.get(f"{W}styleId") or ""
        name_el = style.find(f"{W}name")
        name = (name_el.get(f"{W}val") if name_el is not None else "") or ""
        outline = style.find(f"{W}pPr/{W}outlineLvl")
        m = _HEADING_NAME.match(name.strip())
        if m:
            levels[sid] = int(m.group(1))
        elif name.strip().lower() == "title":
            levels[sid] = 1
        elif outline is not None and (outline.get(f"{W}val") or "9").isdigit() and int(outline.get(f"{W}val")) < 6:
            levels[sid] = int(outline.get(f"{W}val")) + 1
    return levels


def _walk(el: ET.Element):
    """Descendants in document order, skipping the fallback copy Word keeps of every text box."""
    for child in el:
        if child.tag == _MC_FALLBACK:
            continue
        yield child
        yield from _walk(child)


def _text(el: ET.Element) -> str:
    """The visible text of a paragraph (or cell): runs, tabs, line breaks; no deleted text or field codes."""
    parts: list[str] = []
    for node in _walk(el):
        tag = node.tag
        if tag == f"{W}t":
            parts.append(node.text or "")
        elif tag == f"{W}tab":
            parts.append("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            parts.append("\n")
        elif tag == f"{W}noBreakHyphen":
            parts.append("-")
    return "".join(parts).strip()


def _level(p: ET.Element, levels: dict[str, int]) -> int | None:
    ppr = p.find(f"{W}pPr")
    if ppr is None:
        return None
    outline = ppr.find(f"{W}outlineLvl")
    if outline is not None and (outline.get(f"{W}val") or "").isdigit() and int(outline.get(f"{W}val")) < 6:
        return int(outline.get(f"{W}val")) + 1
    style = ppr.find(f"{W}pStyle")
    return levels.get(style.get(f"{W}val") or "") if style is not None else None


def _is_list_item(p: ET.Element) -> bool:
    return p.find(f"{W}pPr/{W}numPr") is not None


def _blocks(body: ET.Element, levels: dict[str, int]) -> list[tuple[str, str]]:
    """(kind, text) in document order; kind is "para", "item", "heading" or "table"."""
    out: list[tuple[str, str]] = []
    for el in body:
        if el.tag == f"{W}p":
            text = _text(el)
            if not text:
                continue
            level = _level(el, levels)
            if level:
                out.append(("heading", "#" * level + " " + " ".join(text.split())))
            elif _is_list_item(el):
                out.append(("item", "- " + text))
            else:
                out.append(("para", text))
        elif el.tag == f"{W}tbl":
            rows = []
            for tr in el.iter(f"{W}tr"):
                cells = [" ".join(_text(tc).split()) for tc in tr.findall(f"{W}tc")]
                if any(cells):
                    rows.append("\t".join(cells))
            if rows:
                out.append(("table", "\n".join(rows)))
        elif el.tag == f"{W}sdt":  # a content control (e.g. a table of contents) holds paragraphs
            content = el.find(f"{W}sdtContent")
            if content is not None:
                out.extend(_blocks(content, levels))
    return out


def read_docx(data: bytes) -> RawDocument:
    """One page of text: headings as "#" lines, paragraphs separated by blank lines, list items by newlines."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            if z.getinfo("word/document.xml").file_size > _MAX_XML_BYTES:
                raise Unreadable("the .docx text is over 256 MB unpacked (a zip bomb?)")
            document = z.read("word/document.xml")
            styles = z.read("word/styles.xml") if "word/styles.xml" in z.namelist() else None
        root = ET.fromstring(document)
        levels = _style_levels(styles)
    except (zipfile.BadZipFile, KeyError, ET.ParseError, ValueError) as e:
        raise Unreadable(f"damaged .docx, cannot be parsed ({' '.join(str(e).split())[:100]})") from None
    body = root.find(f"{W}body")
    blocks = _blocks(body, levels) if body is not None else []
    parts: list[str] = []
    for i, (kind, text) in enumerate(blocks):
        if i:
            parts.append("\n" if kind == "item" and blocks[i - 1][0] == "item" else "\n\n")
        parts.append(text)
    return RawDocument(["".join(parts)], "docx")
