"""Extractive answers: the sentences of the top passages that answer a question, cited and verified.

`answer_question` runs, for one question:
1. retrieve the top-k hybrid passages (optionally reordered by a cross-encoder: search/rerank.py);
2. take every sentence of those passages (quarry.analysis.sentence_spans), once even when
   overlapping windows repeat it, placed in its document (chunk.char_start + offset);
3. pre-score them cheaply (everything but the cosine) and embed only the best MAX_EMBEDDED,
   in one batch with the question;
4. score them:
       score = W_COSINE  * cosine(question, sentence)
             + W_LEXICAL * coverage        IDF-weighted share of the question's content terms found in the
                                           sentence, its heading and its document's title (or CONTEXT_DISCOUNT
                                           x the share found when the previous sentence is included)
             + W_PASSAGE / sqrt(rank of the passage holding it)
             + W_FIGURE  * [it states the kind of figure asked for: count, %, money, date, duration]
5. answer with the best sentence whose context honours what the question pins down (periods,
   dates, numbers, places: search/constraints.py), plus up to two close runners-up and sentences
   from other documents that state the same finding; a sentence ending in ":" or followed by one
   that refers back to it ("This is due to...") is quoted together with that next sentence;
6. abstain when no sentence honours the question's specifics, or the best scores under the
   `abstain_below` setting (calibrated on eval/gold/seed.jsonl: see eval/answers.py);
7. check every quote against the stored source text (search/verify.py) before returning.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import numpy as np

from quarry.analysis import sentence_spans, terms
from quarry.records import Answer, Citation, Hit
from search.answer_types import COUNT, LABELS, SOFT, acronym_asked, counted, has_figure, question_type
from search.constraints import Specifics, specifics, strip_periods, unmet
from search.rerank import PairScorer, rerank
from search.verify import verify_citations

if TYPE_CHECKING:
    from search.api import Searcher

ABSTAIN_TEXT = "The corpus does not answer this confidently."

# Sentence score weights (see the module docstring). Chosen as round values on the seed gold set;
# eval/answers.py reports what they give.
W_COSINE = 1.0
W_LEXICAL = 0.75
W_PASSAGE = 0.2
W_FIGURE = 0.2
CONTEXT_DISCOUNT = 0.7  # a sentence's coverage counted with its previous sentence, discounted
MAX_EMBEDDED = 24  # sentences embedded per question (latency bound), chosen by the pre-score; 40 gave the same
# seed span hit (0.842) and ConditionalQA evidence hit (0.520) at 1.7x the embedding work
MIN_WORDS = 3  # shorter "sentences" are headings or list labels
HEADING_WORDS = 8  # a capitalised line this short without closing punctuation is a heading
RUNNER_UP_MARGIN = 0.3  # further sentences join the answer when they score within this of the best
SAME_FINDING = 0.8  # cosine between two sentences of different documents that state the same finding
NEAR_DUPLICATE = 0.8  # term-set Jaccard above which two sentences of one document repeat each other
CLOSEST_PASSAGES = 3  # passages shown with an abstention
LEXICAL_EXTRAS = 10  # BM25's top passages also read when fusion ranked them below k
MAX_QUOTE_CHARS = 1000  # overlapping quotes merge into one up to this length
NEXT_SENTENCE_CHARS = 600  # how far after a passage's last sentence its continuation is looked for

# Words that ask rather than say: never counted as content terms of a question.
_ASKING = ("what which who whom whose when where why how is are was were do does did has have had can "
           "could will would should may might say said says tell told find found think mean means stand "
           "happen happened get got give gave make made about many much any some there their they it its "
           "this that these those the a an of in on for to by with from as at or and but not no than then "
           "so such into during over under between before after")
# A next sentence starting like this refers back to the one before: quote them together.
_CONTINUES = re.compile(r"^[\"'\u2018\u201c(]*(?:This|These|That|Those|It|Its|They|Their|Them|He|She|His|Her|Such|"
                        r"Consequently|As a result|However|During this)\b")
# "Can I take my nephew to Boston?": the place is the asker's circumstance, not what the answer is about
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|I\u2019m|I\u2019ve|[Mm]y|[Mm]e|[Ww]e|[Oo]ur|[Uu]s)\b")
_AUTHORITY_WORDS = frozenset(terms("county borough city council metropolitan district of and the royal"))


@dataclass
class Candidate:
    """A quotable stretch of a retrieved passage: one sentence, or two when one continues the other."""

    hit: Hit
    start: int  # document offsets of the quote
    end: int
    quote: str  # == document text[start:end]
    context: str = ""  # the sentence before the quote and the sub-heading line above it
    coverage: float = 0.0
    cosine: float = 0.0
    figure: bool = False
    score: float = 0.0
    vector: np.ndarray | None = field(default=None, repr=False)


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


def answer_question(searcher: "Searcher", question: str, k: int | None = None,
                    filters: Mapping[str, list[str] | str] | None = None, mode: str | None = None,
                    reranker: PairScorer | None = None) -> Answer:
    """An extractive answer of 1-3 cited sentences from the top-k passages, or an abstention."""
    s = searcher.settings
    k = s.answer_passages if k is None else k
    mode = mode or s.mode
    question = searcher.check(question, k, mode)
    hits = searcher.search(question, k=k, mode=mode, filters=filters).hits
    if mode == "hybrid" and hits:
        hits = with_lexical_extras(hits, searcher.search(question, k=LEXICAL_EXTRAS, mode="bm25", filters=filters).hits)
    if reranker is not None:
        hits = rerank(question, hits, reranker)
    q = analyse(question, searcher)
    interpreted: dict = {"answer_type": q.kind, "specifics": q.spec.to_dict(), "abstain_below": s.abstain_below}
    if not hits:
        return _abstain(question, hits, interpreted, "no passage matches" + (" the filters" if filters else ""))
    candidates = score_candidates(q, hits, searcher)
    chosen, reason = choose(q, candidates, searcher, s.answer_sentences, s.answer_checks)
    best = chosen[0].score if chosen else (max((c.score for c in candidates), default=0.0))
    interpreted["confidence"] = round(float(best), 4)
    if not chosen:
        return _abstain(question, hits, interpreted, reason)
    if chosen[0].score < s.abstain_below:
        return _abstain(question, hits, interpreted, f"the best evidence scores {chosen[0].score:.2f}, under {s.abstain_below}")
    citations = tuple(_citation(n, c, searcher) for n, c in enumerate(chosen, start=1))
    verify_citations(citations, searcher.source_text)
    text = " ".join(f"{_collapse(c.quote)} [{c.n}]" for c in citations)
    return Answer(question, text, False, citations, tuple(hits), interpreted)


def with_lexical_extras(hits: list[Hit], lexical: list[Hit]) -> list[Hit]:
    """The fused passages, then BM25's best ones that fusion left out (a strong keyword match
    that the dense model missed still offers its sentences), ranked after them."""
    have = {h.chunk.chunk_id for h in hits}
    extra = [h for h in lexical if h.chunk.chunk_id not in have]
    return hits + [replace(h, rank=len(hits) + i) for i, h in enumerate(extra, start=1)]


def best_rank(hit: Hit) -> int:
    """The best rank any retriever (or the fusion) gave a passage."""
    return min([hit.rank, *hit.ranks.values()])


def focus(question: str, searcher: "Searcher") -> str:
    """The question without the names of the index's local authorities and without periods: a
    sentence rarely repeats which council or year its document is about (that is checked apart)."""
    names = sorted({n for d in searcher.doc_infos.values() if d.authority
                    for n in (d.authority, *_distinctive(d.authority))}, key=len, reverse=True)
    text = question
    if names:
        text = re.sub(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")(?:['\u2019]s)?\b", " ", text)
    text = strip_periods(text)
    text = re.sub(r"\b(?:in|during|for|at|of)\s+(?=[?,.;]|$)", " ", " ".join(text.split()))
    return " ".join(text.split()) or question


def _distinctive(authority: str) -> list[str]:
    """"Wrexham County Borough Council" -> ["Wrexham"]: the words that are not the council's kind."""
    words = [w for w in authority.split() if not _terms(w) <= _AUTHORITY_WORDS]
    return [" ".join(words)] if words else []


def asked_part(text: str) -> str:
    """The question itself when a scenario comes first ("My nephew lives with us... Can I take him
    abroad?"): from the first sentence that asks (ends with "?") to the end; else the whole text."""
    for a, b in _sentences(text):
        if text[a:b].rstrip().endswith("?"):
            return text[a:].strip() if a else text
    return text


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
    return Question(asked, content, idf, question_type(asked), specifics(asked), acronym_asked(asked),
                    focus(question, searcher), _FIRST_PERSON.search(question) is not None)


def coverage(q: Question, found: set[str]) -> float:
    """IDF-weighted share of the question's content terms that are in `found` (0 when it has none)."""
    total = sum(q.idf.values())
    return sum(w for t, w in q.idf.items() if t in found) / total if total else 0.0


def candidates_from(hits: Sequence[Hit], source_text: Callable[[str], str]) -> list[Candidate]:
    """Every sentence of the passages, once (the best-ranked passage holding it wins), in rank order.

    Heading-like lines are left out (they become the context of the sentences under them). A
    sentence that refers back ("This is due to...") is quoted with the sentence before it, and one
    ending in ":" or followed by such a sentence with the next.
    """
    seen: set[tuple[str, int, int]] = set()
    out = []
    for hit in hits:
        c = hit.chunk
        spans = _sentences(c.text)
        texts = [c.text[a:b] for a, b in spans]
        titles = [heading_like(t) for t in texts]
        subheading = ""
        for i, (a, b) in enumerate(spans):
            text = texts[i]
            if titles[i]:
                subheading = text
                continue
            if len(text.split()) < MIN_WORDS or not re.search(r"[^\W\d_]", text):
                continue
            start, end, first = c.char_start + a, c.char_start + b, i
            if i and _CONTINUES.match(text) and not titles[i - 1]:
                start, first = c.char_start + spans[i - 1][0], i - 1
            else:
                following = (c.char_start + spans[i + 1][0], c.char_start + spans[i + 1][1], texts[i + 1]) if i + 1 < len(spans) \
                    else next_sentence(source_text(c.doc_id), end)
                if following and not (i + 1 < len(spans) and titles[i + 1]) and \
                        (text.rstrip().endswith(":") or _CONTINUES.match(following[2])):
                    end = following[1]
            if (c.doc_id, start, end) in seen:
                continue
            seen.add((c.doc_id, start, end))
            context = "\n".join(x for x in (subheading, texts[first - 1] if first else "") if x)
            out.append(Candidate(hit, start, end, _cut(c, start, end, source_text), context=context))
    return out


def _cut(chunk, start: int, end: int, source_text: Callable[[str], str]) -> str:
    """The quote cut from the passage's own text (from the source only where it runs past the passage)."""
    if chunk.char_start <= start and end <= chunk.char_end:
        return chunk.text[start - chunk.char_start:end - chunk.char_start]
    source = source_text(chunk.doc_id)
    head = chunk.text[start - chunk.char_start:] if chunk.char_start <= start < chunk.char_end else ""
    return head + source[start + len(head):end]


@lru_cache(maxsize=20_000)
def _sentences(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans of a passage, computed once per passage text in a process."""
    return tuple(sentence_spans(text))


@lru_cache(maxsize=200_000)
def _terms(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def next_sentence(source: str, end: int) -> tuple[int, int, str] | None:
    """The sentence after document offset `end` in the same section (no heading between), if any."""
    window = source[end:end + NEXT_SENTENCE_CHARS]
    for a, b in _sentences(window):
        if "\n\n" in window[:a].strip(" ") and heading_like(window[a:b]):
            return None
        if b == len(window) and end + b < len(source):
            return None  # cut by the window: too long to quote whole
        return end + a, end + b, window[a:b]
    return None


def heading_like(text: str) -> bool:
    """A title or heading line: no closing punctuation, starts capitalised, and is either short
    (at most HEADING_WORDS words) or mostly capitalised words. Table rows ("a | b") are not headings."""
    stripped = text.strip()
    words = re.findall(r"[^\W\d_][\w'\u2019-]*", stripped)
    if not words or "|" in stripped or re.search(r"[.!?;:,\"\u201d]\s*$", stripped) or not words[0][0].isupper():
        return False
    return len(words) <= HEADING_WORDS or sum(w[0].isupper() for w in words) / len(words) >= 0.6


def score_candidates(q: Question, hits: Sequence[Hit], searcher: "Searcher") -> list[Candidate]:
    """Candidates scored by the formula in the module docstring, best first."""
    cands = candidates_from(hits, searcher.source_text)
    thing = counted(q.text) if q.kind == COUNT else None
    near = frozenset(terms(thing) if thing else q.terms)  # a count must stand by the thing counted
    context_terms: dict[str, set[str]] = {}
    for c in cands:
        chunk = c.hit.chunk
        key = f"{chunk.doc_id}\n{chunk.heading}"
        if key not in context_terms:
            context_terms[key] = _terms(c.hit.doc.title) | _terms(" ".join(chunk.heading_path) or chunk.heading)
        own = _terms(c.quote) | context_terms[key]
        c.coverage = max(coverage(q, own), CONTEXT_DISCOUNT * coverage(q, own | _terms(c.context)))
        c.figure = has_figure(c.quote, q.kind, near, q.acronym)
        c.score = W_LEXICAL * c.coverage + W_PASSAGE / math.sqrt(best_rank(c.hit)) + W_FIGURE * c.figure
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


def _embedded(c: Candidate) -> str:
    """What the model reads of a candidate: the quote after its section heading ("Fostering and
    Adoption: The inspectors were of the opinion..."), which says what a bare sentence is about."""
    heading = c.hit.chunk.heading.strip()
    return f"{heading}: {_collapse(c.quote)}" if heading else _collapse(c.quote)


def choose(q: Question, ranked: Sequence[Candidate], searcher: "Searcher", most: int,
           checks: bool = True) -> tuple[list[Candidate], str]:
    """The answer's sentences (best first), or [] and why not."""
    authority_terms = _authority_terms(searcher)
    known = _Known(searcher.document_frequency, _metadata_terms(searcher))
    failures: list[str] = []  # why each better-scoring sentence was passed over

    def unmet_by(c: Candidate) -> str:
        if not checks:
            return ""
        if q.kind is not None and q.kind not in SOFT and not c.figure:
            return f"no sentence in the closest passages gives {LABELS[q.kind]}"
        if q.personal:
            return ""
        chunk = c.hit.chunk
        context = "\n".join([c.context, c.quote, " ".join(chunk.heading_path) or chunk.heading])
        doc_terms = _terms(" ".join(x for x in (c.hit.doc.title, c.hit.doc.authority or "") if x))
        missing = unmet(q.spec, context, c.hit.doc.years, known, authority_terms, doc_terms)
        return "the closest passages do not match " + ", ".join(missing) if missing else ""

    def fits(c: Candidate) -> bool:
        return not unmet_by(c)

    primary = None
    for c in ranked:
        why = unmet_by(c)
        if not why:
            primary = c
            break
        failures.append(why)
    if primary is None:  # the best sentence giving the kind of answer asked for says what is missing
        specific = [f for f in failures if not f.startswith("no sentence")]
        return [], (specific or failures or ["no sentence in the closest passages answers it"])[0]
    chosen = [primary]
    close = [c for c in ranked if c is not primary and c.score >= primary.score - RUNNER_UP_MARGIN]
    close.sort(key=lambda c: not _same_finding(c, primary))  # other documents saying the same come first
    for c in close:
        if len(chosen) >= most:
            break
        inside = [i for i, x in enumerate(chosen) if _overlaps(c, x)]
        if inside:  # overlapping quotes (a sentence with its antecedent, and with its continuation) merge
            i = inside[0]
            if len(inside) == 1 and max(c.end, chosen[i].end) - min(c.start, chosen[i].start) <= MAX_QUOTE_CHARS and fits(c):
                chosen[i] = _merge(chosen[i], c, searcher.source_text)
            continue
        if any(_repeats(c, x) for x in chosen):
            continue
        near_chosen = any(c.hit.chunk.doc_id == x.hit.chunk.doc_id and c.hit.chunk.heading_path == x.hit.chunk.heading_path
                          for x in chosen)  # same section: the chosen sentence's specifics hold there too
        if fits(c) or near_chosen and _gives_kind(q, c, checks):
            chosen.append(c)
    return chosen, ""


def _merge(a: Candidate, b: Candidate, source_text: Callable[[str], str]) -> Candidate:
    """One quote spanning two overlapping ones of a document (cited from the passage it starts in)."""
    first = a if a.start <= b.start else b
    start, end = first.start, max(a.end, b.end)
    chunk = first.hit.chunk
    return Candidate(first.hit, start, end, _cut(chunk, start, end, source_text), first.context, max(a.coverage, b.coverage),
                     max(a.cosine, b.cosine), a.figure or b.figure, max(a.score, b.score), a.vector if a.score >= b.score else b.vector)


def _same_finding(c: Candidate, primary: Candidate) -> bool:
    """Another document's sentence stating what the primary sentence states (e.g. for another council)."""
    return (c.hit.chunk.doc_id != primary.hit.chunk.doc_id and c.vector is not None and primary.vector is not None
            and float(c.vector @ primary.vector) >= SAME_FINDING)


def _gives_kind(q: Question, c: Candidate, checks: bool) -> bool:
    return q.kind is None or q.kind in SOFT or c.figure or not checks


def _overlaps(a: Candidate, b: Candidate) -> bool:
    same = a.hit.chunk.doc_id == b.hit.chunk.doc_id
    return same and a.start < b.end and b.start < a.end


def _repeats(a: Candidate, b: Candidate) -> bool:
    if a.hit.chunk.doc_id != b.hit.chunk.doc_id:
        return False
    ta, tb = _terms(a.quote), _terms(b.quote)
    return bool(ta | tb) and len(ta & tb) / len(ta | tb) >= NEAR_DUPLICATE


class _Known:
    """Terms the index has seen: in its passages (the BM25 vocabulary) or its documents' metadata."""

    def __init__(self, vocab: Mapping[str, int], metadata: frozenset[str]):
        self.vocab, self.metadata = vocab, metadata

    def __contains__(self, term: object) -> bool:
        return term in self.vocab or term in self.metadata


def _metadata_terms(searcher: "Searcher") -> frozenset[str]:
    names = {x for d in searcher.doc_infos.values() for x in (d.title, d.authority, d.publisher) if x}
    return frozenset(t for name in names for t in _terms(name))


def _authority_terms(searcher: "Searcher") -> frozenset[str]:
    """Words naming the local authorities of the indexed documents ("cardiff", "wrexham")."""
    names = {d.authority for d in searcher.doc_infos.values() if d.authority}
    return frozenset(t for name in names for t in _terms(name)) - _AUTHORITY_WORDS


def _citation(n: int, c: Candidate, searcher: "Searcher") -> Citation:
    return Citation(n, c.hit, c.quote, c.start, c.end, page_at(searcher, c.hit.chunk.doc_id, c.start))


def page_at(searcher: "Searcher", doc_id: str, offset: int) -> int | None:
    """The page holding a document offset, when the document has page marks."""
    marks = searcher.index.docs[doc_id].page_marks
    if not marks:
        return None
    i = bisect_right([m[0] for m in marks], offset) - 1
    return int(marks[max(i, 0)][1])


def _abstain(question: str, hits: Sequence[Hit], interpreted: dict, reason: str) -> Answer:
    interpreted = {**interpreted, "reason": reason}
    return Answer(question, ABSTAIN_TEXT, True, (), tuple(hits[:CLOSEST_PASSAGES]), interpreted)


def _collapse(text: str) -> str:
    return " ".join(text.split())
