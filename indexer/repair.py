"""Repair text extracted from PDFs: drop page furniture, rejoin hard-wrapped lines and hyphenated words.

PDF text comes out one printed line per line: every paragraph is hard-wrapped, running headers,
footers and page numbers sit between the paragraphs, and words broken at a line end keep their
hyphen. `repair(pages)` returns the same pages as paragraphs separated by blank lines (one line per
paragraph), with bullets, numbered paragraphs and short heading lines kept on their own lines and
address or table blocks of short lines kept line by line. Plain text that looks hard-wrapped (pypdf
or pdftotext output saved as .txt) goes through the same repair.
"""

from __future__ import annotations

import math
import re
from collections import Counter

_WS = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
_LAST_NUMBER = re.compile(r"(\d{1,4})\s*$")
_LONE_NUMBER = re.compile(r"^\d{1,4}$")
# bullet glyphs, including the private-use Symbol/Wingdings bullets that PDFs often carry
_GLYPH_BULLET = re.compile(r"^(?:[\u2022\u25aa\u25ab\u25cf\u25fc\u25fb\u25a0\u25a1\u25c6\u25ba\u27a2\u2713\u25cb\u25e6\u00b7\u2043\u2219\uf0a7\uf0b7\uf0d8\uf076\uf0fc\uf0a8\uf0e0](?:\s|$))")
_PUA_BULLET = re.compile(r"^[\ue000-\uf8ff](?=\s|$)")
_CONTACT = re.compile(r"^(?:\S+@\S+|www\.|https?://)")
_DASH_BULLET = re.compile(r"^[-\u2013*](?:\s)")
_NUMBERED = re.compile(r"^(?:\(?\d{1,2}(?:\.\d{1,2})*[.)]?|\(?[a-z]{1,3}\)|\(?[ivx]{1,4}\))\s+\S")
_ENDS_SENTENCE = re.compile(r"""[.!?:;]["'\u201d\u2019)]?$""")
_STARTS_LOWER = re.compile(r"^[a-z]")
_SALUTATION = re.compile(r"^(?:dear|yours\s+(?:sincerely|faithfully))\b", re.I)
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
_HYPHEN_END = re.compile(r"([A-Za-z]+)-$")
_RIGHT_WORD = re.compile(r"^([a-z]+)")
# word endings that are never words by themselves: "assess-" + "ment" is one word
_SUFFIXES = frozenset(
    "ment ments tion tions sion sions ation ations ness nesses ity ities ance ances ence ences able ably ible "
    "ibly ally ful fully less ised ized ise ize ising izing ive ives ous ously ent ents ant ants ary ery ory "
    "al als ed er ers ly ies ial ially ure ures ing ings ism isms ist ists ic ical ically ship ships hood".split()
)
EDGE_LINES = 4  # lines at the top and bottom of a page where running headers and footers live
FULL_LINE = 0.8  # a line at least this fraction of the typical full line width wraps onto the next


def _key(line: str) -> str:
    """A line with its digits masked: running headers differ only in their page numbers."""
    return _DIGITS.sub("#", _WS.sub(" ", line.strip().lower()))


def _nonblank(lines: list[str]) -> list[int]:
    return [i for i, ln in enumerate(lines) if ln.strip()]


def _edge_indices(lines: list[str]) -> list[int]:
    idx = _nonblank(lines)
    return sorted(set(idx[:EDGE_LINES] + idx[-EDGE_LINES:]))


def drop_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Remove lines that recur at the top or bottom of most pages (digits masked) and page numbers."""
    if len(pages) < 2:
        return [drop_furniture_unpaged(p) for p in pages]
    seen: Counter[str] = Counter()
    for lines in pages:
        seen.update({_key(lines[i]) for i in _edge_indices(lines)})
    need = max(2, math.ceil(0.5 * len(pages)))
    # a lone word ("children.") can start two pages by chance; headers have two words or a number
    recurring = {k for k, n in seen.items() if n >= need and (len(k.split()) >= 2 or "#" in k)}
    out = []
    for n, lines in enumerate(pages):
        # a title at the top of page 1 may read like the running header of the pages after it: keep it
        title_area = set(_nonblank(lines)[:EDGE_LINES]) if n == 0 else set()
        drop = {i for i in _edge_indices(lines)
                if (_key(lines[i]) in recurring and i not in title_area) or _PAGE_NUMBER.match(lines[i].strip())}
        out.append([ln for i, ln in enumerate(lines) if i not in drop])
    return out


def _page_number_run(lines: list[str]) -> set[int]:
    """Indices of lone numbers that count up page by page (2, 3, 4 ...): printed page numbers."""
    best: dict[int, list[int]] = {}  # value -> longest run of line indices ending with that value
    for i, ln in enumerate(lines):
        s = ln.strip()
        if _LONE_NUMBER.match(s):
            n = int(s)
            run = best.get(n - 1, []) + [i]
            if len(run) > len(best.get(n, [])):
                best[n] = run
    longest = max(best.values(), key=len, default=[])
    return set(longest) if len(longest) >= 2 else set()


def drop_furniture_unpaged(lines: list[str]) -> list[str]:
    """Furniture in text whose page breaks were lost (a PDF's text saved as one file).

    Page numbers are lone numbers that count up (2, 3, 4 ...); a running header that carries the
    page number recurs with only its digits changing; other recurring lines count as furniture only
    when they sit next to one of those, so a grade or label repeated in the text is kept.
    """
    drop = _page_number_run(lines)
    keys = [_key(ln) if ln.strip() else "" for ln in lines]
    counts = Counter(k for k in keys if k)
    numbered: dict[str, list[tuple[int, int]]] = {}  # key -> (line index, its last number)
    for i, (ln, k) in enumerate(zip(lines, keys)):
        m = _LAST_NUMBER.search(ln)
        if m and counts[k] >= 3 and len(k.split()) >= 2 and len(k) <= 120:
            numbered.setdefault(k, []).append((i, int(m.group(1))))
    for k, seen in numbered.items():
        if all(b[1] > a[1] for a, b in zip(seen, seen[1:])):  # "... 2021 2", "... 2021 3": a page count
            drop.update(i for i, _ in seen)
    while True:  # grow the furniture blocks: lines that recur right next to furniture, mostly there
        beside: Counter[str] = Counter()
        for i, k in enumerate(keys):
            if k and i not in drop and counts[k] >= 3 and len(k.split()) >= 3 and len(k) <= 120 \
                    and not _ENDS_SENTENCE.search(k) and _next_to(drop, keys, i):
                beside[k] += 1
        grown = {k for k, n in beside.items() if n >= max(3, 0.5 * counts[k])}
        if not grown:
            break
        opening = set(_nonblank(lines)[:5])  # a title at the very top is not a running header
        drop.update(i for i, k in enumerate(keys) if k in grown and _next_to(drop, keys, i) and i not in opening)
    return [ln for i, ln in enumerate(lines) if i not in drop]


def _next_to(drop: set[int], keys: list[str], i: int) -> bool:
    """Whether the nearest non-blank line above or below line i is furniture."""
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(keys) and not keys[j]:
            j += step
        if j in drop:
            return True
    return False


def line_width(pages: list[list[str]]) -> float:
    """The typical length of a full line: the 90th percentile of lines with four words or more."""
    lengths = sorted(len(ln.strip()) for lines in pages for ln in lines if len(ln.split()) >= 4)
    if not lengths:
        return 0.0
    return float(lengths[min(len(lengths) - 1, int(0.9 * len(lengths)))])


def _vocabulary(pages: list[list[str]]) -> Counter[str]:
    """Words (hyphenated ones whole) as they appear inside lines, not broken across them."""
    text = "\n".join(ln for lines in pages for ln in lines)
    return Counter(w.lower() for w in _WORD.findall(text))


def join_hyphenated(left: str, right: str, vocabulary: Counter[str]) -> bool:
    """True when "left-" at a line end and "right" on the next line are one word without the hyphen.

    The document itself decides first ("well-being" written whole elsewhere keeps its hyphen,
    "assessment" elsewhere drops it); otherwise a right half that is only a word ending
    ("ment", "tion") means a word broken by the typesetter. When in doubt the hyphen stays.
    """
    l, r = left.lower(), right.lower()
    if vocabulary[f"{l}-{r}"]:
        return False
    if vocabulary[l + r]:
        return True
    return r in _SUFFIXES


def _is_bullet(line: str) -> bool:
    return bool(_GLYPH_BULLET.match(line))


def _starts_item(line: str) -> bool:
    return _is_bullet(line) or bool(_DASH_BULLET.match(line) or _NUMBERED.match(line))


def _heading_like(line: str, width: float) -> bool:
    """A short line that starts with a capital and does not end a sentence: a heading or label."""
    s = line.strip()
    return len(s) < 0.6 * width and s[:1].isupper() and not _ENDS_SENTENCE.search(s) and not s.endswith(",")


def _break(a: str, b: str, width: float, para: str) -> str:
    """What goes between line a and the next line b: " " (same paragraph), "\\n" (same block) or "\\n\\n".

    `para` is the paragraph built so far (a is its last line).
    """
    full_a = len(a) >= FULL_LINE * width
    ends_a = bool(_ENDS_SENTENCE.search(a))
    if _is_bullet(b) or (_starts_item(b) and (ends_a or not full_a or _NUMBERED.match(para) and _NUMBERED.match(b))):
        return "\n\n"
    if _CONTACT.match(b):
        return "\n"
    if _SALUTATION.match(a) or _SALUTATION.match(b):
        return "\n\n"
    if _STARTS_LOWER.match(b) and not ends_a and len(a.split()) >= 2:
        return " "
    if full_a:  # wraps on, unless a sentence ends and a heading-like line follows
        return "\n\n" if ends_a and _heading_like(b, width) else " "
    if ends_a or len(b) >= FULL_LINE * width:  # a paragraph ended, or a heading precedes its text
        return "\n\n"
    return "\n"  # short after short: an address, a table row, a list of names


def unwrap(lines: list[str], width: float, vocabulary: Counter[str]) -> str:
    """Join one page's hard-wrapped lines into paragraphs separated by blank lines."""
    out: list[str] = []
    cur = ""
    last = ""
    for raw in lines:
        line = _PUA_BULLET.sub("\u2022", raw.strip())
        if not line:
            if cur:
                out.append(cur)
            cur = last = ""
            continue
        if not cur:
            cur = last = line
            continue
        if _GLYPH_BULLET.match(last) and len(last.split()) == 1:  # a bullet glyph alone on its line
            sep = " "
        else:
            sep = _break(last, line, width, cur)
        if sep == " ":
            cur = _join(cur, line, vocabulary)
        elif sep == "\n":
            cur += "\n" + line
        else:
            out.append(cur)
            cur = line
        last = line
    if cur:
        out.append(cur)
    return "\n\n".join(out)


def _join(cur: str, line: str, vocabulary: Counter[str]) -> str:
    """Append a wrapped line: a space between words, none inside a word broken by a hyphen."""
    m = _HYPHEN_END.search(cur[-64:]) if cur.endswith("-") else None
    r = _RIGHT_WORD.match(line)
    if m and r:
        return (cur[:-1] if join_hyphenated(m.group(1), r.group(1), vocabulary) else cur) + line
    if cur[-2:-1].isdigit() and cur[-1:] in "-\u2013" and line[:1].isdigit():
        return cur + line  # "16–" + "17-year-olds"
    return cur + " " + line


def looks_hard_wrapped(text: str) -> bool:
    """Lines of a typical printed width, a fifth or more of them running on mid-sentence into the next."""
    lines = [ln.rstrip() for ln in text.split("\n")]
    filled = [ln for ln in lines if ln.strip()]
    if len(filled) < 12:
        return False
    width = line_width([filled])
    if not 30 <= width <= 160:
        return False
    runs_on = sum(1 for a, b in zip(lines, lines[1:])
                  if a.strip() and _STARTS_LOWER.match(b.strip()) and not _ENDS_SENTENCE.search(a.strip()))
    return runs_on >= 0.2 * len(filled)


def repair(pages: list[str]) -> list[str]:
    """Pages of extracted text -> pages of paragraphs: furniture dropped, lines and words rejoined."""
    split = [page.split("\n") for page in pages]
    split = drop_furniture(split)
    width = line_width(split) or 80.0
    vocabulary = _vocabulary(split)
    return [unwrap(lines, width, vocabulary) for lines in split]
