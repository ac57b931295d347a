"""Document metadata: the catalogue's entry when there is one, otherwise what the text tells.

Inferred fields are listed in `DocInfo.inferred` so the index summary can say what was guessed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from quarry.errors import QuarryError
from quarry.records import DocInfo

CATALOGUE = "catalogue.json"
FIELDS = ("title", "publisher", "authority", "period", "years", "doc_type", "published")

_AUTHORITY = re.compile(
    r"\b((?:[A-Z][a-z]+(?:[- ](?:and|upon|on|of|the|[A-Z][a-z]+))*) (?:County Borough|City and County|County|City|Borough|Metropolitan Borough|District)? ?Council)\b"
)
_GENERIC_WORDS = r"(?:borough|council|county|city|metropolitan|district)"
_PLACE = (r"(?:the\s+)?(?P<la>[A-Z][\w,&'\u2019.-]*(?:\s+(?:[A-Z][\w,&'\u2019.-]*|and|upon|on|of|in|the|with|&|"
          + _GENERIC_WORDS + r")){0,7}?)")
_CHILDRENS = r"(?i:children)[\u2019']?s\s+(?i:services|social care)"
# how inspection documents name their local authority, most specific first
_NAMED = (
    re.compile(r"\b(?:Inspection|inspection|visit|Visit) (?:of|to)\s+" + _PLACE + r"(?:\s+local authority)?\s+" + _CHILDRENS),
    re.compile(r"^\s*(?:\d{1,3}\s*\n\s*)?" + _PLACE + r"\s*\n\s*(?:Re-inspection|Inspection|Review) of\b"),
    re.compile(r"\bInspection of looked after children services\s*\n\s*" + _PLACE + r"\s*\n"),
    re.compile(r"\bservices in\s+" + _PLACE + r"\s+(?:are|is|requires?)\b"),
)
# words that name the kind of council rather than the place
_GENERIC = re.compile(
    r"^(?:the|(?:london|royal|metropolitan)\s+borough\s+of|borough\s+of|city\s+and\s+county\s+of|city\s+of|county\s+of|county|council\s+of)\s+"
    r"|(?:,?\s+(?:council|corporation|mbc|metropolitan|district|borough|county|city|unitary\s+authority|city\s+of"
    r"|children's\s+services|(?:local\s+)?safeguarding\s+children\s+board)|'s)$", re.I)
_MONTHS = ("january february march april may june july august september october november december").split()
_DATE = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(" + "|".join(_MONTHS) + r")\s*,?\s+((?:19|20)\d\d)\b", re.I)
_PUBLISHED = re.compile(r"\b(?:report\s+)?published:?\s*", re.I)
_YEAR = re.compile(r"\b(19[89]\d|20[0-4]\d)(?:\s*[/-]\s*(\d{2,4}))?\b")
_TYPES = (
    ("focused visit", re.compile(r"focused visit", re.I)),
    ("monitoring visit", re.compile(r"monitoring visit", re.I)),
    ("annual report", re.compile(r"annual report", re.I)),
    ("performance review letter", re.compile(r"performance review|performance evaluation", re.I)),
    ("inspection report", re.compile(r"\binspection\b", re.I)),
)


def load_catalogue(root: Path) -> dict[str, dict[str, Any]]:
    """The catalogue.json beside the documents (keys: paths relative to the root), or {}."""
    path = root / CATALOGUE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise QuarryError(f"{path}: not a valid catalogue ({e})") from None
    if not isinstance(data, dict):
        raise QuarryError(f"{path}: the catalogue must be a JSON object keyed by file name")
    return data


def _years(text: str) -> list[int]:
    """Years named in a text; "2009/10" and "2018-19" give both years."""
    out: list[int] = []
    for first, second in _YEAR.findall(text):
        y = int(first)
        out.append(y)
        if second and len(second) == 2 and int(second) == (y + 1) % 100:
            out.append(y + 1)
        elif second and len(second) == 4 and int(second) == y + 1:
            out.append(y + 1)
    return out


def authority_name(name: str) -> str:
    """The place in a council's name: "London Borough of Lambeth" -> "Lambeth", "Norfolk County Council" -> "Norfolk"."""
    name = " ".join(name.replace("\u2019", "'").split()).strip(" ,.")
    while True:
        shorter = _GENERIC.sub("", name).strip(" ,.")
        if shorter == name or not shorter:
            return name
        name = shorter


def authority_key(name: str) -> str:
    """A spelling-blind key for comparing authority names ("Telford & Wrekin" = "telford and wrekin")."""
    name = authority_name(name).lower().replace("&", " and ").replace("st.", "st")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", name).split())


def _full_form(name: str, text: str) -> str:
    """The longer form of a place name the document also uses: "Hull" -> "Kingston upon Hull".

    Only "upon" and (seen at least twice) "of" join a longer form: "Hackney of Tomorrow" is a slogan.
    """
    pattern = re.compile(r"\b(?:[A-Z][a-z]+ upon )?" + re.escape(name) + r"(?: (upon|of) [A-Z][a-z]+)?\b")
    forms: dict[str, int] = {}
    for m in pattern.finditer(text):
        forms[m.group(0)] = forms.get(m.group(0), 0) + 1
    longer = [f for f in forms if f != name and (" upon " in f or forms[f] >= 2)]
    return max(longer, key=lambda f: (forms[f], len(f))) if longer else name


def _authority(head: str, text: str) -> str | None:
    for pattern in _NAMED:
        m = pattern.search(head)
        if m:
            name = authority_name(m.group("la"))
            if name and len(name.split()) <= 6 and name.lower() not in {"the local authority", "local authority"}:
                return _full_form(name, text)
    counts: dict[str, int] = {}
    for a in _AUTHORITY.findall(text[:20000]):
        counts[a] = counts.get(a, 0) + 1
    return authority_name(max(counts, key=counts.get)) if counts else None


def _iso(m: re.Match[str]) -> str | None:
    day, month, year = int(m.group(1)), _MONTHS.index(m.group(2).lower()) + 1, int(m.group(3))
    return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= day <= 31 else None


def published_date(text: str, name: str) -> str | None:
    """ISO publication date: a date in the file name, a "published:" line, or the date a letter opens with."""
    m = _DATE.search(name.replace("_", " "))
    if m:
        return _iso(m)
    head = text[:3000]
    for p in _PUBLISHED.finditer(head):
        m = _DATE.match(head, p.end())
        if m:
            return _iso(m)
    first = next((ln.strip() for ln in head.splitlines() if ln.strip()), "")
    m = _DATE.fullmatch(first)
    return _iso(m) if m else None


def infer(text: str, name: str) -> dict[str, Any]:
    """Authority, publication date, years, document type and a title guessed from the text and file name."""
    head = text[:4000]
    found: dict[str, Any] = {}
    authority = _authority(head, text)
    if authority:
        found["authority"] = authority
    published = published_date(text, name)
    if published:
        found["published"] = published
    years = _years(name) or ([int(published[:4])] if published else _years(head))
    if years:
        found["years"] = sorted(set(years))[:4]
        found["year"] = int(published[:4]) if published else max(years)
    doc_type = _doc_type(name) or _doc_type(text[:1500])
    if doc_type:
        found["doc_type"] = doc_type
    first = next((ln.strip() for ln in text.splitlines() if len(ln.split()) >= 3), "")
    found["title"] = Path(name).stem.replace("_", " ").strip() or first[:100]
    return found


def _doc_type(text: str) -> str | None:
    """The kind of document named first ("Inspection of ..." before a mention of a past focused visit)."""
    found = [(m.start(), label) for label, pattern in _TYPES for m in [pattern.search(text)] if m]
    return min(found)[1] if found else None


def doc_info(doc_id: str, source: str, text: str, entry: dict[str, Any] | None) -> DocInfo:
    """Merge the catalogue entry over what the text suggests; record which fields were guessed."""
    entry = dict(entry or {})
    guessed = infer(text, Path(source).name)
    merged: dict[str, Any] = {}
    inferred: list[str] = []
    for key in ("title", "authority", "years", "doc_type", "published"):
        if entry.get(key):
            merged[key] = entry[key]
        elif guessed.get(key):
            merged[key] = guessed[key]
            inferred.append(key)
    years = tuple(int(y) for y in merged.get("years") or ())
    return DocInfo(
        doc_id=doc_id,
        source=source,
        title=str(merged.get("title") or doc_id),
        authority=merged.get("authority"),
        period=entry.get("period") or (f"{years[0]}" if len(years) == 1 else f"{years[0]}-{years[-1]}" if years else None),
        year=int(entry["year"]) if entry.get("year") else (guessed.get("year") if "years" in inferred else max(years) if years else None),
        years=years,
        doc_type=merged.get("doc_type"),
        published=merged.get("published"),
        publisher=entry.get("publisher"),
        inferred=tuple(inferred),
    )
