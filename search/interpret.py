"""Query understanding from the index's own metadata: authorities, years and document types named
in a free-text question, and acronyms the documents define.

The interpretation is a soft preference (search fuses rankings restricted to the matching documents
with the unrestricted ones), never a hard filter, so a wrong guess cannot hide the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping

import numpy as np

from quarry.index_tables import DocFacets
from quarry.records import DocInfo
from search.places import COUNCIL_WORDS, SHORT_FORMS, WELSH_ENGLISH

MATCHES = 64  # field combinations whose matching documents are remembered per interpreter
_YEAR_RANGE = re.compile(r"\b((?:19|20)\d\d)\s*[/\u2013-]\s*(\d{2}|(?:19|20)\d\d)\b")
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")
_DIRECTIONS = {"north", "south", "east", "west", "central", "city", "county", "greater", "royal", "isle", "isles"}
_TYPE_ALIASES = {
    "annual report": ("annual report", "annual council report"),
    "performance review letter": ("performance review", "annual letter", "performance letter", "review letter"),
    "focused visit": ("focused visit", "focussed visit", "visit letter"),
    "inspection report": ("inspection report", "inspection", "ilacs"),
}


def simplify(text: str) -> str:
    """Lower-case words separated by single spaces; '&' is 'and'; possessive 's dropped."""
    text = text.lower().replace("&", " and ")
    text = re.sub(r"['\u2019]s\b", "", text)
    return " ".join(re.findall(r"[a-z0-9\u00c0-\u024f]+", text))


def place_name(authority: str) -> str:
    """'Wrexham County Borough Council' -> 'wrexham'."""
    name = simplify(authority)
    for words in COUNCIL_WORDS:
        name = re.sub(rf"\b{words}\b", " ", name)
    return " ".join(name.split())


@dataclass(frozen=True)
class Interpretation:
    authorities: tuple[str, ...] = ()  # canonical authority names as stored in the index
    years: tuple[int, ...] = ()
    doc_types: tuple[str, ...] = ()
    acronyms: dict[str, str] = field(default_factory=dict)  # as written in the query -> expansion
    remainder: str = ""  # the query without the recognised metadata words
    docs: frozenset[str] = frozenset()  # documents that match best (empty: no preference)
    fields_matched: int = 0  # how many of authority, year and type those documents match

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.authorities:
            out["authority"] = self.authorities[0] if len(self.authorities) == 1 else list(self.authorities)
        if self.years:
            out["year"] = self.years[0] if len(self.years) == 1 else list(self.years)
        if self.doc_types:
            out["doc_type"] = self.doc_types[0] if len(self.doc_types) == 1 else list(self.doc_types)
        if self.acronyms:
            out["acronyms"] = dict(self.acronyms)
        return out

    def expanded(self, query: str) -> str:
        """The query with each recognised acronym's expansion added in brackets."""
        extra = " ".join(f"({v})" for v in self.acronyms.values())
        return f"{query} {extra}" if extra else query


class Interpreter:
    """Recognises the index's authorities, years and document types in a question."""

    def __init__(self, docs: Mapping[str, DocInfo], glossary: Mapping[str, str] | None = None,
                 facets: DocFacets | None = None):
        """`facets` (which documents have each authority, type and year) when the index stored them,
        so a 100,000-document index is not read document by document; else computed from `docs`."""
        self.docs = docs
        self.glossary = {k.lower(): v for k, v in (glossary or {}).items()}
        facets = facets or DocFacets.of_infos(docs)
        self._authorities = set(facets.rows["authority"])
        self.aliases = self._authority_aliases()
        types = set(facets.rows["doc_type"])
        self.type_aliases = {alias: t for t in types for alias in (*_TYPE_ALIASES.get(t, ()), t)}
        self._alias_re = self._compile(list(self.aliases) + list(self.type_aliases))
        # Field value -> row numbers of the documents having it, so matching a query costs a few array
        # operations, not a Python loop over every document (200 ms a query at 100,000 documents).
        self._ids = facets.ids
        self._rows = facets.rows
        # A field combination's documents, made once: a year names ~100,000 documents at a million passages,
        # and the same object handed back lets the scope masks built from it be found again by identity.
        self._docs_of = lru_cache(maxsize=MATCHES)(self._docs_matching)

    def _authority_aliases(self) -> dict[str, str]:
        by_place: dict[str, set[str]] = {}
        for authority in self._authorities:  # once per name, not per document
            by_place.setdefault(place_name(authority), set()).add(authority)
        aliases: dict[str, set[str]] = {}

        def add(alias: str, place: str) -> None:
            if alias and alias not in _DIRECTIONS:
                aliases.setdefault(alias, set()).update(by_place[place])

        for place, names in by_place.items():
            add(place, place)
            for name in names:
                add(simplify(name), place)
            for other, english in {**WELSH_ENGLISH, **SHORT_FORMS}.items():
                if english == place:
                    add(simplify(other), place)
            parts = [p for p in re.split(r"\band\b", place) if p.strip()]
            if len(parts) > 1:  # "bournemouth christchurch and poole": each place alone
                for part in " ".join(parts).split() if len(place.split()) <= 4 else []:
                    if len(part) >= 5:
                        add(part, place)
            if "on sea" in place or "upon" in place or " on " in place:
                add(re.split(r"\b(?:on|upon)\b", place)[0].strip(), place)
        # an alias naming several different places is ambiguous unless it is a place's own name
        return {a: sorted(n)[0] if len(n) == 1 else sorted(n)[0] for a, n in aliases.items()
                if len({place_name(x) for x in n}) == 1}

    @staticmethod
    def _compile(aliases: list[str]) -> re.Pattern[str] | None:
        if not aliases:
            return None
        alternatives = sorted(set(aliases), key=len, reverse=True)
        return re.compile(r"\b(" + "|".join(re.escape(a) for a in alternatives) + r")\b")

    def interpret(self, query: str) -> Interpretation:
        simple = simplify(query)
        authorities: list[str] = []
        types: list[str] = []
        remainder = simple
        if self._alias_re is not None:
            for m in self._alias_re.finditer(simple):
                alias = m.group(1)
                if alias in self.aliases and self.aliases[alias] not in authorities:
                    authorities.append(self.aliases[alias])
                elif alias in self.type_aliases and self.type_aliases[alias] not in types:
                    types.append(self.type_aliases[alias])
            remainder = self._alias_re.sub(" ", remainder)
        years: list[int] = []
        for first, second in _YEAR_RANGE.findall(query):
            y = int(first)
            years.append(y)
            nxt = int(second) if len(second) == 4 else (y // 100) * 100 + int(second)
            if nxt == y + 1:
                years.append(nxt)
        years += [int(y) for y in _YEAR.findall(query)]
        remainder = re.sub(r"\b(?:19|20)\d\d(?:\s+\d{2,4})?\b", " ", remainder)
        acronyms = {}
        for token in re.findall(r"\b[A-Za-z][A-Za-z&]{1,9}\b", query):
            expansion = self.glossary.get(token.lower())
            if expansion and (sum(c.isupper() for c in token) >= 2) and token not in acronyms:
                acronyms[token] = expansion
        years_t = tuple(dict.fromkeys(years))
        interp = Interpretation(tuple(authorities), years_t, tuple(types), acronyms, " ".join(remainder.split()))
        docs, fields = self._matching_docs(interp)
        return Interpretation(interp.authorities, interp.years, interp.doc_types, interp.acronyms, interp.remainder,
                              docs, fields)

    def _matching_docs(self, interp: Interpretation) -> tuple[frozenset[str], int]:
        """Documents matching the most recognised fields (at least one), and how many fields they match;
        (empty, 0) if nothing recognised."""
        return self._docs_of(interp.authorities, interp.years, interp.doc_types)

    def _docs_matching(self, authorities: tuple[str, ...], years: tuple[int, ...],
                       doc_types: tuple[str, ...]) -> tuple[frozenset[str], int]:
        if not (authorities or years or doc_types):
            return frozenset(), 0
        score = np.zeros(len(self._ids), dtype=np.int8)
        fields = np.zeros(len(self._ids), dtype=np.int8)
        # the place is the strongest signal: 2 points; a year or a document type 1 each
        for name, wanted, points in (("authority", authorities, 2), ("year", years, 1), ("doc_type", doc_types, 1)):
            hit = np.zeros(len(self._ids), dtype=bool)
            for value in wanted:
                if (rows := self._rows[name].get(value)) is not None:
                    hit[rows] = True
            score += points * hit
            fields += hit
        best = int(score.max(initial=0))
        if not best:
            return frozenset(), 0
        rows = np.flatnonzero(score == best)
        if len(rows) == len(self._ids):
            return frozenset(), 0
        weakest = int(fields[rows].min())  # the weakest of the tied matches decides
        return frozenset(map(self._ids.__getitem__, rows.tolist())), weakest
