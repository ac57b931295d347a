"""What a question pins down, and whether a piece of evidence honours it (pure functions).

A question about "31 March 2020", "2010/11", "per 10,000 population" or "Swansea" is only answered
by evidence about that date, period, number or place: a sentence about December 2018 or about
another council is the corpus *not* answering. These checks let `quarry ask` abstain on near-miss
questions that score high on similarity alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from quarry.analysis import terms

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
_MONTHS_RE = "|".join(m.capitalize() for m in MONTHS)
_MONTH = re.compile(rf"\b({_MONTHS_RE})\b")  # "May", not "may"
# 2009, 2009/10, 2019-20, 2018-2019; and the short form 09/10
_PERIOD = re.compile(r"(?<![\d.,])((?:19|20)\d\d)(?:\s?[/\u2013-]\s?(\d{4}|\d{2}))?(?![\d%])")
_SHORT_PERIOD = re.compile(r"(?<![\d/.,])(\d\d)/(\d\d)(?![\d/])")
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:st|nd|rd|th)?(?![\w])")
# A month with its year that names a report ("the August 2025 focused visit", "published in May 2023", "when Ofsted
# visited in June 2021"), not a period of the figures asked about ("referrals in April 2022"): the report's own
# date can meet it (`report_month`).
_MONTH_YEAR = re.compile(rf"\b({_MONTHS_RE})\s+((?:19|20)\d\d)(?=\s+(?:[\w-]+\s+){{0,2}}?(?:visit|inspection|report|letter|review)s?\b)|"
                         rf"\b(?:published|visit|inspection|(?:visited|inspected|returned|revisited|looked|reviewed)(?:\s+[\w'\u2019-]+){{0,8}}?)"
                         rf"\s+(?:in\s+|on\s+|during\s+)?({_MONTHS_RE})\s+((?:19|20)\d\d)\b")
# A year alone that names a report ("the 2018 focused visit", "Ofsted's 2023 front door visit", "its 2019 inspection"):
# the report's own year, not a year its text mentions ("since Barnsley's last inspection in 2018" in a 2024 letter)
_REPORT_YEAR = re.compile(rf"(?:\b({_MONTHS_RE})\s+)?(?<![\d/\u2013-])\b((?:19|20)\d\d)(?![\d/\u2013-])\s+(?:[\w'\u2019-]+\s+){{0,2}}?"
                          r"(?:visit|inspection|report|letter|review)s?\b")
_DATE = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(" + "|".join(MONTHS) + r")\s+((?:19|20)\d\d)\b", re.I)
_NAME = re.compile(r"(?<![\w'])([A-Z][\w'\u2019-]*)")
# capitalised question words that name nothing
_NOT_NAMES = frozenset("i what which who whom whose when where why how is are was were do does did has have had can could "
                       "will would should may might the a an in on of for to by and or my our your".split())


@dataclass(frozen=True)
class Specifics:
    """The periods, months, numbers and names a question is about."""

    periods: tuple[frozenset[int], ...] = ()
    months: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    names: tuple[str, ...] = ()  # BM25 terms of capitalised words (proper nouns, acronyms)
    words: tuple[str, ...] = ()  # the question's own word for each name ("Ambulance" for "ambul")
    dates: tuple[str, ...] = ()  # whole dates, ISO ("report published 19 november 2021" -> "2021-11-19")
    month_years: tuple[str, ...] = ()  # a report's month, ISO ("the August 2025 focused visit" -> "2025-08")
    report_years: tuple[int, ...] = ()  # a report's year ("the 2018 focused visit" -> 2018)

    def word(self, name: str) -> str:
        """How the question wrote a name term (reasons are shown to people, who never typed stems)."""
        return self.words[self.names.index(name)] if name in self.names and len(self.words) == len(self.names) else name

    def to_dict(self) -> dict[str, list]:
        return {"periods": [sorted(p) for p in self.periods], "months": list(self.months),
                "numbers": list(self.numbers), "names": list(self.names)}


def periods_in(text: str) -> list[frozenset[int]]:
    """Years and financial/academic periods: "2009/10" -> {2009, 2010}, "08/09" -> {2008, 2009}."""
    out = []
    for m in _PERIOD.finditer(text):
        first = int(m.group(1))
        years = {first}
        if m.group(2):
            second = int(m.group(2)) if len(m.group(2)) == 4 else first // 100 * 100 + int(m.group(2))
            second += 100 if second < first else 0  # 1999/00
            if second == first + 1:
                years.add(second)
        out.append(frozenset(years))
    for m in _SHORT_PERIOD.finditer(text):
        a, b = int(m.group(1)), int(m.group(2))
        if b == (a + 1) % 100:
            out.append(frozenset({2000 + a, 2000 + a + 1}))
    return out


def strip_periods(text: str) -> str:
    """The text with its years and periods blanked out."""
    return _SHORT_PERIOD.sub(" ", _PERIOD.sub(" ", text))


# the age of a passage into adulthood says when, not a figure the evidence must repeat ("care leavers still living
# with their foster carers after turning 18": "staying put"); an age that says who ("aged 75", "16-year-olds") stays
_AGE_BEFORE = re.compile(r"\b(?:turning|turned|turn|reaching|reached|reach)\s+$", re.I)
_AGE_AFTER = re.compile(r"^(?:st|nd|rd|th)?\s+birthday\b", re.I)


def numbers_in(text: str) -> set[str]:
    """Numbers written with digits that are not years ("10,000" -> "10000"), nor an age turned ("turning 18")."""
    spans = [m.span() for m in _PERIOD.finditer(text)]
    out = set()
    for m in _NUMBER.finditer(text):
        if any(a <= m.start() < b for a, b in spans):
            continue
        if _AGE_BEFORE.search(text[max(0, m.start() - 12):m.start()]) or _AGE_AFTER.match(text[m.end():m.end() + 20]):
            continue
        out.add(m.group(1).replace(",", ""))
    return out


def months_in(text: str) -> set[str]:
    return {m.lower() for m in _MONTH.findall(text)}


def specifics(question: str) -> Specifics:
    """The periods, months, numbers and proper names a question mentions."""
    names: dict[str, str] = {}  # term -> the word it came from (the first one)
    for m in _NAME.finditer(question):
        word = m.group(1)
        if m.start() == 0 or word.lower() in _NOT_NAMES or word.lower() in MONTHS:
            continue
        for t in terms(word):
            if not t.isdigit():
                names.setdefault(t, re.sub(r"['\u2019]s?$", "", word))
    return Specifics(
        periods=tuple(dict.fromkeys(periods_in(question))),
        months=tuple(sorted(months_in(question))),
        numbers=tuple(sorted(numbers_in(question))),
        names=tuple(names),
        words=tuple(names.values()),
        dates=tuple(dict.fromkeys(dates_in(question))),
        month_years=tuple(dict.fromkeys(f"{int(y or y2):04d}-{MONTHS.index((m or m2).lower()) + 1:02d}"
                                        for m, y, m2, y2 in _MONTH_YEAR.findall(question))),
        report_years=tuple(dict.fromkeys(int(y) for month, y in _REPORT_YEAR.findall(question) if not month)),
    )


def dates_in(text: str) -> list[str]:
    """Whole dates written out ("19 November 2021", "2nd may 2023"), as ISO dates."""
    return [f"{int(y):04d}-{MONTHS.index(m.lower()) + 1:02d}-{int(d):02d}" for d, m, y in _DATE.findall(text)
            if 1 <= int(d) <= 31]


def date_words(iso: str) -> str:
    """A whole date as a question may write it: "2022-04-01" -> "1 April 2022 (01)" ("1 April" or "01 april")."""
    year, month, day = (int(x) for x in iso.split("-"))
    return f"{day} {MONTHS[month - 1].capitalize()} {year} ({day:02d})"


# What a piece of evidence states, remembered per text: a comparison checks the same passages' sentences
# against every topic, and an answer the same sentences again as the question is refined.
@lru_cache(maxsize=50_000)
def _periods_in(text: str) -> tuple[frozenset[int], ...]:
    return tuple(periods_in(text))


@lru_cache(maxsize=50_000)
def _years_in(context: str) -> frozenset[int]:
    return frozenset().union(*_periods_in(context))


@lru_cache(maxsize=50_000)
def _months_in(context: str) -> frozenset[str]:
    return frozenset(months_in(context))


@lru_cache(maxsize=50_000)
def _numbers_in(context: str) -> frozenset[str]:
    return frozenset(numbers_in(context))


def another_time(spec: Specifics, text: str) -> bool:
    """Whether a text is about another time than the question's: it names years or periods, and none
    of them is one the question asks about ("At the last inspection in 2019, ..." for a 2024 report;
    08/09 for 2009/10). A year inside an asked period, or a period holding an asked year, is that time."""
    if not spec.periods:
        return False
    found = _periods_in(text)
    return bool(found) and not any(p == a or p <= a and len(p) == 1 or a <= p and len(a) == 1
                                   for p in found for a in spec.periods)


def unmet(spec: Specifics, context: str, years: Iterable[int] = (), known_terms=None,
          authority_terms: frozenset[str] = frozenset(), doc_terms: Iterable[str] = (),
          published: str | None = None) -> list[str]:
    """What the evidence leaves unmet: periods, months or numbers of the question missing from the
    evidence's context (its sentence, neighbours and heading; for years also its document's years),
    names the whole index has never seen, and local authorities other than the evidence's own.
    A whole date the question names ("the report published 19 November 2021") is met by a document
    `published` that day (ISO), whatever its sentences say; a report's month ("the August 2025 focused
    visit", "published in May 2023") by a document published in that month or soon after (`report_month`). A
    report's year ("the 2018 focused visit") is met only by a document of that year (`years`) or published early
    in the next (`report_of`)."""
    missing: list[str] = []
    missing += [f"a report of {y}" for y in spec.report_years if not report_of(y, years, published)]
    if published and published in spec.dates:
        context = f"{context}\n{date_words(published)}"
    if published:  # the visit's month and year, which its letter (published weeks later) need not repeat
        context += "".join(f"\n{MONTHS[int(m[5:]) - 1].capitalize()} {m[:4]}" for m in spec.month_years if report_month(m, published))
    if spec.periods:
        have_years = set(years) | _years_in(context) | set(spec.report_years)  # a report's year: checked above
        for period in spec.periods:
            if not period <= have_years:
                missing.append("/".join(str(y) for y in sorted(period)))
    if spec.months:
        have_months = _months_in(context)
        missing += [m for m in spec.months if m not in have_months]
    if spec.numbers:
        have_numbers = _numbers_in(context)
        missing += [n for n in spec.numbers if n not in have_numbers]
    have_terms: set[str] | None = None  # the context's terms, made only when a council's name is to be looked up
    for name in spec.names:
        if known_terms is not None and name not in known_terms:
            missing.append(spec.word(name))  # never seen anywhere in the index
        elif name in authority_terms:
            if have_terms is None:
                have_terms = set(terms(context)) | set(doc_terms)
            if name not in have_terms:
                missing.append(spec.word(name))  # another council's evidence
    return missing


REPORT_LAG_MONTHS = 3  # a visit's letter is published within weeks: the September 2021 visit's in October 2021, the 2019 visit's in January 2020


def report_month(month: str, published: str) -> bool:
    """Whether a document published on `published` (ISO) reports on the month `month` ("2021-09"): published in it
    or up to REPORT_LAG_MONTHS months after (the September 2021 visit's letter of October 2021)."""
    lag = (int(published[:4]) - int(month[:4])) * 12 + int(published[5:7] or 0) - int(month[5:7])
    return 0 <= lag <= REPORT_LAG_MONTHS


def report_of(year: int, years: Iterable[int], published: str | None) -> bool:
    """Whether a document is a report of `year`: that is one of its own years, or it was published in the first
    REPORT_LAG_MONTHS months of the next year."""
    if year in set(years):
        return True
    return bool(published) and published[:4] == str(year + 1) and 1 <= int(published[5:7] or 0) <= REPORT_LAG_MONTHS
