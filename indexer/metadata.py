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
_LA_OF = re.compile(r"\b(?:Inspection|inspection) of ([A-Z][A-Za-z ,&'-]+?) (?:local authority|children)")
_YEAR = re.compile(r"\b(19[89]\d|20[0-4]\d)(?:\s*[/-]\s*(\d{2,4}))?\b")
_TYPES = (
    ("focused visit", re.compile(r"focused visit", re.I)),
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


def infer(text: str, name: str) -> dict[str, Any]:
    """Authority, years, document type and a title guessed from the text and file name."""
    head = text[:4000]
    found: dict[str, Any] = {}
    m = _LA_OF.search(head)
    counts: dict[str, int] = {}
    for a in _AUTHORITY.findall(text[:20000]):
        counts[a] = counts.get(a, 0) + 1
    if m:
        found["authority"] = m.group(1).strip()
    elif counts:
        found["authority"] = max(counts, key=counts.get)
    years = _years(name) or _years(head)
    if years:
        found["years"] = sorted(set(years))[:4]
        found["year"] = max(years)
    for label, pattern in _TYPES:
        if pattern.search(name) or pattern.search(head[:1500]):
            found["doc_type"] = label
            break
    first = next((ln.strip() for ln in text.splitlines() if len(ln.split()) >= 3), "")
    found["title"] = Path(name).stem.replace("_", " ").strip() or first[:100]
    return found


def doc_info(doc_id: str, source: str, text: str, entry: dict[str, Any] | None) -> DocInfo:
    """Merge the catalogue entry over what the text suggests; record which fields were guessed."""
    entry = dict(entry or {})
    guessed = infer(text, Path(source).name)
    merged: dict[str, Any] = {}
    inferred: list[str] = []
    for key in ("title", "authority", "years", "doc_type"):
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
        year=int(entry["year"]) if entry.get("year") else (max(years) if years else None),
        years=years,
        doc_type=merged.get("doc_type"),
        published=entry.get("published"),
        publisher=entry.get("publisher"),
        inferred=tuple(inferred),
    )
