"""HTML with the standard library's parser: visible text only, h1-h6 as Markdown "#" lines.

Scripts, styles, navigation and other page chrome are dropped; block elements become paragraphs,
list items get "- ", table cells are separated by tabs, <pre> keeps its line breaks.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from indexer.readers import RawDocument
from indexer.readers.text import decode

_SKIP = {"script", "style", "nav", "noscript", "template", "svg", "head", "button", "select", "form", "iframe", "object"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_BLOCK = {"p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote", "figure",
          "figcaption", "address", "ul", "ol", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "hr",
          "details", "summary", "caption"}
_HEADING = re.compile(r"^h([1-6])$")
_BR, _CELL = "\x1e", "\x1f"  # placeholders that survive whitespace collapsing
_SPACE = re.compile(r"[ \t\r\n\f\v\u00a0]+")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []  # finished paragraphs
        self.line: list[str] = []  # text of the paragraph being built
        self.skip = 0  # depth inside skipped elements
        self.pre = 0
        self.heading: int | None = None
        self.cell = False

    def _flush(self) -> None:
        text = "".join(self.line)
        if not self.pre:  # source whitespace collapses; only <br>, rows and cells break lines
            text = _SPACE.sub(" ", text)
        text = "\n".join(ln.strip(" ") for ln in text.replace(_BR, "\n").replace(_CELL, "\t").split("\n"))
        text = text.strip("\n\t ")
        if text:
            self.blocks.append("#" * self.heading + " " + " ".join(text.split()) if self.heading else text)
        self.line = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "body":  # </head> is optional: whatever was skipped before <body> ends here
            self.skip = 0
        if tag in _SKIP:
            if tag not in _VOID:
                self.skip += 1
            return
        if self.skip:
            return
        h = _HEADING.match(tag)
        if h or tag in _BLOCK or tag == "pre":
            self._flush()
            if h:
                self.heading = int(h.group(1))
            if tag == "pre":
                self.pre += 1
        elif tag == "li":
            self._flush()
            self.line.append("- ")
        elif tag == "tr":
            self.line.append(_BR)
            self.cell = False
        elif tag in ("td", "th"):
            if self.cell:
                self.line.append(_CELL)
            self.cell = True
        elif tag == "br":
            self.line.append(_BR)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if _HEADING.match(tag) or tag in _BLOCK or tag in ("li", "pre"):
            self._flush()
            self.heading = None
            if tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.line.append(data)


def html_text(html: str) -> str:
    """The visible text of an HTML page as paragraphs separated by blank lines."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    parser._flush()
    blocks = parser.blocks
    return "".join(("\n" if b.startswith("- ") and blocks[i - 1].startswith("- ") else "\n\n") + b if i else b
                   for i, b in enumerate(blocks))


def read_html(data: bytes) -> RawDocument:
    text, note = decode(data)
    return RawDocument([html_text(text)], "html", note)
