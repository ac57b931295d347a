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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import numpy as np

from quarry.analysis import sentence_spans, terms
from quarry.records import Answer, Citation, Hit
from search.answer_types import COUNT, LABELS, acronym_asked, counted, has_figure, question_type
from search.constraints import Specifics, specifics, unmet
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
MAX_EMBEDDED = 40  # sentences embedded per question (latency bound), chosen by the pre-score
MIN_WORDS = 3  # shorter "sentences" are headings or list labels
RUNNER_UP_MARGIN = 0.1  # further sentences join the answer when they score within this of the best
SAME_FINDING = 0.8  # cosine between two sentences of different documents that state the same finding
NEAR_DUPLICATE = 0.8  # term-set Jaccard above which two sentences of one document repeat each other
CLOSEST_PASSAGES = 3  # passages shown with an abstention
NEXT_SENTENCE_CHARS = 1200  # how far after a sentence its continuation is looked for

# Words that ask rather than say: never counted as content terms of a question.
_ASKING = ("what which who whom whose when where why how is are was were do does did has have had can "
           "could will would should may might say said says tell told find found think mean means stand "
           "happen happened get got give gave make made about many much any some there their they it its "
           "this that these those the a an of in on for to by with from as at or and but not no than then "
           "so such into during over under between before after")
# A next sentence starting like this refers back to the one before: quote them together.
_CONTINUES = re.compile(r"^[\"'\u2018\u201c(]*(?:This|These|That|Those|It|Its|They|Their|Them|He|She|His|Her|Such|"
                        r"Consequently|As a result|However|During this)\b")
_AUTHORITY_WORDS = frozenset(terms("county borough city council metropolitan district of and the royal"))


@dataclass
class Candidate:
    """A sentence of a retrieved passage, with where it stands and how well it answers."""

    hit: Hit
    start: int  # document offsets of the sentence
    end: int
    text: str
    prev: str = ""
    next_start: int | None = None  # the next sentence in the passage, when it continues this one
    next_end: int | None = None
    next_text: str = ""
    coverage: float = 0.0
    cosine: float = 0.0
    figure: bool = False
    score: float = 0.0
    vector: np.ndarray | None = field(default=None, repr=False)

    @property
    def quote_end(self) -> int:
        return self.next_end if self.next_end is not None else self.end

    @property
    def quoted_text(self) -> str:
        return self.text + (" " + self.next_text if self.next_end is not None else "")


@dataclass(frozen=True)
class Question:
    """A question analysed once: content terms with their IDF, the kind of answer wanted, specifics."""

    text: str
    terms: tuple[str, ...]
    idf: Mapping[str, float]
    kind: str | None
    spec: Specifics
    acronym: str | None = None


def answer_question(searcher: "Searcher", question: str, k: int | None = None,
                    filters: Mapping[str, list[str] | str] | None = None, mode: str | None = None,
                    reranker: PairScorer | None = None) -> Answer:
    """An extractive answer of 1-3 cited sentences from the top-k passages, or an abstention."""
    s = searcher.settings
    k = s.answer_passages if k is None else k
    mode = mode or s.mode
    question = searcher.check(question, k, mode)
    hits = searcher.search(question, k=k, mode=mode, filters=filters)
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


def analyse(question: str, searcher: "Searcher") -> Question:
    """Content terms (question words dropped) with their IDF over the index's chunks, type, specifics."""
    asking = set(terms(_ASKING))
    content = tuple(dict.fromkeys(t for t in terms(question) if t not in asking))
    ix = searcher.index
    n = len(ix.chunks)
    idf = {}
    for t in content:
        col = ix.vocab.get(t)
        df = 0 if col is None else int(ix.bm25_indptr[col + 1] - ix.bm25_indptr[col])
        idf[t] = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return Question(question, content, idf, question_type(question), specifics(question), acronym_asked(question))


def coverage(q: Question, found: set[str]) -> float:
    """IDF-weighted share of the question's content terms that are in `found` (0 when it has none)."""
    total = sum(q.idf.values())
    return sum(w for t, w in q.idf.items() if t in found) / total if total else 0.0


def candidates_from(hits: Sequence[Hit], source_text: Callable[[str], str]) -> list[Candidate]:
    """Every sentence of the passages, once (the best-ranked passage holding it wins), in rank order;
    heading-like lines are left out, and a sentence that the next one continues is quoted with it."""
    seen: set[tuple[str, int, int]] = set()
    out = []
    for hit in hits:
        c = hit.chunk
        spans = list(sentence_spans(c.text))
        for i, (a, b) in enumerate(spans):
            key = (c.doc_id, c.char_start + a, c.char_start + b)
            text = c.text[a:b]
            if key in seen or len(text.split()) < MIN_WORDS or not re.search(r"[^\W\d_]", text) or heading_like(text):
                continue
            seen.add(key)
            cand = Candidate(hit, key[1], key[2], text, prev=c.text[spans[i - 1][0]:spans[i - 1][1]] if i else "")
            following = next_sentence(source_text(c.doc_id), key[2])
            if following and (text.rstrip().endswith(":") or _CONTINUES.match(following[2])):
                cand.next_start, cand.next_end, cand.next_text = following
            out.append(cand)
    return out


def next_sentence(source: str, end: int) -> tuple[int, int, str] | None:
    """The sentence after document offset `end` in the same section (no heading between), if any."""
    window = source[end:end + NEXT_SENTENCE_CHARS]
    for a, b in sentence_spans(window):
        if "\n\n" in window[:a].strip(" ") and heading_like(window[a:b]):
            return None
        if b == len(window) and end + b < len(source):
            return None  # cut by the window: too long to quote whole
        return end + a, end + b, window[a:b]
    return None


def heading_like(text: str) -> bool:
    """A title or heading line: no closing punctuation, starts capitalised, mostly capitalised words."""
    words = [w for w in re.findall(r"[^\W\d_][\w'\u2019-]*", text)]
    if not words or re.search(r"[.!?;:,\"\u201d]\s*$", text.strip()) or not words[0][0].isupper():
        return False
    return sum(w[0].isupper() for w in words) / len(words) >= 0.6


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
            context_terms[key] = set(terms(c.hit.doc.title)) | set(terms(" ".join(chunk.heading_path) or chunk.heading))
        own = set(terms(c.quoted_text)) | context_terms[key]
        c.coverage = max(coverage(q, own), CONTEXT_DISCOUNT * coverage(q, own | set(terms(c.prev))))
        c.figure = has_figure(c.quoted_text, q.kind, near, q.acronym)
        c.score = W_LEXICAL * c.coverage + W_PASSAGE / math.sqrt(c.hit.rank) + W_FIGURE * c.figure
    cands.sort(key=lambda c: -c.score)
    cands = cands[:MAX_EMBEDDED]
    if cands:
        vectors = searcher.dense.embedder.embed([q.text] + [c.text for c in cands])
        for c, v in zip(cands, vectors[1:]):
            c.vector = v
            c.cosine = float(v @ vectors[0])
            c.score += W_COSINE * c.cosine
    cands.sort(key=lambda c: (-c.score, c.hit.rank, c.start))
    return cands


def choose(q: Question, ranked: Sequence[Candidate], searcher: "Searcher", most: int,
           checks: bool = True) -> tuple[list[Candidate], str]:
    """The answer's sentences (best first), or [] and why not."""
    authority_terms = _authority_terms(searcher)
    reason = "no sentence in the closest passages answers it"

    def fits(c: Candidate) -> bool:
        nonlocal reason
        if q.kind is not None and not c.figure and checks:
            reason = f"no sentence in the closest passages gives {LABELS[q.kind]}"
            return False
        if not checks:
            return True
        chunk = c.hit.chunk
        context = "\n".join([c.prev, c.quoted_text, " ".join(chunk.heading_path) or chunk.heading])
        doc_terms = terms(" ".join(x for x in (c.hit.doc.title, c.hit.doc.authority or "") if x))
        missing = unmet(q.spec, context, c.hit.doc.years, searcher.index.vocab, authority_terms, doc_terms)
        if missing:
            reason = "the closest passages do not match " + ", ".join(missing)
        return not missing

    primary = next((c for c in ranked if fits(c)), None)
    if primary is None:
        return [], reason
    chosen = [primary]
    for c in ranked:
        if len(chosen) >= most:
            break
        if c is primary or any(_overlaps(c, x) or _repeats(c, x) for x in chosen):
            continue
        same_finding = any(c.hit.chunk.doc_id != x.hit.chunk.doc_id and c.vector is not None and x.vector is not None
                           and float(c.vector @ x.vector) >= SAME_FINDING for x in chosen)
        close = c.score >= primary.score - (2 * RUNNER_UP_MARGIN if same_finding else RUNNER_UP_MARGIN)
        if close and fits(c):
            chosen.append(c)
    return chosen, ""


def _overlaps(a: Candidate, b: Candidate) -> bool:
    same = a.hit.chunk.doc_id == b.hit.chunk.doc_id
    return same and a.start < b.quote_end and b.start < a.quote_end


def _repeats(a: Candidate, b: Candidate) -> bool:
    if a.hit.chunk.doc_id != b.hit.chunk.doc_id:
        return False
    ta, tb = set(terms(a.text)), set(terms(b.text))
    return bool(ta | tb) and len(ta & tb) / len(ta | tb) >= NEAR_DUPLICATE


def _authority_terms(searcher: "Searcher") -> frozenset[str]:
    """Words naming the local authorities of the indexed documents ("cardiff", "wrexham")."""
    names = {d.authority for d in searcher.doc_infos.values() if d.authority}
    return frozenset(t for name in names for t in terms(name)) - _AUTHORITY_WORDS


def _citation(n: int, c: Candidate, searcher: "Searcher") -> Citation:
    chunk = c.hit.chunk  # the sentence is cut from the passage; the whole quote is checked against the source
    quote = chunk.text[c.start - chunk.char_start:c.end - chunk.char_start]
    if c.next_end is not None:
        quote += searcher.source_text(chunk.doc_id)[c.end:c.next_end]
    return Citation(n, c.hit, quote, c.start, c.quote_end, page_at(searcher, c.hit.chunk.doc_id, c.start))


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
