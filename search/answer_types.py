"""What kind of answer a question asks for, and whether a sentence gives one (pure functions).

"How many children..." wants a count, "what percentage / proportion / rate" a percentage or rate,
"how much did ... spend / cost" a sum of money, "when" a date, "how long" a duration, and
"what does MARAC stand for" the acronym's expansion, "who chaired / who was the director" a name, and "why / what
caused" a cause ("due to..."). The answer scorer gives a bonus to sentences
that give the kind of answer asked for; a count or duration only counts when it stands within a
few words of something the question names ("76 children", not "6 inspections").
"""

from __future__ import annotations

import re

from quarry.analysis import stem, terms

COUNT, PERCENT, MONEY, DATE, DURATION, DEFINITION = "count", "percent", "money", "date", "duration", "definition"
CAUSE, RATING, NAME, FREQUENCY, DAY = "cause", "rating", "name", "frequency", "day"
SOFT = frozenset({CAUSE, RATING, FREQUENCY})  # kinds that earn the bonus but are not required of an answer
# (FREQUENCY: "How often had bed and breakfasts been used?" is answered by "for five care leavers")
LABELS = {COUNT: "a count", PERCENT: "a percentage or rate", MONEY: "a sum of money", DATE: "a date",
          DURATION: "a duration", DEFINITION: "what the acronym stands for", CAUSE: "a cause", RATING: "a judgement",
          NAME: "a name", FREQUENCY: "how often", DAY: "a day of the month"}
NEAR_WORDS = 8  # a figure is about a thing when they stand this many words apart at most

_ACRONYM_QUESTION = re.compile(r"^\s*(?i:what\s+(?:is|are|does|do)\s+(?:the\s+|an?\s+)?)([A-Z][A-Za-z]*[A-Z][A-Za-z]*)\b"
                               r"(?i:\s+(?:stand\s+for|mean)\b.*|\s*\??\s*)$", re.S)
_HOW_MANY = re.compile(r"\b(?:how many|what number of|number of)\s+((?:[\w'\u2019-]+\s+){0,4}[\w'\u2019-]+)", re.I)
_AVERAGE_OF = re.compile(r"\bwhat (?:is|was|were|are) the (?:average|mean|median|total)\s+((?:[\w'\u2019-]+\s+){0,4}[\w'\u2019-]+)", re.I)
_PHRASE_END = frozenset("did do does were was are is have has had will would can could should of in on at for to by "
                        "with from per that who which were there".split())
_IRREGULAR_PLURALS = frozenset("children people staff men women".split())
# what someone is asked to have done by "Who chaired ...?": the verb its answer must say (`role_asked`)
_NAME_VERBS = (r"chaired|chairs|led|leads|headed|heads|ran|runs|signed|wrote|inspected|conducted|managed|manages|oversaw|"
               r"oversees|commissioned|commissions|funded|funds|appointed|founded|set up")
_PEOPLE = r"(?:inspectors?|officers?|members?|managers?|directors?|chairs?|chairmen|chairman|chairpersons?|councillors?|ministers?|leaders?)"
_WHICH_PEOPLE = rf"^\s*which\s+(?:[\w'\u2019-]+\s+){{0,2}}?(?P<people>{_PEOPLE})\s+(?:was|were|is|are|did|has|have|had|[a-z]+ed)\b"
_QUESTION = (  # checked in this order: "what percentage of the budget" is a percentage question
    (PERCENT, re.compile(r"\b(?:percentage|proportion|per ?cent|ratio|share of|rates? of)\b|"
                         r"\b(?:the|a|an|what|which|its|their|[\w-]+'s)\s+(?:[\w-]+\s+){0,3}rates?\b", re.I)),  # "rate" the noun
    (MONEY, re.compile(r"\bhow much\b|£|\b(?:what|how big|how large)\b[^?]*\b(?:costs?|spen[dt]|spending|budgets?|"
                       r"overspen[dt]|underspen[dt])\b", re.I)),
    # "what number(s) of", "the number of" asked for; not "Why were a small number of children ...?"
    (COUNT, re.compile(r"\b(?:how many|what numbers?)\b|\b(?:what|which) (?:is|was|were|are) the (?:total )?numbers? of\b|"
                       r"^\s*(?:the )?(?:total )?numbers? of\b|\bwhat (?:is|was|were|are) the (?:average|mean|median|total)\b", re.I)),
    (FREQUENCY, re.compile(r"\bhow often\b", re.I)),
    (DURATION, re.compile(r"\bhow long\b(?! ago)|\b(?:duration|length) of\b", re.I)),
    # "On which days ...?", "What date was it published?": a month is not an answer ("during April 2019")
    (DAY, re.compile(r"\b(?:what|which) (?:dates?|days?)\b(?! of the week)", re.I)),
    (DATE, re.compile(r"(?:^|[.?!]\s+)when\b|\b(?:what|which) (?:dates?|days?|months?|years?)\b|\bhow long ago\b", re.I)),
    # "How did Ofsted judge...", "What overall effectiveness judgement...", "How was the service rated?"
    (RATING, re.compile(r"\bhow (?:did|does|do|was|were|is|are|has|have)\b[^?]*\b(?:judge|judged|rate|rated|grade|graded)\b|"
                        r"\b(?:what|which)\b[^?]*\b(?:judgements?|judgments?|ratings?|grades?|gradings?)\b"
                        r"(?!\s+(?:systems?|scales?|schemes?|tools?|process(?:es)?|frameworks?|criteria)\b)", re.I)),
    # "Who chaired the board?", "Who was the director?", "Who is commissioned to ...?": a person or a body, by name
    # ("Who do I contact?", "Who can apply?" ask for a kind of person or office, and are not this)
    # "What was the name of the chief executive ...?", "Which CIW inspectors carried out ...?" too
    (NAME, re.compile(rf"^\s*(?:who|whom)\s+(?:was|is|were|are|has been|had been|{_NAME_VERBS})\b|"
                      r"^\s*what\s+(?:is|was|were|are)\s+the\s+names?\s+of\b|" + _WHICH_PEOPLE, re.I)),
    (CAUSE, re.compile(r"^\s*why\b|\bwhat (?:caused|causes|made|makes|led to|leads to|was the reason|is the reason|were the reasons)\b", re.I)),
)

_MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_YEAR = r"(?:19|20)\d\d(?:[/-]\d{2,4})?"
_NUMBER_WORDS = (r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                 r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
                 r"hundred|hundreds|thousand|thousands|dozen|dozens")
_UNITS = r"(?:days?|weeks?|months?|years?|hours?|minutes?|working days?)"

_GRADE = r"(?:outstanding|good|requires improvement(?: to be good)?|inadequate|excellent|adequate|satisfactory|poor|weak)"
_FIGURE = {
    # a judgement stated as one: a table row, a heading or a sentence ending in its grade ("...: good",
    # "Services are good."); not a grade in passing ("when it was judged good in 2019": an earlier inspection's)
    RATING: re.compile(rf"(?:^|\s|:){_GRADE}\W*$", re.I),
    CAUSE: re.compile(r"\b(?:because|due to|owing to|as a result|caused by|attributed to|attributable to|result of|"
                      r"reason|reasons|led to|leading to|since)\b", re.I),
    PERCENT: re.compile(r"\d\s?%|\d\s?per ?cent\b|\d\s+per\s+(?:1,?000|10,?000|100,?000)\b", re.I),
    MONEY: re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s?(?:million|billion|bn)\b", re.I),
    DAY: re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?(?:\s*(?:and|to|-|\u2013)\s*\d{{1,2}}(?:st|nd|rd|th)?)?\s+{_MONTHS}\b|"
                    rf"\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?!\d)|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b"),
    DATE: re.compile(rf"\b{_MONTHS}\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b|\b{_YEAR}\b"),  # "May", not "may"
    # "weekly", "every six weeks", "twice a year"; a rate answers too ("How often were staff off ill?": 6.47%)
    FREQUENCY: re.compile(r"\b(?:daily|weekly|fortnightly|monthly|quarterly|annually|yearly|bi-?monthly|bi-?annually|bi-?weekly)\b|"
                          r"\b(?:every|each)\s+(?:\d+\s+|two\s+|three\s+|four\s+|six\s+|other\s+)?(?:days?|weeks?|fortnights?|months?|"
                          r"quarters?|years?)\b|\b(?:once|twice|\w+\s+times)\s+(?:a|per|each|every)\s+(?:day|week|fortnight|month|"
                          r"quarter|year)\b|\d\s?%|\d\s?per ?cent\b", re.I),
    DURATION: re.compile(rf"\b(?:\d+(?:\.\d+)?|an?|one|{_NUMBER_WORDS})\s+(?:(?:more|full|whole|working|calendar|further)\s+)?{_UNITS}\b", re.I),
}
# A count: a number that is not a year, a date, a list number, a percentage or a sum of money.
_NUMBER = re.compile(r"(?<![\w£$€./-])(\d[\d,]*(?:\.\d+)?)(?![\w%/-]|\.\d)")
_COUNT_WORD = re.compile(rf"\b(?:{_NUMBER_WORDS})\b", re.I)
_WORD = re.compile(r"[^\W_]+")


def question_type(question: str) -> str | None:
    """The kind of answer a question asks for (count, percent, money, date, duration, definition), or None."""
    if _ACRONYM_QUESTION.match(question):
        return DEFINITION
    for kind, pattern in _QUESTION:
        if pattern.search(question):
            return kind
    return None


def counted(question: str) -> str | None:
    """The thing a "how many" question counts: "How many new foster carers did..." -> "carers", "How many
    children's homes ..." -> "homes" (a possessive qualifies what is counted), "What was the average caseload
    of ..." -> "caseload"."""
    m = _HOW_MANY.search(question) or _AVERAGE_OF.search(question)
    if not m:
        return None
    words = _phrase(m.group(1))
    for w in words:
        if _plural(w) and not _POSSESSIVE.search(w):
            return w
    return words[-1] if words else None


_POSSESSIVE = re.compile(r"['\u2019]s?$")


def _phrase(words: str) -> list[str]:
    """The words of a noun phrase up to the first that ends it ("respite care in 2009/10" -> respite, care)."""
    out = []
    for w in words.split():
        if w.lower() in _PHRASE_END:
            break
        out.append(w)
    return out


def _plural(word: str) -> bool:
    """A lower-case plural noun, as far as its ending tells: "carers", "children" (not "business")."""
    return word[0].islower() and (word.endswith("s") and not word.endswith("ss") or word in _IRREGULAR_PLURALS)


_RATE_OF = re.compile(r"\b(?:percentage|proportion|per ?cent|ratio|share|rates?)\s+of\s+((?:[\w'-]+\s+){0,4}[\w'-]+)", re.I)
_WHAT = re.compile(r"\b(?:what|which)\b", re.I)
_OPENERS = frozenset("the a an what which its their was is were are".split())
_THE_X_RATE = re.compile(r"\b(?:the|a|an|what|which|its|their|[\w-]+'s)\s+((?:[\w-]+\s+){1,3}?)rates?\b", re.I)


def measured(question: str) -> str | None:
    """What a percentage question measures: "the staff sickness absence rate" -> "staff sickness absence",
    "What proportion of children in need ..." -> "children"."""
    m = _RATE_OF.search(question)
    if m:
        words = []
        for w in m.group(1).split():
            if w.lower() in _PHRASE_END:
                break
            words.append(w)
            if _plural(w):  # "referrals led to ...": the phrase ends at its plural noun
                break
        return " ".join(words) or None
    m = _THE_X_RATE.search(question)
    if not m or not _WHAT.search(question, 0, m.end()):  # "Do we note payments below the official rate?" asks no rate
        return None
    words = m.group(1).split()
    last = max((i for i, w in enumerate(words) if w.lower() in _OPENERS or w.lower().endswith("'s")), default=-1)
    return " ".join(words[last + 1:]) or None


_SPENT_ON = re.compile(r"\b(?:spen[dt]|spending|expenditure|costs?|budgets?|invest(?:ed)?|paid|pay)\s+(?:on|for|of)\s+"
                       r"((?:[\w'\u2019-]+\s+){0,4}[\w'\u2019-]+)", re.I)


def spent_on(question: str) -> str | None:
    """What a sum of money is asked of: "How much did Wrexham spend on respite care in 2009/10?" -> "respite care"."""
    m = _SPENT_ON.search(question)
    return (" ".join(_phrase(m.group(1))) or None) if m else None


# "How many children were adopted ...": what happened to them is part of what is counted (a regular participle;
# "were made", "were seen" say nothing the count's sentence must repeat)
_COUNT_PARTICIPLE = re.compile(r"\bhow many\b[^?]*?\b(?:were|was|are|is|have been|has been|had been|being)\s+([a-z]+ed)\b", re.I)


# "How many people with dementia ...": what they have is part of what is counted too
_COUNT_WITH = re.compile(r"\bhow many\s+(?:[\w'\u2019-]+\s+){0,3}?(?:with|who have|who had)\s+((?:[\w'\u2019-]+\s+)?[\w'\u2019-]+)", re.I)


def counted_as(question: str) -> str | None:
    """The thing a count question counts with what happened to it or what it has: "How many children were adopted in
    Wrexham?" -> "children adopted", "How many people with dementia ...?" -> "people dementia"; else `counted`."""
    thing = counted(question)
    if not thing:
        return None
    extra = [m.group(1) for m in (_COUNT_WITH.search(question), _COUNT_PARTICIPLE.search(question)) if m]
    words = [w for w in " ".join(extra).split() if w.lower() not in _PHRASE_END]
    return " ".join([thing, *words])


def figure_subject(question: str, kind: str | None) -> str | None:
    """The words naming what a count, percentage or sum of money question asks the figure of (None for other kinds)."""
    return {COUNT: counted_as, PERCENT: measured, MONEY: spent_on}.get(kind, lambda _: None)(question)


_AVERAGE = re.compile(r"\b(?:average|mean|median|typical|typically|ratio|per (?:head|person|child|worker|social worker|capita|"
                      r"\d[\d,]*)|caseloads?|rate)\b", re.I)
_MEASURES = frozenset("hours days weeks months years minutes miles kilometres metres hectares tonnes".split())


def asks_average(question: str) -> bool:
    """Whether a count question may be answered by a number with decimals: an average ("the average caseload",
    "per 10,000", "typically") or a count of a measure ("How many weeks ...": 3.5 weeks)."""
    return _AVERAGE.search(question) is not None or (counted(question) or "").lower() in _MEASURES


def acronym_asked(question: str) -> str | None:
    """The acronym a "what does X stand for / what is X" question asks about."""
    m = _ACRONYM_QUESTION.match(question)
    return m.group(1) if m else None


def has_figure(sentence: str, kind: str | None, near: frozenset[str] | set[str] = frozenset(),
               acronym: str | None = None, averaged: bool = False) -> bool:
    """True when the sentence gives the kind of answer asked for; counts and durations must stand
    within NEAR_WORDS words of one of the `near` terms (when any are given); a name must be none of them
    (for NAME, `near` are the question's own terms). A count is a whole number unless the question asks for an
    average or a ratio (`averaged`: see `asks_average`)."""
    if kind is None:
        return False
    if kind == DEFINITION:
        return acronym is not None and _defines(sentence, acronym)
    if kind == NAME:
        return names_someone(sentence, near)
    if kind == COUNT:
        spans = [m.span() for m in _COUNT_WORD.finditer(sentence)] + [m.span(1) for m in _NUMBER.finditer(sentence) if _is_count(m, averaged)]
    else:
        spans = [m.span() for m in _FIGURE[kind].finditer(sentence)]
    if not spans:
        return False
    if kind not in (COUNT, DURATION) or not near:
        return True
    return any(_near(sentence, a, b, near) for a, b in spans)


_CAPITALISED = re.compile(r"(?<![\w'\u2019])([A-Z][\w'\u2019&-]*)")
_NO_NAMES = frozenset("january february march april may june july august september october november december monday "
                      "tuesday wednesday thursday friday saturday sunday".split())


def names_someone(sentence: str, asked: frozenset[str] | set[str]) -> bool:
    """Whether a sentence names a person or a body the question does not ("'Action for Children'", "Jan Edwards",
    "CIW"): a capitalised word that does not open the sentence (or a list item), is no stopword, month or day,
    and none of whose terms is one of the question's `asked` terms ("Cardiff", "Director" when asked of them)."""
    for m in _CAPITALISED.finditer(sentence):
        before = sentence[:m.start()].rstrip(" \"'\u2018\u201c(")
        if not before or before[-1] in ".!?:;\u2022*-\u2013":
            continue  # capitalised because it opens a sentence or an item
        word = m.group(1)
        found = terms(word)
        if found and word.lower() not in _NO_NAMES and not set(found) & asked:
            return True
    return False


_ROLE = re.compile(rf"^\s*(?:who|whom)\s+(?:(?P<verb>{_NAME_VERBS})|(?:was|is|were|are|has been|had been)\s+(?P<rest>.*))",
                   re.I | re.S)
_NAME_OF = re.compile(r"^\s*what\s+(?:is|was|were|are)\s+the\s+names?\s+of\s+(?P<verb>)(?P<rest>.*)", re.I | re.S)
_ROLE_STOP = frozenset("the a an its their his her our your this that these those".split())
_ROLE_END = frozenset("of for in at to on with from by during when who which that and or".split())


def role_asked(question: str) -> str | None:
    """What a NAME question asks the name of: its verb ("Who chaired ..." -> "chaired") or, after "who was / is",
    the head of the role named ("Who was Cardiff's Director of Social Services?" -> "Director", "Who was the lead
    inspector for ...?" -> "inspector", "Who is commissioned to ...?" -> "commissioned")."""
    people = re.match(_WHICH_PEOPLE, question, re.I)
    if people:
        return people.group("people")
    m = _ROLE.match(question) or _NAME_OF.match(question)
    if not m:
        return None
    if m.group("verb"):
        return m.group("verb")
    phrase: list[str] = []
    for w in re.findall(r"[\w'\u2019-]+", m.group("rest")):
        low = w.lower()
        if low in _ROLE_END or phrase and low in _ROLE_STOP:
            break
        if low in _ROLE_STOP or _POSSESSIVE.search(w) and w[0].isupper():
            continue  # "the", "Cardiff's": who the role belongs to, not the role
        phrase.append(w)
    return phrase[-1] if phrase else None


def _defines(sentence: str, acronym: str) -> bool:
    """"Multi-Agency Risk Assessment Conference (MARAC)" or "MARAC - Multi-Agency ..."."""
    a = re.escape(acronym)
    return re.search(rf"[A-Za-z][\w-]*\s+\(\s*{a}s?\s*\)|\b{a}s?\s*[-\u2013\u2014:=]\s*[A-Z]", sentence, re.I) is not None


def _near(sentence: str, start: int, end: int, near: frozenset[str] | set[str]) -> bool:
    words = [(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(sentence)]
    at = [i for i, (a, b, _) in enumerate(words) if a < end and start < b] or \
         [min(range(len(words)), key=lambda i: abs(words[i][0] - start))] if words else []
    if not at:
        return False
    lo, hi = max(0, at[0] - NEAR_WORDS), min(len(words), at[-1] + NEAR_WORDS + 1)
    return any(stem(w) in near for _, _, w in words[lo:hi])


def _is_count(match: re.Match[str], averaged: bool = False) -> bool:
    value = match.group(1)
    digits = value.replace(",", "")
    if re.fullmatch(r"(?:19|20)\d\d", digits):  # a year
        return False
    text = match.string
    if "." in digits and not averaged and not re.match(r"\s*(?:FTE|full[\s-]time|whole[\s-]time)", text[match.end():], re.I):
        return False  # things are counted whole: 19.5 is an average or a ratio ("caseload increased to 19.5"), 12.5 FTE a count
    after = text[match.end():match.end() + 20]
    before = text[max(0, match.start() - 12):match.start()]
    if not text[:match.start()].strip(" -*\u2022(") and re.match(r"[.)]", after):
        return False  # a list number: "3. During 2009/10..."
    if re.match(r"\s?(?:%|per ?cent\b|million\b|billion\b)", after, re.I):
        return False
    if re.match(rf"(?:st|nd|rd|th)?(?:\s*(?:and|to|-|\u2013)\s*\d{{1,2}}(?:st|nd|rd|th)?)?\s+{_MONTHS}", after, re.I) \
            or re.search(rf"{_MONTHS}\s+$", before, re.I):
        return False  # "31 March", "15 and 16 October", "December 2018"
    if re.match(r"(?:\s*(?:and|or|to|-|\u2013)\s*\d{1,2})?[\s-]*years?[\s-]*olds?\b", after, re.I) \
            or re.search(r"\baged\s+(?:between\s+|under\s+|over\s+)?(?:\d{1,2}\s*(?:and|or|to|-|\u2013)\s*)?$", before, re.I):
        return False  # an age: "16 and 17 year-old", "aged 16 to 18"
    return True
