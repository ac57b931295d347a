"""Extractive answers: the sentences of the top passages that answer a question, cited and verified.

`ask(searcher, question)` runs, for one question (search/answer_candidates.py, answer_scoring.py and
answer_choice.py hold steps 2-5):
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
             + W_FIGURE  * [it states the kind of figure asked for: count, %, money, date, duration, name]
             - W_OTHER_TIME * [it names only years the question does not ask about: constraints.another_time]
   ("What did X say about Y?" is answered apart: the central sentences of the named document's best
   section for Y, search/answer_summary.py);
5. answer with the best sentence whose context honours what the question pins down (periods,
   dates, numbers, places: search/constraints.py), plus up to two close runners-up and sentences
   from other documents that state the same finding; a sentence ending in ":" or followed by one
   that refers back to it ("This is due to...") is quoted together with that next sentence;
6. abstain when no sentence honours the question's specifics, or the best scores under the
   `abstain_below` setting (calibrated on eval/gold/seed.jsonl: see eval/answers.py), or the quoted
   evidence does not speak of what is asked: half the words naming a count's, percentage's or sum's subject
   (answer_types.figure_subject), or UNSAID_SHARE of the question's key terms, are neither in it nor
   neighbours of its words (answer_topic.unsaid), or a "who chaired / who was the director" question's
   role (answer_types.role_asked) is not in the sentence naming someone;
7. check every quote against the stored source text (search/verify.py) before returning.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Mapping, Sequence

from quarry.analysis import terms
from quarry.records import Answer, Citation, Hit
from search.answer_candidates import Candidate, collapse
from search.answer_choice import choose
from search.answer_scoring import analyse, score_candidates
from search.answer_summary import SUMMARY_SENTENCES, Summary, summarise, with_best
from search.answer_topic import Coverage, KeyTerm, join_words, not_said, topic_coverage, uncovered, unsaid
from search.answer_types import MONEY, NAME, figure_subject, role_asked
from search.rerank import load_reranker, rerank
from search.summary_request import summary_request, topic_head
from search.verify import verify_citations

if TYPE_CHECKING:
    from search.api import Searcher

ABSTAIN_TEXT = "The corpus does not answer this confidently."
NOT_MENTIONED = "The reports do not mention {}."
MISSING_SHARE = 0.3  # abstain when key terms no passage covers carry this share of the question's (IDF-weighted)
CLOSEST_PASSAGES = 3  # passages shown with an abstention
# abstain when key terms the quoted evidence does not speak of carry this share (IDF-weighted); set by reading the
# seed and letters+seed answers, checked on ConditionalQA, summary and Ofsted silver answers (unchanged)
UNSAID_SHARE = 0.6
LEXICAL_EXTRAS = 10  # BM25's top passages also read when fusion ranked them below k


def ask(searcher: "Searcher", question: str, k: int | None = None,
        filters: Mapping[str, list[str] | str] | None = None, mode: str | None = None, *,
        abstain_below: float | None = None, sentences: int | None = None, checks: bool | None = None) -> Answer:
    """An extractive answer of 1-3 cited sentences from the top-k passages, or an abstention.

    `k` (passages read), `mode`, `abstain_below`, `sentences` (most quoted) and `checks` (the
    question's specifics must be honoured) override the searcher's settings for this call only;
    None keeps the setting (answer_passages, mode, abstain_below, answer_sentences, answer_checks).
    """
    s = searcher.settings
    reranker = load_reranker(s.reranker, s.device) if s.reranker else None  # cached per folder
    k = s.answer_passages if k is None else k
    mode = mode or s.mode
    abstain_below = s.abstain_below if abstain_below is None else abstain_below
    checks = s.answer_checks if checks is None else checks
    question = searcher.check(question, k, mode)
    request = summary_request(question)
    if request is not None:  # "what did X say about Y": search/answer_summary.py
        most = SUMMARY_SENTENCES if sentences is None else sentences
        found = summarise(searcher, question, request, k, mode, filters, most, checks)
        scope = {**(filters or {}), "doc": sorted(found.scope)}
        if found.chosen:  # the ordinary answer's best sentence from the documents it may quote joins it
            _, best = _extractive(searcher, question, k, scope, mode, reranker, abstain_below, 1, checks)
            if best:
                found = with_best(searcher, found, best[0], most)
        elif found.coverage is not None and found.scope:  # the topic's passages miss its terms: the ordinary
            # answer from the named documents (its own checks on the whole question) may still find it
            ordinary, quoted = _extractive(searcher, question, k, scope, mode, reranker, abstain_below,
                                           s.answer_sentences if sentences is None else sentences, checks)
            # only when its quotes say what the topic's passages missed ("private" of "private fostering")
            evidence = _evidence_texts(quoted)
            if not ordinary.abstained and not not_said(found.coverage.missing, evidence, searcher, found.coverage.neighbours):
                return replace(ordinary, interpreted={**ordinary.interpreted, "summary": "its passages miss the topic"})
        return _summary(searcher, question, found, checks)
    sentences = s.answer_sentences if sentences is None else sentences
    return _extractive(searcher, question, k, filters, mode, reranker, abstain_below, sentences, checks)[0]


def _extractive(searcher: "Searcher", question: str, k: int, filters: Mapping[str, list[str] | str] | None, mode: str,
                reranker, abstain_below: float, sentences: int, checks: bool) -> tuple[Answer, list[Candidate]]:
    """Steps 1-7 of the module docstring: the answer, and the sentences it quotes ([] when it abstains)."""
    hits = searcher.search(question, k=k, mode=mode, filters=filters).hits
    if mode == "hybrid" and hits:
        hits = with_lexical_extras(hits, searcher.search(question, k=LEXICAL_EXTRAS, mode="bm25", filters=filters).hits)
    if reranker is not None:
        hits = rerank(question, hits, reranker)
    q = analyse(question, searcher)
    interpreted: dict = {"answer_type": q.kind, "specifics": q.spec.to_dict(), "abstain_below": abstain_below}
    if not hits:
        return _abstain(question, hits, interpreted, "no passage matches" + (" the filters" if filters else "")), []
    keys = q.keys
    topic = topic_coverage(keys, hits, searcher)
    interpreted["key_terms"] = [k.word for k in keys]
    interpreted["missing_terms"] = [k.word for k in topic.missing]
    interpreted["missing_share"] = round(topic.missing_share, 4)
    if topic.missing and checks and topic.missing_share >= MISSING_SHARE:
        return _not_mentioned(question, hits, interpreted, topic, q.text), []
    candidates = score_candidates(q, hits, searcher)
    chosen, reason = choose(q, candidates, searcher, sentences, checks)
    best = chosen[0].score if chosen else (max((c.score for c in candidates), default=0.0))
    interpreted["confidence"] = round(float(best), 4)
    if not chosen:
        return _abstain(question, hits, interpreted, reason), []
    if chosen[0].score < abstain_below:
        return _abstain(question, hits, interpreted, f"the best evidence scores {chosen[0].score:.2f}, under {abstain_below}"), []
    role = role_asked(q.text) if checks and q.kind == NAME else None
    if role:  # a name beside the board is not who chaired it: the quoted sentence must say the role it is asked for
        of = [KeyTerm(t, role) for t in terms(role)]  # a key term or not ("chaired" is verb-like)
        quoted = [c.quote for c in chosen]
        if not_said(of, quoted, searcher, topic.neighbours):
            interpreted["missing_terms"] = [k.word for k in of]
            return _abstain(question, hits, interpreted, f"the sentence naming someone does not say {role}"), []
    evidence = _evidence_texts(chosen)
    not_quoted = uncovered([k for k in keys if k not in topic.missing], evidence, searcher, topic.neighbours)
    subject = figure_subject(q.text, q.kind) if checks and (not_quoted or q.kind == MONEY) else None
    if subject:  # a count or percentage of something else does not answer: "Vacancies stand at 30%" for sickness
        of = [k for k in keys if k.term in set(terms(subject))]
        if q.kind == MONEY:  # a sum stands in its own sentence with what it is of ("we spent £58.61 million on ...")
            quoted = [c.quote for c in chosen]
            away = not_said(of, quoted, searcher, topic.neighbours)
        else:
            away = unsaid([k for k in of if k in not_quoted], evidence, searcher)
        if away and 2 * len(away) >= len(of):  # half the words naming it are not in the evidence
            interpreted["missing_terms"] = [k.word for k in away]
            return _abstain(question, hits, interpreted, f"the figures found are not of {join_words([k.word for k in away], q.text)}"), []
    away = unsaid(not_quoted, evidence, searcher) if checks and not_quoted and not q.personal else []
    if topic.share(away) >= UNSAID_SHARE:  # the quotes speak of something else
        interpreted["missing_terms"] = [k.word for k in away]
        return _abstain(question, hits, interpreted, f"the closest sentences do not speak of {join_words([k.word for k in away], q.text)}"), []
    if not_quoted:  # a partial answer names what it could not find
        interpreted["missing_terms"] = [k.word for k in not_quoted]
        interpreted["partial"] = True
    citations = tuple(_citation(n, c, searcher) for n, c in enumerate(chosen, start=1))
    verify_citations(citations, searcher.source_text)
    text = " ".join(f"{collapse(c.quote)} [{c.n}]" for c in citations)
    return Answer(question, text, False, citations, tuple(hits), interpreted), chosen


def _summary(searcher: "Searcher", question: str, found: Summary, checks: bool = True) -> Answer:
    """A summary's cited sentences in document order, or its abstention (no confidence: `abstain_below`
    calibrates the extractive score, not this one)."""
    if found.coverage is not None:
        return _not_mentioned(question, found.hits, found.interpreted, found.coverage, question)
    if not found.chosen:
        return _abstain(question, found.hits, found.interpreted, found.reason or "no sentence answers it")
    away = _off_topic(searcher, found) if checks else []
    if away:  # the section's best sentences speak of something else: "What did Ofsted say about X's children's
        # centres?" must not quote the letter's address because "Civic Centre" is in it
        interpreted = {**found.interpreted, "missing_terms": [k.word for k in away]}
        return _abstain(question, found.hits, interpreted,
                        f"the closest sentences do not speak of {join_words([k.word for k in away], question)}")
    citations = tuple(_citation(n, c, searcher) for n, c in enumerate(found.chosen, start=1))
    verify_citations(citations, searcher.source_text)
    text = " ".join(f"{collapse(c.quote)} [{c.n}]" for c in citations)
    return Answer(question, text, False, citations, tuple(found.hits), found.interpreted)


def _off_topic(searcher: "Searcher", found: Summary) -> list:
    """The topic's key terms the quoted sentences (with their context, heading and document) neither hold nor
    have a neighbour word for, when they carry UNSAID_SHARE of the topic (as the ordinary answer's check) or
    include the topic's head (summary_request.topic_head); else []."""
    keys = analyse(f"What did they say about {found.interpreted.get('topic', '')}?", searcher).keys
    # the words naming the quoted documents (their authority, title, publisher) chose them: they are no part of what
    # the topic asks of them ("Havering's adoption service" asks about adoption), so they neither count as said nor weigh
    named = {t for c in found.chosen for x in (c.hit.doc.title, c.hit.doc.authority, c.hit.doc.publisher) if x for t in terms(x)}
    keys = tuple(k for k in keys if k.term not in named)
    if not keys:
        return []
    topic = topic_coverage(keys, found.hits, searcher)
    evidence = _evidence_texts(found.chosen)
    not_quoted = uncovered([k for k in keys if k not in topic.missing], evidence, searcher, topic.neighbours)
    away = unsaid(not_quoted, evidence, searcher) if not_quoted else []
    if topic.share(away) >= UNSAID_SHARE:
        return away
    # the topic's head unsaid is another topic whatever its share: "kinship care allowances" quoted on kinship care
    head = topic_head(found.interpreted.get("topic", ""))
    head_keys = [KeyTerm(t, head) for t in terms(head) if t not in named] if head else []  # key terms or not ("pay")
    return not_said(head_keys, evidence, searcher, topic.neighbours)


def with_lexical_extras(hits: list[Hit], lexical: list[Hit]) -> list[Hit]:
    """The fused passages, then BM25's best ones that fusion left out (a strong keyword match
    that the dense model missed still offers its sentences), ranked after them."""
    have = {h.chunk.chunk_id for h in hits}
    extra = [h for h in lexical if h.chunk.chunk_id not in have]
    return hits + [replace(h, rank=len(hits) + i) for i, h in enumerate(extra, start=1)]


def _citation(n: int, c: Candidate, searcher: "Searcher") -> Citation:
    return Citation(n, c.hit, c.quote, c.start, c.end, searcher.page_at(c.hit.chunk.doc_id, c.start))


def _evidence_texts(chosen: Sequence[Candidate]) -> list[str]:
    """What a chosen sentence brings as evidence: itself, its context, its heading and its document's title."""
    out = []
    for c in chosen:
        chunk = c.hit.chunk
        out += [c.quote, c.context, " ".join(chunk.heading_path) or chunk.heading, c.hit.doc.title, c.hit.doc.authority or ""]
    return out


def _not_mentioned(question: str, hits: Sequence[Hit], interpreted: dict, topic: Coverage, asked: str) -> Answer:
    """Abstain because a key term of the question is in none of the passages: say which."""
    phrase = topic.phrase(question=asked)
    where = "the reports" if len(topic.absent) == len(topic.missing) else "the passages closest to the question"
    interpreted = {**interpreted, "reason": f"{where} do not mention {phrase}"}
    return Answer(question, NOT_MENTIONED.format(phrase), True, (), tuple(hits[:CLOSEST_PASSAGES]), interpreted)


def _abstain(question: str, hits: Sequence[Hit], interpreted: dict, reason: str) -> Answer:
    interpreted = {**interpreted, "reason": reason}
    return Answer(question, ABSTAIN_TEXT, True, (), tuple(hits[:CLOSEST_PASSAGES]), interpreted)

