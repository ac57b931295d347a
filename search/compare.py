"""One topic across reports: the best passages and a one-sentence finding per authority, year,
document or document type, from one retrieval pass.
(Over 350 lines on purpose: the grouping, the per-group ranking and the findings share one pass's arrays.)

`compare(searcher, topic, by=...)`:
1. rank every passage once by BM25 and once by the dense model (full lists: the index is scored,
   not searched per group);
2. number each passage within its group (its rank among that group's passages), keep each group's
   first `candidates` per retriever, and order them exactly as a search filtered to that group would
   (search/group_rank.py): the learned ranker by default, RRF with `--fusion rrf`; a period or document
   type the topic names is the same soft preference as in search;
3. per group, the finding: the answer step's sentence scoring (search/answer_scoring.py: coverage of
   the topic's terms, kind of figure, passage rank) and choice (search/answer_choice.py: what the
   topic pins down) over the group's best passages, with the passage's cosine standing in for the
   sentence's (embedding sentences for 150 groups would cost seconds; the passages are already
   scored), less W_OTHER_TIME for a sentence naming only years the topic does not ask about; a topic
   asking for a judgement is answered only by a sentence or table row stating one when the group has
   one. A group abstains when no sentence qualifies, the best one scores under `abstain_below`, or it
   covers less than MIN_COVERAGE of the topic's terms (its reports do not discuss the topic).
Every group of the (filtered) index is a row, in name or year order; a group without evidence says so.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from quarry.errors import UsageError
from quarry.records import Citation, DocInfo, Hit
from search import fusion
from search.group_rank import fuse_within, learned_within, ranks_within, top_within
from search.titles import place_case, shown_infos

if TYPE_CHECKING:
    from search.api import Searcher

BY = ("authority", "year", "doc", "type")
UNKNOWN = "(not recorded)"  # the group of documents whose metadata lacks the field
MAX_PER_GROUP = 10
FINDING_PASSAGES = 5  # a group's best passages read for its finding (and reordered by it when it gives one)
MIN_COVERAGE = 0.5  # IDF-weighted share of the topic's terms a finding must hold (with its heading and context)
PHRASE_TERMS = 4  # a topic of at most this many content terms is a phrase: its finding must keep two of them together
MILVUS_DEPTH = 16_384  # the most results one Milvus request returns
NO_EVIDENCE = "no passage in this group matches the topic"
UNCOVERED = f"its best passages hold under {MIN_COVERAGE:.0%} of the topic's terms"
APART = "its best passages mention the topic's words only apart"


@dataclass(frozen=True)
class Row:
    """One group's evidence: its best passages (ranked within the group) and its finding or abstention."""

    key: str  # what groups it: a normalised authority, a year, a document id, a document type
    label: str  # as a reader writes it ("Richmond upon Thames", "2021", a document's title)
    documents: tuple[str, ...]  # the group's documents (ids)
    hits: tuple[Hit, ...] = ()
    finding: Citation | None = None
    confidence: float = 0.0
    reason: str = ""  # why the group abstains ("" when it has a finding)

    @property
    def abstained(self) -> bool:
        return self.finding is None

    def to_dict(self) -> dict[str, Any]:
        """One line of `quarry compare --json`."""
        return {"group": self.label, "key": self.key, "documents": len(self.documents),
                "abstained": self.abstained, "reason": self.reason, "confidence": round(self.confidence, 4),
                "finding": self.finding.to_dict() if self.finding else None,
                "hits": [h.to_dict() for h in self.hits]}


@dataclass(frozen=True)
class Comparison:
    """A topic compared across the groups of an index (or of its filtered part)."""

    topic: str
    by: str
    rows: tuple[Row, ...]
    filters: dict[str, list[str]] = field(default_factory=dict)
    mode: str = "hybrid"
    per_group: int = 1
    seconds: float = 0.0

    def head(self) -> dict[str, Any]:
        """What the comparison was (the API's top-level fields beside "rows")."""
        return {"topic": self.topic, "by": self.by, "mode": self.mode, "per_group": self.per_group,
                "filters": self.filters, "groups": len(self.rows),
                "with_finding": sum(not r.abstained for r in self.rows), "seconds": round(self.seconds, 3)}


# -- groups -------------------------------------------------------------------------------------

_COUNCIL = re.compile(r"\b(?:city and county|county borough|metropolitan borough|borough|city|county|council|"
                      r"london borough of|royal borough of)\b")


def authority_key(name: str) -> str:
    """"Hammersmith & Fulham", "Kingston-upon-Hull", "Cardiff City Council" -> "hammersmith and fulham",
    "kingston upon hull", "cardiff": one key for the spellings of one authority."""
    text = name.lower().replace("&", " and ").replace("-", " ")
    return " ".join(_COUNCIL.sub(" ", text).split()) or " ".join(text.split())


def group_value(info: DocInfo, by: str) -> str | None:
    """The raw value a document is grouped by (None: not recorded)."""
    if by == "authority":
        return info.authority
    if by == "year":
        return str(info.year) if info.year else None
    if by == "doc":
        return info.doc_id
    return info.doc_type


def group_keys(infos: Mapping[str, DocInfo], by: str) -> dict[str, str]:
    """Document id -> group key. Authorities are keyed by `authority_key`, and "East Riding" joins
    "East Riding of Yorkshire" when both are present (a short name that the long one continues with "of")."""
    if by not in BY:
        raise UsageError(f"compare by must be one of {', '.join(BY)}, not {by!r}")
    raw = {d: group_value(info, by) for d, info in infos.items()}
    if by != "authority":
        return {d: v if v else UNKNOWN for d, v in raw.items()}
    keys = {d: authority_key(v) if v else UNKNOWN for d, v in raw.items()}
    present = set(keys.values())
    longer = {k: next((o for o in sorted(present) if o.startswith(k + " of ")), k) for k in present}
    return {d: longer[k] if len(k.split()) >= 2 else k for d, k in keys.items()}


def group_label(key: str, infos: Sequence[DocInfo], by: str) -> str:
    """How a row is headed: the most common spelling (place case) for an authority, the title for a document."""
    if key == UNKNOWN:
        return UNKNOWN
    if by == "authority":
        names = Counter(place_case(i.authority) for i in infos if i.authority)
        return max(names.items(), key=lambda kv: (kv[1], len(kv[0])))[0]
    if by == "doc":
        return infos[0].title
    if by == "type":
        return key[:1].upper() + key[1:]  # "focused visit" -> "Focused visit"
    return key


def order_key(by: str, key: str, label: str) -> tuple:
    """Rows by year (oldest first) or by name; the unrecorded group last."""
    if key == UNKNOWN:
        return (1, 0, "")
    if by == "year":
        return (0, int(key) if key.isdigit() else 0, label)
    return (0, 0, label.casefold())


# -- the comparison -----------------------------------------------------------------------------

def compare(searcher: "Searcher", topic: str, by: str = "authority", filters: Mapping[str, list[str] | str] | None = None,
            per_group: int = 1, mode: str | None = None, findings: bool = True) -> Comparison:
    """The topic's best passages (and finding) in every group of the index or its filtered part."""
    clock = time.perf_counter()
    mode = mode or searcher.settings.mode
    if not isinstance(per_group, int) or not 1 <= per_group <= MAX_PER_GROUP:
        raise UsageError(f"passages per group must be a whole number from 1 to {MAX_PER_GROUP}, not {per_group!r}")
    topic = searcher.check(topic, 1, mode)
    allowed = searcher.allowed(filters)
    shown = shown_infos(searcher)
    present = searcher.chunks.present
    docs = [d for d in searcher.doc_infos if d in present and (allowed is None or d in allowed)]
    keys = group_keys({d: searcher.doc_infos[d] for d in docs}, by)
    names = sorted(set(keys.values()))
    gindex = {k: i for i, k in enumerate(names)}
    doc_gid = {d: gindex[keys[d]] for d in docs}
    gid = np.array([doc_gid.get(d, -1) for d in searcher.chunks.doc_id_of_rows()], dtype=np.int64)

    scores, ranks, raw, cosine = _score(searcher, topic, mode, set(docs), gid, findings)
    tops = top_within(scores, gid, max(per_group, FINDING_PASSAGES if findings else 0))
    question = _question(searcher, topic) if findings else None
    rows = []
    for key in names:
        members = tuple(d for d in docs if keys[d] == key)
        label = group_label(key, [shown[d] for d in members], by)
        chosen = tops.get(gindex[key], [])
        hits = tuple(_hit(searcher, shown, row, rank, scores, ranks, raw) for rank, row in enumerate(chosen, start=1))
        row = Row(key, label, members, hits[:per_group], reason="" if hits else NO_EVIDENCE)
        if findings and hits:
            row = _with_finding(row, hits, question, {h.chunk.chunk_id: float(cosine[r]) for h, r in zip(hits, chosen)}, searcher)
        rows.append(row)
    rows.sort(key=lambda r: order_key(by, r.key, r.label))
    return Comparison(topic, by, tuple(rows), {k: [v] if isinstance(v, str) else list(v) for k, v in (filters or {}).items()},
                      mode, per_group, time.perf_counter() - clock)


def _score(searcher: "Searcher", topic: str, mode: str, docs: set[str], gid: np.ndarray, findings: bool):
    """One pass: every passage's fused score within its group, within-group ranks and raw scores per
    retriever, and its cosine to the topic (for findings)."""
    n = len(searcher.chunks)
    depth_all = n if searcher.backend.name != "milvus" else min(n, MILVUS_DEPTH)
    interp = searcher.interpret(topic)
    lexical_query = interp.expanded(interp.remainder if interp.remainder.split() else topic)
    allowed = docs if len(docs) < len(searcher.doc_infos) else None
    lists: dict[str, list[tuple[int, float]]] = {}
    if mode in ("bm25", "hybrid"):
        lists["bm25"] = searcher.backend.lexical(lexical_query, depth_all, allowed, meta_query=topic)
    vector = searcher.embed([interp.expanded(topic)])[0] if mode in ("dense", "hybrid") or findings else None
    if vector is not None:
        lists["dense"] = searcher.backend.dense(vector, depth_all, allowed)
    raw = {name: dict(items) for name, items in lists.items()}
    cosine = np.zeros(n, dtype=np.float32)
    for row, s in lists.get("dense", []):
        cosine[row] = s
    used = {name: items for name, items in lists.items() if mode == "hybrid" or name == mode}
    arrays = {name: np.array([r for r, _ in items], dtype=np.int64) for name, items in used.items()}
    if mode != "hybrid":  # one retriever: its own scores order each group
        (name, rows), = arrays.items()
        scores = np.zeros(n, dtype=np.float64)
        ranks = {name: np.zeros(n, dtype=np.int64)}
        r = ranks_within(rows, gid)
        ranks[name][rows] = r
        scores[:] = -np.inf
        scores[rows] = 1.0 / (searcher.settings.rrf_k + r)  # order within the group, as the retriever ranked
        return scores, ranks, raw, cosine
    if searcher.settings.fusion == "learned":
        return _learned(searcher, topic, interp, lists, gid, docs), _ranks(arrays, gid, searcher.settings.candidates, n), raw, cosine
    ranked = {name: (rows, 1.0) for name, rows in arrays.items()}
    mask, _ = _named(searcher, interp, docs, gid)
    if mask is not None and interp.fields_matched:
        weight = fusion.preference_weight(searcher.settings.prefer_weight, interp.fields_matched)
        for name, rows in arrays.items():
            ranked[name + "_preferred"] = (rows[mask[rows]], weight)
    fused, ranks = fuse_within(ranked, gid, searcher.settings.candidates, searcher.settings.rrf_k, n)
    fused[fused == 0] = -np.inf
    return fused, {k: v for k, v in ranks.items() if not k.endswith("_preferred")}, raw, cosine


def _ranks(arrays: dict[str, np.ndarray], gid: np.ndarray, depth: int, n: int) -> dict[str, np.ndarray]:
    """Per retriever, every row's rank within its group (0: beyond `depth` or not ranked)."""
    out = {}
    for name, rows in arrays.items():
        r = ranks_within(rows, gid)
        keep = r <= depth
        out[name] = np.zeros(n, dtype=np.int64)
        out[name][rows[keep]] = r[keep]
    return out


def _named(searcher: "Searcher", interp, docs: set[str], gid: np.ndarray):
    """The documents the topic names, per group as a search filtered to the group reads them (none when
    the group has none of them or only them): a mask of their rows (None: no group has any) and a
    function from a group id to its named documents (or None)."""
    named = set(interp.docs) & docs
    if not named:
        return None, lambda g: None
    group_docs: dict[int, set[str]] = {}
    for doc_id, g in zip(searcher.chunks.doc_id_of_rows(), gid.tolist()):
        if g >= 0:
            group_docs.setdefault(g, set()).add(doc_id)
    preferred = {g: named & d for g, d in group_docs.items() if named & d and named & d != d}
    if not preferred:
        return None, lambda g: None
    keep = set().union(*preferred.values())
    return searcher.chunks.mask_of(keep), preferred.get


def _learned(searcher: "Searcher", topic: str, interp, lists: Mapping[str, list[tuple[int, float]]], gid: np.ndarray,
             docs: set[str]) -> np.ndarray:
    """Every row's learned-fusion score within its group, as `Searcher.search` filtered to the group ranks."""
    from search.ranker import load_ranker

    def ranking(name: str):
        items = lists[name]
        return np.array([r for r, _ in items], dtype=np.int64), np.array([s for _, s in items], dtype=np.float64)

    rows_named, preferred_of = _named(searcher, interp, docs, gid)
    return learned_within(load_ranker(searcher.settings.fusion_model), searcher.query_terms(topic, interp),
                          ranking("bm25"), ranking("dense"), gid, searcher.settings.candidates, searcher, searcher.contains,
                          rows_named, fusion.preference_weight(1.0, interp.fields_matched), preferred_of)


def _hit(searcher: "Searcher", shown: Mapping[str, DocInfo], row: int, rank: int, scores: np.ndarray,
         ranks: Mapping[str, np.ndarray], raw: Mapping[str, Mapping[int, float]]) -> Hit:
    chunk = searcher.chunks[row]
    r = {name: int(v[row]) for name, v in ranks.items() if v[row]}
    s = {name: float(raw[name][row]) for name in r if row in raw.get(name, {})}
    return Hit(chunk, shown[chunk.doc_id], float(scores[row]), rank, r, s)


# -- findings: the answer step's scoring and choice over one group's evidence ---------------------

def _question(searcher: "Searcher", topic: str):
    from search.answer_scoring import analyse

    return analyse(topic, searcher)


def finding_score(cosine: float, coverage: float, rank: int, figure: bool, other_time: bool = False) -> float:
    """The answer step's sentence score (search/answer.py) with the passage's cosine for the sentence's;
    `other_time`: the sentence names only years the topic does not ask about."""
    from search.answer_scoring import W_COSINE, W_FIGURE, W_LEXICAL, W_OTHER_TIME, W_PASSAGE

    return W_COSINE * cosine + W_LEXICAL * coverage + W_PASSAGE / math.sqrt(rank) + W_FIGURE * figure - W_OTHER_TIME * other_time


def stating(kind: str | None, cands: Sequence) -> list:
    """The candidates that can answer: for a topic asking for a judgement, those stating one (`figure`)
    when any does (a paragraph under "...: inadequate" covers the topic's words but judges nothing);
    for any other topic, all of them."""
    from search.answer_types import RATING

    if kind == RATING and any(c.figure for c in cands):
        return [c for c in cands if c.figure]
    return list(cands)


def keeps_phrase(topic_terms: Sequence[str], text: str) -> bool:
    """Whether a text keeps two neighbouring terms of a short topic next to each other (stop words aside):
    "family hubs" is in "the family hubs offer" but not in "a safeguarding hub for families". Topics of one
    term, or of more than PHRASE_TERMS (questions), pass: their wording is not a name for the topic."""
    from quarry.analysis import terms

    if not 2 <= len(topic_terms) <= PHRASE_TERMS:
        return True
    wanted = set(zip(topic_terms, topic_terms[1:]))
    seq = terms(text)
    return bool(wanted & set(zip(seq, seq[1:])))


def reordered(hits: Sequence[Hit], cands: Sequence, n: int) -> tuple[Hit, ...]:
    """The group's passages with quotable sentences first, ordered by their best sentence's score (the
    answer step's judgement of the evidence; retrieval order breaks ties), then the passages without one
    (a back page of publisher's notices under the last section's heading, a list of headings) in
    retrieval order: a table's rows are quotable, so a passage with nothing to quote answers nothing.
    Renumbered, the first n; the sentence score is kept as the passage's "answer" score."""
    best: dict[str, float] = {}
    for c in cands:
        best[c.hit.chunk.chunk_id] = max(best.get(c.hit.chunk.chunk_id, -math.inf), c.score)
    scored = sorted((h for h in hits if h.chunk.chunk_id in best), key=lambda h: (-best[h.chunk.chunk_id], h.rank))
    order = scored + [h for h in hits if h.chunk.chunk_id not in best]
    return tuple(replace(h, rank=i, scores={**h.scores, **({"answer": best[h.chunk.chunk_id]} if h.chunk.chunk_id in best else {})})
                 for i, h in enumerate(order[:n], start=1))


def _with_finding(row: Row, hits: Sequence[Hit], q, cosine: Mapping[str, float], searcher: "Searcher") -> Row:
    """The row with its best sentence quoted (verified against the source), or abstaining with why."""
    from search.answer_candidates import candidates_from, term_set
    from search.answer_choice import choose
    from search.answer_scoring import best_rank, coverage, document_terms, figure_test, unasked_boilerplate
    from search.constraints import another_time
    from search.verify import verify_citations

    evidence = frozenset().union(*(term_set(h.chunk.text) | term_set(" ".join(h.chunk.heading_path) or h.chunk.heading)
                                   | document_terms(q, h.doc) for h in hits))
    if coverage(q, evidence) < MIN_COVERAGE:  # no sentence of these passages can reach it: skip splitting them
        return replace(row, reason=UNCOVERED)
    cands = [c for c in candidates_from(hits, searcher.source_text) if not unasked_boilerplate(q, c.quote)]
    gives = figure_test(q)
    for c in cands:
        chunk = c.hit.chunk
        heading = " ".join(chunk.heading_path) or chunk.heading
        own = term_set(c.quote) | term_set(heading) | document_terms(q, c.hit.doc)  # as the answer step reads it
        c.coverage = max(coverage(q, own), 0.7 * coverage(q, own | term_set(c.context)))
        c.figure = gives(c.quote)
        c.cosine = float(cosine[chunk.chunk_id])
        c.score = finding_score(c.cosine, c.coverage, best_rank(c.hit), c.figure, another_time(q.spec, c.quote))
    cands = stating(q.kind, cands)
    cands.sort(key=lambda c: (-c.score, c.hit.rank, c.start))
    chosen, reason = choose(q, cands, searcher, 1, searcher.settings.answer_checks)
    best = chosen[0] if chosen else None
    confidence = best.score if best else max((c.score for c in cands), default=0.0)
    if best is None:
        return replace(row, confidence=confidence, reason=reason or "no sentence answers it")
    if best.coverage < MIN_COVERAGE:
        return replace(row, confidence=confidence, reason=UNCOVERED)
    if not keeps_phrase(q.terms, best.quote + "\n" + best.context + "\n" + " ".join(best.hit.chunk.heading_path)):
        return replace(row, confidence=confidence, reason=APART)
    if best.score < searcher.settings.abstain_below:
        return replace(row, confidence=confidence, reason=f"the best evidence scores {best.score:.2f}, under {searcher.settings.abstain_below}")
    citation = Citation(1, best.hit, best.quote, best.start, best.end, searcher.page_at(best.hit.chunk.doc_id, best.start))
    verify_citations((citation,), searcher.source_text)
    # a row that quotes a finding shows first the passages whose sentences answer best; an abstaining
    # row keeps retrieval's order (none of its sentences answers)
    return replace(row, hits=reordered(hits, cands, len(row.hits)), finding=citation, confidence=confidence)
