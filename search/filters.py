"""Hard filters by document, local authority, year and document type -> a document set."""

from __future__ import annotations

import re
from typing import Iterable, Mapping

from quarry.errors import UsageError
from quarry.records import DocInfo

KEYS = {
    "doc": "doc", "doc_id": "doc", "document": "doc",
    "authority": "authority", "la": "authority", "local_authority": "authority",
    "year": "year",
    "type": "doc_type", "doc_type": "doc_type",
}


def parse(pairs: Iterable[str]) -> dict[str, list[str]]:
    """["authority=Wrexham", "year=2019"] -> {"authority": ["Wrexham"], "year": ["2019"]}; repeats OR."""
    out: dict[str, list[str]] = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"filter {pair!r} must look like key=value (keys: {', '.join(sorted(set(KEYS.values())))})")
        key, value = pair.split("=", 1)
        out.setdefault(key.strip(), []).append(value.strip())
    return out


def _norm(text: str) -> str:
    text = re.sub(r"[^a-z0-9]+", " ", text.lower())
    return re.sub(r"\b(county borough|city and county|county|city|borough|metropolitan|district|council|of)\b", " ", text).split().__str__()


def _matches(doc: DocInfo, key: str, values: list[str]) -> bool:
    if key == "year":
        wanted = set()
        for v in values:
            if not v.isdigit():
                raise UsageError(f"year filter must be a year like 2019, not {v!r}")
            wanted.add(int(v))
        return bool(wanted & set(doc.years or ((doc.year,) if doc.year else ())))
    field = doc.authority if key == "authority" else doc.doc_type
    if not field:
        return False
    return any(_norm(v) == _norm(field) or v.strip().lower() == field.lower() for v in values)


def allowed_docs(filters: Mapping[str, list[str] | str] | None, docs: Mapping[str, DocInfo]) -> set[str] | None:
    """Which documents pass every filter (keys ANDed, repeated values ORed); None when unfiltered."""
    if not filters:
        return None
    allowed = set(docs)
    for raw_key, values in filters.items():
        key = KEYS.get(raw_key.lower())
        if key is None:
            raise UsageError(f"unknown filter key {raw_key!r} (known: {', '.join(sorted(set(KEYS.values())))})")
        vals = [values] if isinstance(values, str) else list(values)
        if key == "doc":  # ids alone: no document's fields decoded (a summary names thousands at 1M passages)
            allowed &= set(vals)
            continue
        allowed &= {d for d, info in docs.items() if _matches(info, key, vals)}
    return allowed
