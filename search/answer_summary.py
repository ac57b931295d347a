"""Summary answers: "What did CIW say about Cardiff's safeguarding?" quotes the most central sentences
of the best section of the named document, in document order, each cited.

1. `summary_request` (search/summary_request.py) recognises the question ("What did/does X say/find/note
   about Y", "Summarise what X says about Y", "Summarise Y in X"): who speaks (X) and the topic (Y);
2. the named documents are the ones the query interpretation (search/interpret.py) resolves, kept to
   those matching every field it names (authority, year, document type), and to the publisher the
   question names when it names one ("CIW", "Ofsted", "the inspectors"); none named: the document of
   the best passage for the topic;
3. the topic's passages are retrieved within those documents only (with the speaker's own words when the
   speaker is not their author but quoted in them: "the CSSIW regional director said" in a council's
   report); the first whose section honours what the question pins down (search/constraints.py: periods,
   names, other councils) gives the section;
4. every sentence of that section that stands alone (search/answer_candidates.py: headings out, a
   sentence that leans on the one before dropped, letter furniture the question does not ask about
   dropped) is scored
       W_CENTRAL * cosine(sentence, section centroid) + W_TOPIC * cosine(sentence, topic)
   and the best SUMMARY_SENTENCES within MARGIN of the best are quoted in document order;
5. search/answer.py merges in the ordinary answer's best quote from the same documents when it is as
   close to the topic (`with_best`), so routing a question here never loses what the ordinary answer finds.
The answer abstains, with the reason, when no document matches what the question names, when the named
documents do not match its specifics, or when their passages do not mention the topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from quarry.records import DocInfo, Hit
from search.answer_candidates import Candidate, candidates_from, collapse, depends_on_context, passage_sentences, term_set
from search.answer_scoring import analyse, focus, unasked_boilerplate
from search.answer_choice import specifics_context
from search.answer_topic import Coverage, topic_coverage
from search.constraints import periods_in, unmet
from search.summary_request import SummaryRequest, speaker_query, speaker_words, spoken_by

if TYPE_CHECKING:
    from search.api import Searcher
    from search.interpret import Interpretation

SUMMARY = "summary"  # the answer type, beside those of search/answer_types.py
SUMMARY_SENTENCES = 4  # most sentences quoted (calibration split: 3 gave recall 0.435, 4 gave 0.491)
# Weights of the sentence score, chosen on the calibration split of eval/gold/summary.jsonl (18 answerable): the
# centroid term did not help there (key-sentence recall 0.491 at W_CENTRAL 0, 0.454 at 0.5, 0.481 at 1; precision
# 0.343 / 0.333 / 0.347), so it is off; it stays a weight to try again on sections longer than the letters'.
W_CENTRAL = 0.0
W_TOPIC = 1.0
MARGIN = 0.35  # a sentence is quoted only when it scores within this of the best one (0.1-1.0 made no difference)
MAX_SECTION_SENTENCES = 60  # sentences of a section embedded (latency bound; the largest seed section has ~55)
MAX_SECTIONS = 1  # sections of the best-ranked passages kept (on the calibration split, scoring the first three
# by their sentences' cosine to the topic and the passage rank chose worse than the best passage's own: 0.49 vs 0.56 recall)
MISSING_SHARE = 0.3  # as search/answer.py: abstain when the passages miss this share of the key terms
SKIPPED_KINDS = frozenset({"contents", "closing"})  # sections that are no document's finding
MAX_QUOTING_DOCS = 50  # more named documents than this (a filter, not a name): who speaks is not searched for



def named_documents(interp: "Interpretation", infos: Mapping[str, DocInfo], speaker: frozenset[str]) -> tuple[set[str], str]:
    """The documents matching every field the question names (authority, year, type) and the speaker
    when any document has that speaker; (empty, why) when none does, (empty, "") when nothing is named."""
    if not (interp.authorities or interp.years or interp.doc_types):
        docs = set()
    else:
        docs = {d for d in interp.docs if _matches_all(infos[d], interp)}
        if not docs:
            return set(), f"no indexed document matches {_named(interp)}"
    if speaker and docs:
        spoken = {d for d in docs if spoken_by(infos[d], speaker)}
        docs = spoken or docs  # a speaker we cannot place (a person's title) does not rule documents out
    return docs, ""


def _of_period(docs: set[str], infos: Mapping[str, DocInfo], source: str) -> tuple[set[str], str]:
    """The documents whose own period is the one who speaks names ("CIW's 2019-20 performance letter": the review
    of 2019-20, not the 2018-19 one that mentions its plans for 2019-20); documents without a period stay."""
    named = [p for p in periods_in(source) if len(p) == 2]
    if not named:
        return docs, ""
    kept = {d for d in docs if not infos[d].period or _years_of(infos[d].period) in named}
    return kept, "" if kept else f"no indexed document is of {' or '.join('-'.join(str(y) for y in sorted(p)) for p in named)}"


def _years_of(period: str) -> frozenset[int]:
    """The years a document's period spans: "2018-19" and "April 2018 - March 2019" are both {2018, 2019}."""
    return frozenset(y for p in periods_in(period) for y in p)


def _matches_all(info: DocInfo, interp: "Interpretation") -> bool:
    years = set(info.years or ((info.year,) if info.year else ()))
    return ((not interp.authorities or info.authority in interp.authorities)
            and (not interp.years or bool(years & set(interp.years)))
            and (not interp.doc_types or info.doc_type in interp.doc_types))


def _quoted_speaker(searcher: "Searcher", source: str, docs: set[str]) -> str:
    """`speaker_query` when the speaker is not the author of the named documents (no named document's
    publisher or title is the speaker's, or the speaker names no body); "" when it is, when nothing is
    named and the speaker is a body (its best passage's document speaks), or when too many are named."""
    speaker = speaker_words(source)
    if len(docs) > MAX_QUOTING_DOCS or (speaker and not docs):
        return ""
    infos = [searcher.doc_infos[d] for d in sorted(docs)]
    if speaker and any(spoken_by(i, speaker) for i in infos):
        return ""
    metadata = term_set(" ".join(x for i in infos for x in (i.title, i.authority, i.publisher, i.doc_type) if x))
    return speaker_query(focus(source, searcher), metadata)


def _named(interp: "Interpretation") -> str:
    """"Wrexham County Borough Council, 2016 or 2017": what the question names, as the reason shows it."""
    parts = [" or ".join(p) for p in (interp.authorities, [str(y) for y in interp.years], interp.doc_types) if p]
    return "; ".join(parts)


def sentence_scores(vectors: np.ndarray, topic: np.ndarray) -> np.ndarray:
    """W_CENTRAL x cosine to the section's centroid (the unit mean of its sentence vectors) + W_TOPIC x
    cosine to the topic, for unit sentence vectors (rows)."""
    if not len(vectors):
        return np.zeros(0)
    centroid = vectors.mean(axis=0)
    norm = float(np.linalg.norm(centroid))
    central = vectors @ (centroid / norm) if norm else np.zeros(len(vectors))
    return W_CENTRAL * central + W_TOPIC * (vectors @ topic)


def pick(spans: Sequence[tuple[int, int]], scores: Sequence[float], most: int, margin: float = MARGIN) -> list[int]:
    """Indexes of the best-scoring spans (at most `most`, within `margin` of the best, none overlapping
    a better one), in document order."""
    order = sorted(range(len(spans)), key=lambda i: (-scores[i], spans[i][0]))
    chosen: list[int] = []
    for i in order:
        if len(chosen) >= most or scores[i] < scores[order[0]] - margin:
            break
        a, b = spans[i]
        if any(a < spans[j][1] and spans[j][0] < b for j in chosen):
            continue
        chosen.append(i)
    return sorted(chosen, key=lambda i: spans[i][0])


@dataclass
class Summary:
    """What `summarise` found: the quoted sentences (document order) or why there are none."""

    hits: list[Hit]  # the topic's passages within the named documents
    chosen: list[Candidate] = field(default_factory=list)
    reason: str = ""  # why it abstains (empty when it answers)
    coverage: Coverage | None = None  # set when it abstains because the passages miss the topic
    interpreted: dict[str, Any] = field(default_factory=dict)
    scope: frozenset[str] = frozenset()  # the documents it may quote: the named ones, else the one it quotes (or
    # when it abstains as the topic's passages miss its terms: the named documents, for the ordinary answer to try)
    topic: np.ndarray | None = field(default=None, repr=False)  # the topic's unit vector


def summarise(searcher: "Searcher", question: str, request: SummaryRequest, k: int, mode: str,
              filters: Mapping[str, list[str] | str] | None = None, most: int = SUMMARY_SENTENCES,
              checks: bool = True) -> Summary:
    """The most central sentences of the best section for the topic in the named document."""
    interp = searcher.interpret(question)
    docs, why = named_documents(interp, searcher.doc_infos, speaker_words(request.source))
    allowed = searcher.allowed(filters)
    info: dict[str, Any] = {"answer_type": SUMMARY, "speaker": request.source, "topic": request.topic}
    if not why and docs:
        docs, why = _of_period(docs, searcher.doc_infos, request.source)
    if why:
        return Summary([], reason=why, interpreted=info)
    if allowed is not None:
        docs = (docs & allowed) if docs else set(allowed)
        if not docs:
            return Summary([], reason="no named document passes the filters", interpreted=info)
    scope = {**(filters or {}), "doc": sorted(docs)} if docs else filters
    topic_query = focus(request.topic, searcher) or request.topic
    quoted = _quoted_speaker(searcher, request.source, docs)
    if quoted:  # who speaks is quoted in the documents, not their author: their words find where (not what)
        info["quoted_speaker"] = quoted
    hits = searcher.search(f"{quoted} {topic_query}".strip(), k=k, mode=mode, filters=scope).hits
    if not docs and hits:  # nothing named: the document of the best passage speaks
        hits = [h for h in hits if h.chunk.doc_id == hits[0].chunk.doc_id]
    info["documents"] = sorted({h.chunk.doc_id for h in hits}) if not docs else sorted(docs)
    if not hits:
        return Summary([], reason="no passage of the named document matches" + (" the filters" if filters else ""), interpreted=info)
    q = analyse(question, searcher)  # specifics (periods, names) of the whole question
    info["specifics"] = q.spec.to_dict()
    if checks:  # the topic's key terms only: "Summarise" or "the conclusion of the report" are no topic
        coverage = topic_coverage(analyse(f"What did they say about {request.topic}?", searcher).keys, hits, searcher)
        if coverage.missing and coverage.missing_share >= MISSING_SHARE:
            return Summary(hits, reason="", coverage=coverage, interpreted=info, scope=frozenset(docs))
    sections, why = _sections(searcher, q, hits, checks, strict_names=not docs)
    if not sections:
        return Summary(hits, reason=why, interpreted=info)
    doc_id, start, end, heading = sections[0]
    cands = _section_candidates(searcher, q, hits, doc_id, start, end)
    if not cands:
        return Summary(hits, reason="the section has no quotable sentence", interpreted=info)
    vectors = searcher.embed([topic_query] + [_embedded(c) for c in cands])
    topic, v = vectors[0], vectors[1:]
    info.update(document=doc_id, section=heading, documents=[doc_id])
    scores = sentence_scores(v, topic)
    keep = pick([(c.start, c.end) for c in cands], scores.tolist(), most)
    for i, c in enumerate(cands):
        c.score, c.cosine, c.vector = float(scores[i]), float(v[i] @ topic), v[i]
    info["summary_score"] = round(float(scores.max()), 4)
    return Summary(hits, [cands[i] for i in keep], interpreted=info, scope=frozenset(docs or {doc_id}), topic=topic)


def _sections(searcher: "Searcher", q, hits: Sequence[Hit], checks: bool,
              strict_names: bool) -> tuple[list[tuple[str, int, int, str]], str]:
    """(doc id, start, end, heading) of the first MAX_SECTIONS sections holding the best-ranked passages
    that honour the question's specifics (periods, names: search/constraints.py), or [] and what none
    honoured. `strict_names` (no document named): each name of the question must be in the document."""
    authority_terms, known = specifics_context(searcher)
    failures: list[str] = []
    out: list[tuple[str, int, int, str]] = []
    for hit in hits:
        doc = searcher.index.docs[hit.chunk.doc_id]
        section = next((s for s in doc.sections if s["char_start"] <= hit.chunk.char_start < s["char_end"]), None)
        if section is None or section.get("kind") in SKIPPED_KINDS:
            continue
        key = (hit.chunk.doc_id, section["char_start"], section["char_end"])
        if any(key == x[:3] for x in out):
            continue
        text = doc.text[section["char_start"]:section["char_end"]]
        heading = " > ".join(section.get("heading_path") or []) or section.get("title") or ""
        if checks and not q.personal:
            doc_terms = term_set(" ".join(x for x in (hit.doc.title, hit.doc.authority or "", hit.doc.publisher or "") if x))
            missing = unmet(q.spec, f"{heading}\n{text}", hit.doc.years, known, authority_terms, doc_terms, hit.doc.published)
            if strict_names:
                in_doc = doc_terms | term_set(doc.text)
                missing += [q.spec.word(n) for n in q.spec.names if n not in in_doc and q.spec.word(n) not in missing]
            if missing:
                failures.append(", ".join(missing))
                continue
        out.append((*key, heading))
        if len(out) >= MAX_SECTIONS:
            break
    return out, "" if out else "the named documents do not match " + (failures[0] if failures else "the question")


def _section_candidates(searcher: "Searcher", q, hits: Sequence[Hit], doc_id: str, start: int, end: int) -> list[Candidate]:
    """The section's quotable sentences, those of the retrieved passages first (by rank), then the rest
    in document order; letter furniture the question does not ask about left out."""
    retrieved = [h for h in hits if h.chunk.doc_id == doc_id]
    have = {h.chunk.chunk_id for h in retrieved}
    info = searcher.doc_infos[doc_id]
    rest = [searcher.chunks[int(r)] for r in searcher.chunks.rows_of(doc_id)]
    rest = sorted((c for c in rest if c.chunk_id not in have and c.char_start < end and start < c.char_end), key=lambda c: c.char_start)
    section_hits = retrieved + [Hit(c, info, 0.0, len(hits) + i) for i, c in enumerate(rest, start=1)]
    out, seen = [], set()
    for c in candidates_from(section_hits, searcher.source_text):
        c = _first_sentence(c)
        if c is None or (c.start, c.end) in seen or not (start <= c.start and c.end <= end) or unasked_boilerplate(q, c.quote):
            continue
        seen.add((c.start, c.end))
        out.append(c)
    return sorted(out[:MAX_SECTION_SENTENCES], key=lambda c: c.start)


def _first_sentence(c: Candidate) -> Candidate | None:
    """A summary quotes sentences that stand alone: a candidate quoted with its antecedent or continuation
    (search/answer_candidates.py) is cut to its first sentence, and dropped when that one leans back."""
    spans = passage_sentences(c.quote)
    if not spans:
        return None
    a, b = spans[0]
    first = c.quote[a:b]
    if depends_on_context(first):
        return None
    return replace(c, start=c.start + a, end=c.start + b, quote=first)


def _embedded(c: Candidate) -> str:
    return collapse(c.quote)


def with_best(searcher: "Searcher", found: Summary, best: Candidate, most: int = SUMMARY_SENTENCES) -> Summary:
    """`found` with the ordinary answer's best quote (search/answer.py, from `found.scope`) merged in when it is
    as close to the topic as the summary's own sentences are (cosine within MARGIN of their best), so a
    question routed here never loses the sentence the ordinary answer would have quoted."""
    if not found.chosen or found.topic is None:
        return found
    cosine = float(searcher.embed([_embedded(best)])[0] @ found.topic)
    if cosine < max(c.cosine for c in found.chosen) - MARGIN:
        return replace(found, interpreted={**found.interpreted, "best_sentence": "off the topic"})
    merged = with_sentence(found.chosen, replace(best, cosine=cosine), most)
    return replace(found, chosen=merged, interpreted={**found.interpreted, "best_sentence": "quoted"})


def with_sentence(chosen: Sequence[Candidate], extra: Candidate, most: int) -> list[Candidate]:
    """The summary's sentences with `extra` merged in, in document order (the documents in the order first
    quoted): unchanged when a summary sentence already holds it; else it replaces the summary sentences it
    holds (it quotes them with the sentence they lead to) and, past `most`, the lowest-scoring one leaves."""
    doc = extra.hit.chunk.doc_id
    overlapped = [c for c in chosen if c.hit.chunk.doc_id == doc and c.start < extra.end and extra.start < c.end]
    if any(c.start <= extra.start and extra.end <= c.end for c in overlapped):
        return list(chosen)
    kept = [c for c in chosen if c not in overlapped]
    while kept and len(kept) >= most:
        kept.remove(min(kept, key=lambda c: c.score))
    docs = list(dict.fromkeys([c.hit.chunk.doc_id for c in chosen] + [doc]))
    return sorted(kept + [extra], key=lambda c: (docs.index(c.hit.chunk.doc_id), c.start))
