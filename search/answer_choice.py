"""Which scored sentences make the answer: the best one that honours what the question pins down,
then close runners-up that add something the question asks about (a key term the chosen sentences
leave out) or, for questions that are not factoid, state the same finding in another document;
overlapping quotes merged. A factoid question (how many / how much / when / who ...) is answered by
one sentence when that sentence gives the figure and covers what the others would."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from search.answer_candidates import Candidate, cut_quote, term_set
from search.answer_scoring import AUTHORITY_WORDS, Question
from search.answer_topic import covered_by, glossary_links_of
from search.answer_types import COUNT, DATE, DAY, DEFINITION, DURATION, FREQUENCY, LABELS, MONEY, NAME, PERCENT, RATING, SOFT
from search.constraints import unmet

if TYPE_CHECKING:
    from search.api import Searcher

RUNNER_UP_MARGIN = 0.3  # further sentences join the answer when they score within this of the best
SAME_FINDING = 0.8  # cosine between two sentences of different documents that state the same finding
NEAR_DUPLICATE = 0.8  # term-set Jaccard above which two sentences of one document repeat each other
MAX_QUOTE_CHARS = 1000  # overlapping quotes merge into one up to this length
FACTOID = frozenset({COUNT, MONEY, DATE, DAY, DURATION, PERCENT, DEFINITION, FREQUENCY, NAME})
_WHO = re.compile(r"^\s*(?:who|whom|whose)\b", re.I)


def factoid(q: Question) -> bool:
    """A question with one fact for an answer: a figure, a date, an expansion, or who."""
    return q.kind in FACTOID or bool(_WHO.match(q.text))


def keys_covered(q: Question, c: Candidate, links) -> set[str]:
    """The question's key terms a candidate's quote says (its heading and document name are shared by its
    neighbours, so they cannot tell whether one more sentence adds anything)."""
    found = term_set(c.quote)
    return {k.term for k in q.keys if covered_by(k, found, links)}


def judgement_required(kind: str | None, ranked: Sequence[Candidate]) -> bool:
    """Whether a question asking how something was judged must be answered by a sentence stating a judgement
    (a table row "... / Requires improvement to be good", "...: outstanding"): when one scores within
    RUNNER_UP_MARGIN of the best. Further down, a grade is another inspection's or another part's ("All areas
    were judged to be good" for "What is RAFT and how did inspectors rate its work?"), and judging stays a
    preference (W_FIGURE), as for causes."""
    top = max((c.score for c in ranked), default=0.0)
    return kind == RATING and any(c.figure and c.score >= top - RUNNER_UP_MARGIN for c in ranked)


def choose(q: Question, ranked: Sequence[Candidate], searcher: "Searcher", most: int,
           checks: bool = True) -> tuple[list[Candidate], str]:
    """The answer's sentences (best first), or [] and why not."""
    authority_terms, known = specifics_context(searcher)
    failures: list[str] = []  # why each better-scoring sentence was passed over

    judged = judgement_required(q.kind, ranked)

    def unmet_by(c: Candidate) -> str:
        if not checks:
            return ""
        if q.kind is not None and (q.kind not in SOFT or judged) and not c.figure:
            return f"no sentence in the closest passages gives {LABELS[q.kind]}"
        if q.personal:
            return ""
        chunk = c.hit.chunk
        context = "\n".join([c.context, c.quote, " ".join(chunk.heading_path) or chunk.heading])
        doc_terms = term_set(" ".join(x for x in (c.hit.doc.title, c.hit.doc.authority or "") if x))
        missing = unmet(q.spec, context, c.hit.doc.years, known, authority_terms, doc_terms, c.hit.doc.published)
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
    links = glossary_links_of(searcher)
    covered = keys_covered(q, primary, links)
    one_fact = factoid(q)  # a factoid takes no sentence that adds nothing; other questions may quote a runner-up that fits
    close = [c for c in ranked if c is not primary and c.score >= primary.score - RUNNER_UP_MARGIN]
    close.sort(key=lambda c: not _same_finding(c, primary))  # other documents saying the same come first
    for c in close:
        if len(chosen) >= most:
            break
        adds = keys_covered(q, c, links) - covered
        if not adds and one_fact:
            continue  # a factoid is answered: nothing the question asks about that is not quoted already
        inside = [i for i, x in enumerate(chosen) if _overlaps(c, x)]
        if inside:  # overlapping quotes (a sentence with its antecedent, and with its continuation) merge
            i = inside[0]
            if len(inside) == 1 and max(c.end, chosen[i].end) - min(c.start, chosen[i].start) <= MAX_QUOTE_CHARS and fits(c):
                chosen[i] = _merge(chosen[i], c, searcher.source_text)
                covered |= adds
            continue
        if any(_repeats(c, x) for x in chosen):
            continue
        near_chosen = any(c.hit.chunk.doc_id == x.hit.chunk.doc_id and c.hit.chunk.heading_path == x.hit.chunk.heading_path
                          for x in chosen)  # same section: the chosen sentence's specifics hold there too
        if fits(c) or near_chosen and _gives_kind(q, c, checks):
            chosen.append(c)
            covered |= adds
    return chosen, ""


def _merge(a: Candidate, b: Candidate, source_text: Callable[[str], str]) -> Candidate:
    """One quote spanning two overlapping ones of a document (cited from the passage it starts in)."""
    first = a if a.start <= b.start else b
    start, end = first.start, max(a.end, b.end)
    chunk = first.hit.chunk
    return Candidate(first.hit, start, end, cut_quote(chunk, start, end, source_text), first.context, max(a.coverage, b.coverage),
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
    ta, tb = term_set(a.quote), term_set(b.quote)
    return bool(ta | tb) and len(ta & tb) / len(ta | tb) >= NEAR_DUPLICATE


def specifics_context(searcher: "Searcher") -> tuple[frozenset[str], "_Known"]:
    """What search/constraints.py `unmet` reads of the index: the words naming its authorities, and the
    terms it has seen (passages and metadata); made once per opened index."""
    return (searcher.derived("authority_terms", _authority_terms),
            _Known(searcher.document_frequency, searcher.derived("metadata_terms", _metadata_terms)))


class _Known:
    """Terms the index has seen: in its passages (the BM25 vocabulary) or its documents' metadata."""

    def __init__(self, vocab: Mapping[str, int], metadata: frozenset[str]):
        self.vocab, self.metadata = vocab, metadata

    def __contains__(self, term: object) -> bool:
        return term in self.vocab or term in self.metadata


def _metadata_terms(searcher: "Searcher") -> frozenset[str]:
    names = {x for d in searcher.doc_infos.values() for x in (d.title, d.authority, d.publisher) if x}
    return frozenset(t for name in names for t in term_set(name))


def _authority_terms(searcher: "Searcher") -> frozenset[str]:
    """Words naming the local authorities of the indexed documents ("cardiff", "wrexham")."""
    names = {d.authority for d in searcher.doc_infos.values() if d.authority}
    return frozenset(t for name in names for t in term_set(name)) - AUTHORITY_WORDS

