"""A question analysed once, and the candidate sentences scored against it (the formula in search/answer.py)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from quarry.analysis import terms
from quarry.records import DocInfo, Hit
from search.answer_candidates import Candidate, boilerplate, candidates_from, collapse, passage_sentences, term_set
from search.answer_topic import KeyTerm, key_terms
from search.answer_types import COUNT, acronym_asked, asks_average, counted, has_figure, question_type
from search.constraints import Specifics, another_time, date_words, specifics, strip_periods

if TYPE_CHECKING:
    from search.api import Searcher

# Sentence score weights (see the formula in search/answer.py). Chosen as round values on the seed gold set;
# eval/answers.py reports what they give.
W_COSINE = 1.0
W_LEXICAL = 0.75
W_PASSAGE = 0.2
W_FIGURE = 0.2
W_OTHER_TIME = 0.2  # taken off a sentence naming only years the question does not ask about (constraints.another_time)
CONTEXT_DISCOUNT = 0.7  # a sentence's coverage counted with its previous sentence, discounted
MAX_EMBEDDED = 24  # sentences embedded per question (latency bound), chosen by the pre-score; 40 gave the same
# seed span hit (0.842) and ConditionalQA evidence hit (0.520) at 1.7x the embedding work

# Words that ask rather than say: never counted as content terms of a question.
_ASKING = ("what which who whom whose when where why how is are was were do does did has have had can "
           "could will would should may might say said says tell told find found think mean means stand "
           "happen happened get got give gave make made about many much any some there their they it its "
           "this that these those the a an of in on for to by with from as at or and but not no than then "
           "so such into during over under between before after")

# "Can I take my nephew to Boston?": the place is the asker's circumstance, not what the answer is about
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|I\u2019m|I\u2019ve|[Mm]y|[Mm]e|[Ww]e|[Oo]ur|[Uu]s)\b")

AUTHORITY_WORDS = frozenset(terms("county borough city council metropolitan district of and the royal"))


@dataclass(frozen=True)
class Question:
    """A question analysed once: content terms with their IDF, the kind of answer wanted, specifics."""

    text: str
    terms: tuple[str, ...]
    idf: Mapping[str, float]
    kind: str | None
    spec: Specifics
    acronym: str | None = None
    focused: str = ""  # the question as embedded for the cosine (see `focus`)
    personal: bool = False  # asked in the first person: its dates, places and numbers are the asker's situation
    keys: tuple[KeyTerm, ...] = ()  # the key terms whose coverage decides the topic (search/answer_topic.py)


def best_rank(hit: Hit) -> int:
    """The best rank any retriever (or the fusion) gave a passage."""
    return min([hit.rank, *hit.ranks.values()])


def focus(question: str, searcher: "Searcher") -> str:
    """The question without the names of the index's local authorities and without periods: a
    sentence rarely repeats which council or year its document is about (that is checked apart)."""
    names = searcher.derived("authority_names", _authority_names)
    text = names.sub(" ", question) if names else question
    text = strip_periods(text)
    text = re.sub(r"\b(?:in|during|for|at|of)\s+(?=[?,.;]|$)", " ", " ".join(text.split()))
    return " ".join(text.split()) or question


def _authority_names(searcher: "Searcher") -> "re.Pattern[str] | None":
    """One pattern for the names of the index's local authorities, each also by its distinctive words, longest
    first (from the document facets, made once per opened index: no document decoded)."""
    authorities = searcher.index.docs.facets.rows["authority"]
    names = sorted({n for a in authorities if a for n in (a, *_distinctive(a))}, key=len, reverse=True)
    if not names:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")(?:['\u2019]s)?\b")


def _distinctive(authority: str) -> list[str]:
    """"Wrexham County Borough Council" -> ["Wrexham"]: the words that are not the council's kind."""
    words = [w for w in authority.split() if not term_set(w) <= AUTHORITY_WORDS]
    return [" ".join(words)] if words else []


def asked_part(text: str) -> str:
    """The question itself, without the scenario around it ("My nephew lives with us... Can I take him
    abroad?", or "Can I take him abroad? (scenario: my nephew...)"): from the first sentence that asks
    (ends with "?") to the last one; the whole text when none does."""
    asking = [(a, b) for a, b in passage_sentences(text) if text[a:b].rstrip().endswith("?")]
    if not asking:
        return text
    a, b = asking[0][0], asking[-1][1]
    return text if (a, b) == (0, len(text)) else text[a:b].strip()


def analyse(question: str, searcher: "Searcher") -> Question:
    """Content terms (question words dropped) with their IDF over the index's chunks, type, specifics,
    all of the part that asks; the whole text retrieves the passages and is embedded for the cosine."""
    asked = asked_part(question)
    stop = set(terms(_ASKING))
    content = tuple(dict.fromkeys(t for t in terms(asked) if t not in stop))
    n = len(searcher.chunks)
    df = searcher.document_frequency
    idf = {t: math.log(1 + (n - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5)) for t in content}
    # the cosine reads the whole text (a scenario tells what "it" is); coverage, type and specifics the asked part
    spec = specifics(asked)
    months = {t for m in spec.months for t in terms(m)}  # checked by search/constraints.py
    return Question(asked, content, idf, question_type(asked), spec, acronym_asked(asked),
                    focus(question, searcher), _FIRST_PERSON.search(question) is not None,
                    key_terms(asked, months, df))


def document_terms(q: Question, doc: DocInfo) -> frozenset[str]:
    """What a passage's document says of it to the question: its title's terms, and the words of a whole
    date the question names when the document was published that day ("01", "1", "april", "2022")."""
    found = term_set(doc.title)
    if doc.published and doc.published in q.spec.dates:
        found = found | term_set(date_words(doc.published))
    return found


def coverage(q: Question, found: set[str]) -> float:
    """IDF-weighted share of the question's content terms that are in `found` (0 when it has none)."""
    total = sum(q.idf.values())
    return sum(w for t, w in q.idf.items() if t in found) / total if total else 0.0


def figure_test(q: Question) -> Callable[[str], bool]:
    """Whether a quote gives the kind of answer the question asks for (search/answer_types.py `has_figure`): a
    count must stand by the thing counted, a name must be none of the question's own words."""
    thing = counted(q.text) if q.kind == COUNT else None
    near = frozenset(terms(thing) if thing else q.terms)
    averaged = asks_average(q.text)
    given = _given_numbers(q.spec.numbers) if q.kind == COUNT else None
    if given is None:
        return lambda quote: has_figure(quote, q.kind, near, q.acronym, averaged)
    # a number the question gives is no answer to it ("How many of the 142 children ...", "because of COVID-19")
    return lambda quote: has_figure(given.sub(" ", quote), q.kind, near, q.acronym, averaged)


def _given_numbers(numbers: Sequence[str]) -> "re.Pattern[str] | None":
    """One pattern for the numbers a question gives, as a text may write them ("10000" or "10,000")."""
    if not numbers:
        return None
    forms = {f"{int(n):,}" if n.isdigit() else n for n in numbers} | set(numbers)
    return re.compile(r"(?<![\d.,])(?:" + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)) + r")(?![\d.,]\d|\d)")


def score_candidates(q: Question, hits: Sequence[Hit], searcher: "Searcher") -> list[Candidate]:
    """Candidates scored by the formula in the module docstring, best first."""
    cands = [c for c in candidates_from(hits, searcher.source_text) if not unasked_boilerplate(q, c.quote)]
    gives = figure_test(q)
    context_terms: dict[str, set[str]] = {}
    for c in cands:
        chunk = c.hit.chunk
        key = f"{chunk.doc_id}\n{chunk.heading}"
        if key not in context_terms:
            context_terms[key] = document_terms(q, c.hit.doc) | term_set(" ".join(chunk.heading_path) or chunk.heading)
        own = term_set(c.quote) | context_terms[key]
        c.coverage = max(coverage(q, own), CONTEXT_DISCOUNT * coverage(q, own | term_set(c.context)))
        c.figure = gives(c.quote)
        c.score = (W_LEXICAL * c.coverage + W_PASSAGE / math.sqrt(best_rank(c.hit)) + W_FIGURE * c.figure
                   - W_OTHER_TIME * another_time(q.spec, c.quote))
    cands.sort(key=lambda c: -c.score)
    cands = cands[:MAX_EMBEDDED]
    if cands:
        vectors = searcher.embed([q.focused or q.text] + [_embedded(c) for c in cands])
        for c, v in zip(cands, vectors[1:]):
            c.vector = v
            c.cosine = float(v @ vectors[0])
            c.score += W_COSINE * c.cosine
    cands.sort(key=lambda c: (-c.score, c.hit.rank, c.start))
    return cands


def unasked_boilerplate(q: Question, quote: str) -> bool:
    """Letter furniture ("this letter has been copied to...") is quoted only when the question asks about it."""
    asked_by = boilerplate(quote)
    return asked_by is not None and not asked_by & set(q.terms)


def _embedded(c: Candidate) -> str:
    """What the model reads of a candidate: the quote after its section heading ("Fostering and
    Adoption: The inspectors were of the opinion..."), which says what a bare sentence is about."""
    heading = c.hit.chunk.heading.strip()
    return f"{heading}: {collapse(c.quote)}" if heading else collapse(c.quote)

