"""Is the question's topic in the evidence? The key terms of a question, and which of them no passage covers.

A question's key terms are its content words once the asking frame is gone ("What was the council's
housing repairs budget in 2009/10?" -> housing, repairs, budget): question words, the verbs and
comparatives that frame what is asked ("say", "struggling", "sooner"), and the periods and numbers
that search/constraints.py checks apart. A key term is covered by a text when the text holds it
(as a BM25 term), when the index's glossary links it to an acronym the text holds (or the other way
round), or when a word of the text is its neighbour in the embedding space (cosine >= NEIGHBOUR:
"youngsters" ~ "young", "woman" ~ "lady"). A key term that no retrieved passage covers means the
reports do not speak of it: search/answer.py abstains and names it.
"""

from __future__ import annotations

import re
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

import numpy as np

from quarry.analysis import TOKEN, stopwords, terms
from quarry.records import Hit
from search.answer_candidates import term_set

if TYPE_CHECKING:
    from search.api import Searcher

# Word-level cosine of all-MiniLM-L6-v2 above which a passage word stands in for a question word. Measured on
# pairs: woman~lady 0.77, youngsters~young people 0.88, repairs~maintenance 0.73, religious~faith 0.67,
# schools~education 0.73 (neighbours); repairs~adaptations 0.29, bins~waste 0.38, tax~budget 0.37 (not).
NEIGHBOUR = 0.6
MAX_NEIGHBOUR_WORDS = 4000  # passage words compared per question (latency bound)

# Words that frame what is asked rather than name a topic (kept out of the key terms).
_FRAME = ("what which who whom whose when where why how is are was were do does did has have had can could will "
          "would should may might say said says tell told think thought find found findings conclude concluded "
          "describe described note noted mention mentioned comment commented report reported show showed shown "
          "main overall key total average mean number numbers figure figures amount level year years period time "
          "times kind type way ways happen happened get got give gave given make made take took go went come came "
          "want wanted keep kept hold held run ran call called try tried tell many much more most less fewer "
          "better worse best worst sooner later earlier harder easier big bigger large larger small smaller "
          "anyone anything someone something everyone everything one ones thing things lot lots rest "
          "about any some there their they it its this that these those the a an of in on for to by with from as "
          "at or and but not no than then so such into during over under between before after also still now "
          "ago well since per compared compare comparison change changed changes role around often end stand play "
          "carry issue issues identify several extra additional top whether fed feed fill use used need needed "
          "wanting seem seems look looked spend spent spending cost costs paid pay "
          "among amongst across towards toward against upon via through throughout beyond within")
_VERB_LIKE = re.compile(r"(?:ing|ed)$")  # "struggling", "recovering", "bought" aside: verbs frame the question
_DIGITS = re.compile(r"\d")
# "Which bodies was the letter copied to?", "What verdict did patients give": the noun asked for names the kind
# of answer, which the evidence need not repeat ("Audit Wales, Estyn and HIW").
_ASKED_FOR = re.compile(r"^\s*(?:which|what)\s+(?:[\w'-]+\s+){0,2}?([\w'-]+)\s+(?:did|do|does|was|were|is|are|has|have|had|will|would|can|could)\b", re.I)


def _frame_terms() -> frozenset[str]:
    return frozenset(terms(_FRAME))


@dataclass(frozen=True)
class KeyTerm:
    """One key term of a question: its BM25 term and the word the question wrote."""

    term: str
    word: str


def key_terms(asked: str, skip: Iterable[str] = (), vocabulary: Mapping[str, int] | None = None) -> tuple[KeyTerm, ...]:
    """The question's key content terms in question order (each once), without the asking frame
    and without the terms in `skip` (months: checked by search/constraints.py). A verb-like word
    ("struggling", "recovering") is a key term only when the index's `vocabulary` holds it ("housing")."""
    frame, stop, skip = _frame_terms(), stopwords(), set(skip)
    head = _ASKED_FOR.match(asked)
    if head:
        skip |= set(terms(head.group(1)))
    out: dict[str, KeyTerm] = {}
    for m in TOKEN.finditer(asked):
        word = m.group().strip(".'\u2019")
        low = word.lower()
        if not word or low in stop or _DIGITS.search(word):
            continue
        verb_like = _VERB_LIKE.search(low) and not word[0].isupper() and len(low) > 4
        for t in terms(word):
            if verb_like and (vocabulary is None or not vocabulary.get(t)):
                continue
            if t in frame or t in skip or t in out:
                continue
            out[t] = KeyTerm(t, re.sub(r"['\u2019]s$", "", word))
    return tuple(out.values())


def glossary_links(glossary: Mapping[str, str]) -> dict[str, set[frozenset[str]]]:
    """For each term, the term sets that stand for it: an acronym's expansion, an expansion word's acronym."""
    links: dict[str, set[frozenset[str]]] = {}
    for acronym, expansion in glossary.items():
        short = frozenset(terms(acronym))
        long = frozenset(terms(expansion))
        if not short or not long:
            continue
        for t in short:
            links.setdefault(t, set()).add(long)
        for t in long:
            links.setdefault(t, set()).add(short)
    return links


def glossary_links_of(searcher: "Searcher") -> dict[str, set[frozenset[str]]]:
    """`glossary_links` of the searcher's index, made once per opened index."""
    return searcher.derived("glossary_links", lambda se: glossary_links(se.interpreter.glossary))


def covered_by(key: KeyTerm, found: frozenset[str] | set[str], links: Mapping[str, set[frozenset[str]]]) -> bool:
    """True when a text's terms hold the key term or a glossary equivalent of it."""
    return key.term in found or any(alt <= found for alt in links.get(key.term, ()))


@dataclass(frozen=True)
class Coverage:
    """Which key terms the retrieved passages cover (stems, glossary or neighbours) and which they do not."""

    keys: tuple[KeyTerm, ...]
    neighbours: Mapping[str, str]  # key term -> the passage word standing in for it
    missing: tuple[KeyTerm, ...]  # covered by no passage
    absent: tuple[KeyTerm, ...]  # of those, never seen anywhere in the index

    idf: Mapping[str, float] = field(default_factory=dict)  # key term -> its IDF over the index's passages

    @property
    def missing_share(self) -> float:
        """The IDF-weighted share of the key terms that no passage covers (0 when there are none)."""
        return self.share(self.missing)

    def share(self, keys: Sequence[KeyTerm]) -> float:
        """The IDF-weighted share of the question's key terms that `keys` carry."""
        total = sum(self.idf.get(k.term, 0.0) for k in self.keys)
        return sum(self.idf.get(k.term, 0.0) for k in keys) / total if total else 0.0

    def phrase(self, keys: Sequence[KeyTerm] | None = None, question: str = "") -> str:
        """The missing words as the question wrote them, adjacent ones joined: "housing repairs"."""
        keys = self.missing if keys is None else keys
        return join_words([k.word for k in keys], question)


def join_words(words: Sequence[str], question: str = "") -> str:
    """Words as a phrase list: those adjacent in the question become one phrase ("housing repairs")."""
    groups: list[list[str]] = []
    for w in words:
        if groups and question and re.search(re.escape(groups[-1][-1]) + r"['\u2019]?s?\s+" + re.escape(w), question):
            groups[-1].append(w)
        else:
            groups.append([w])
    phrases = [" ".join(g) for g in groups]
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " or " + phrases[-1] if phrases else ""


def passage_terms(hit: Hit) -> frozenset[str]:
    c = hit.chunk
    return term_set(c.text) | term_set(" ".join(c.heading_path) or c.heading) | term_set(hit.doc.title)


def topic_coverage(keys: Sequence[KeyTerm], hits: Sequence[Hit], searcher: "Searcher") -> Coverage:
    """Which key terms any of the passages covers; the rest are looked for among the passages' words
    by embedding (the neighbourhood), and what is still not found is missing."""
    links = glossary_links_of(searcher)
    found: set[str] = set()
    for h in hits:
        found |= passage_terms(h)
    unfound = [k for k in keys if not covered_by(k, found, links)]
    neighbours: dict[str, str] = {}
    if unfound and hits:
        neighbours = nearest_words(unfound, hits, searcher)
    missing = tuple(k for k in unfound if k.term not in neighbours)
    df = searcher.document_frequency
    absent = tuple(k for k in missing if not df.get(k.term) and not links.get(k.term))
    n = len(searcher.chunks)
    idf = {k.term: math.log(1 + (n - df.get(k.term, 0) + 0.5) / (df.get(k.term, 0) + 0.5)) for k in keys}
    return Coverage(tuple(keys), neighbours, missing, absent, idf)


def nearest_words(keys: Sequence[KeyTerm], hits: Sequence[Hit], searcher: "Searcher") -> dict[str, str]:
    """For each key term, a word of the passages within NEIGHBOUR cosine of it (when there is one)."""
    closest = _closest(keys, content_words(h.chunk.text for h in hits), searcher)
    return {k.term: word for k, (word, cos) in zip(keys, closest) if cos >= NEIGHBOUR}


def unsaid(keys: Sequence[KeyTerm], texts: Iterable[str], searcher: "Searcher") -> list[KeyTerm]:
    """The key terms no word of `texts` stands in for (cosine >= NEIGHBOUR: "received" ~ "receipt"); for
    terms `uncovered` already found missing from the texts' stems and glossary."""
    closest = _closest(keys, content_words(texts), searcher)
    return [k for k, (_, cos) in zip(keys, closest) if cos < NEIGHBOUR]


def content_words(texts: Iterable[str]) -> list[str]:
    """The texts' words in lower case, each once, without stopwords, numbers and words of two letters."""
    stop = stopwords()
    words: dict[str, None] = {}
    for text in texts:
        for m in TOKEN.finditer(text):
            w = m.group().lower().strip(".'\u2019")
            if len(w) > 2 and w not in stop and not _DIGITS.search(w):
                words.setdefault(w)
    return list(words)


def _closest(keys: Sequence[KeyTerm], words: Sequence[str], searcher: "Searcher") -> list[tuple[str, float]]:
    """For each key term, the word of `words` (the first MAX_NEIGHBOUR_WORDS) nearest it in the embedding
    space and their cosine ("", 0.0 when there are no words)."""
    vocab = list(words)[:MAX_NEIGHBOUR_WORDS]
    if not vocab or not keys:
        return [("", 0.0)] * len(keys)
    vectors = searcher.embed([k.word.lower() for k in keys] + vocab)
    sims = vectors[:len(keys)] @ vectors[len(keys):].T
    best = np.argmax(sims, axis=1)
    return [(vocab[b], float(row[b])) for b, row in zip(best, sims)]


def not_said(keys: Sequence[KeyTerm], texts: Sequence[str], searcher: "Searcher", neighbours: Mapping[str, str]) -> list[KeyTerm]:
    """The key terms `texts` neither cover (`uncovered`: stem, glossary, the passages' neighbour word) nor hold
    a neighbour word of their own for (`unsaid`)."""
    missing = uncovered(keys, texts, searcher, neighbours)
    return unsaid(missing, texts, searcher) if missing else []


def uncovered(keys: Sequence[KeyTerm], texts: Iterable[str], searcher: "Searcher", neighbours: Mapping[str, str]) -> list[KeyTerm]:
    """The key terms none of `texts` covers (by stem, glossary, or the neighbour word found for it)."""
    links = glossary_links_of(searcher)
    found: set[str] = set()
    words: set[str] = set()
    for t in texts:
        found |= term_set(t)
        words |= {m.group().lower().strip(".'\u2019") for m in TOKEN.finditer(t)}
    return [k for k in keys if not covered_by(k, found, links) and neighbours.get(k.term) not in words]
