"""`quarry eval --compare`: does the comparison view put each authority's own evidence in its row?

Questions of a span gold set that name an authority are asked without it ("How many care leavers
in Brent were on apprenticeships?" -> "How many care leavers were on apprenticeships?") and compared
by authority; the named authority's row is judged: Success@1 (its first passage holds the gold
span) and Success@3 (one of its first three does), as well as whether its finding abstains.
A judged set of "not covered" cases (a topic and authorities whose reports do not discuss it,
eval/gold/compare_not_covered.jsonl) measures the other side: those rows should abstain.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from eval import gold
from eval.harness import open_gold_docs
from indexer.build import Progress
from quarry.errors import QuarryError
from quarry.jsonl import read_jsonl
from quarry.settings import Settings

PER_GROUP = 3  # passages judged per row (Success@3)
NOT_COVERED = Path(__file__).with_name("gold") / "compare_not_covered.jsonl"
MAX_MISSES = 30
_PREPOSITION = r"(?:in|for|at|to|by|of|from)"
_NAME_TAIL = r"(?:\s+(?:City|County|Borough|Metropolitan Borough)?\s*Council)?"


def name_forms(authority: str) -> list[str]:
    """Ways a question may write an authority, longest first: "Bournemouth, Christchurch and Poole" ->
    [..., "Bournemouth, Christchurch & Poole", "BCP"]; "Windsor and Maidenhead" -> [..., "Windsor & Maidenhead"]."""
    forms = {authority, authority.replace(" and ", " & "), authority.replace(" & ", " and "),
             authority.replace("-", " "), re.sub(r"(?:\s+(?:City|County|Borough|Metropolitan|Council))+$", "", authority)}
    head = re.split(r" of ", authority, flags=re.I)[0]
    if head != authority and len(head.split()) >= 2:
        forms.add(head)  # "East Riding of Yorkshire" -> "East Riding"
    on = re.split(r"[- ](?:on|upon)[- ]", authority, flags=re.I)
    if len(on) == 2 and len(on[0].split()) == 1:
        forms.add(on[0])  # "Stockton-on-Tees" -> "Stockton"
    words = [w for w in re.split(r"[\s,&-]+", authority) if w and w.lower() not in {"and", "of", "the", "upon", "on"}]
    if len(words) >= 3:
        forms.add("".join(w[0].upper() for w in words))  # BCP
    return sorted({f for f in forms if f}, key=len, reverse=True)


def strip_authority(question: str, authority: str) -> str | None:
    """The question without its authority (None when it does not name it): "X's" -> "the",
    "in the X MASH" -> "in the MASH", "in X" -> "", "give X children's services" -> "give children's
    services", any other "X" -> "the council"."""
    names = "|".join(re.escape(f) for f in name_forms(authority))
    name = rf"(?:the\s+)?(?:London Borough of\s+)?(?:{names}){_NAME_TAIL}"
    pattern = re.compile(rf"\b{name}\b", re.I)
    if not pattern.search(question):
        return None
    text = re.sub(rf"\b(?:the\s+)?(?:{names})['\u2019]s\b", "the", question, flags=re.I)
    text = re.sub(rf"\b({_PREPOSITION})\s+the\s+(?:{names})\b(?=\s+[A-Za-z])", r"\1 the", text, flags=re.I)
    text = re.sub(rf"\b{_PREPOSITION}\s+{name}\b", "", text, flags=re.I)
    text = re.sub(rf"\b{name}\s+(?=children)", "", text, flags=re.I)
    text = re.sub(rf"\b{name}\b", "the council", text, flags=re.I)
    text = re.sub(r"\s+([,.?;:)])", r"\1", " ".join(text.split()))
    text = re.sub(r"^(?:In|For|At)?\s*,\s*", "", text).strip()
    text = re.sub(r"\(\s*", "(", text)
    return text[:1].upper() + text[1:] if text else None


@dataclass(frozen=True)
class Case:
    """One question asked without its authority, and where its gold evidence is."""

    id: str
    question: str  # as asked (authority stripped)
    original: str
    authority: str
    doc_id: str
    relevant: frozenset[str]  # chunk ids holding the gold span


@dataclass
class CompareResult:
    """Scores of `quarry compare` on one gold set (and the judged not-covered cases)."""

    dataset: str
    questions: int
    success_at_1: float
    success_at_3: float
    finding_abstained: float  # share of the named rows (which do cover the question) that abstained
    finding_has_span: float  # share of the named rows whose finding quote holds the gold span
    not_covered_cases: int = 0
    not_covered_abstained: float | None = None
    covered_cases: int = 0
    covered_found: float | None = None
    groups: int = 0
    seconds_p50: float = 0.0
    seconds_max: float = 0.0
    excluded: dict[str, int] = field(default_factory=dict)
    misses: list[dict[str, Any]] = field(default_factory=list)
    not_covered_misses: list[dict[str, Any]] = field(default_factory=list)
    index: dict[str, Any] = field(default_factory=dict)

    def line(self) -> dict[str, Any]:
        """The `--json` line."""
        d = {k: v for k, v in asdict(self).items() if k not in ("misses", "not_covered_misses", "index")}
        return {"kind": "compare", **{k: round(v, 4) if isinstance(v, float) else v for k, v in d.items()},
                "chunks": self.index.get("chunks")}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CompareResult":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def cases(questions: Sequence[gold.GoldQuestion], searcher, matcher: gold.DocMatcher) -> tuple[list[Case], dict[str, int]]:
    """The answerable questions that name their document's authority, stripped of it, with their relevant chunks."""
    by_doc: dict[str, list] = {}
    for c in searcher.chunks:
        by_doc.setdefault(c.doc_id, []).append(c)
    out, excluded = [], {}

    def skip(reason: str) -> None:
        excluded[reason] = excluded.get(reason, 0) + 1

    for q in questions:
        if not q.answerable:
            skip("unanswerable")
            continue
        a = q.answers[0]
        doc_id = matcher.doc_id(a.doc)
        info = searcher.doc_infos.get(doc_id) if doc_id else None
        if info is None or not info.authority:
            skip("document not indexed or without an authority")
            continue
        stripped = strip_authority(q.question, info.authority)
        if stripped is None:
            skip("names no authority")
            continue
        relevant, _ = gold.relevant_chunks(a.span, by_doc.get(doc_id, []), searcher.source_text(doc_id))
        if not relevant:
            skip("span not found")
            continue
        out.append(Case(q.id, stripped, q.question, info.authority, doc_id, frozenset(relevant)))
    return out, excluded


def judge(searcher, items: Iterable[Case], per_group: int = PER_GROUP):
    """Compare each case by authority; yield (case, its row, seconds)."""
    from search.compare import compare

    for case in items:
        clock = time.perf_counter()
        result = compare(searcher, case.question, by="authority", per_group=per_group)
        seconds = time.perf_counter() - clock
        row = next(r for r in result.rows if case.doc_id in r.documents)
        yield case, row, seconds, len(result.rows)


def not_covered_cases(path: Path) -> list[dict[str, Any]]:
    """Judged rows: {"topic", "not_covered": [authority, ...], "why"}."""
    rows = [row for _, row in read_jsonl(path, "no such judged set")]
    for row in rows:
        if not row.get("topic") or not isinstance(row.get("not_covered"), list):
            raise QuarryError(f"{path}: each row needs a topic and a not_covered list of authorities")
    return rows


@dataclass(frozen=True)
class CoverageScore:
    """The judged cases: rows that should abstain (not covered) and rows whose letters name the topic."""

    cases: int
    abstained: float | None
    covered_cases: int
    covered_found: float | None  # share of the rows whose reports name the topic that give a finding
    misses: list[dict[str, Any]]
    missing: list[str]  # judged authorities this index does not hold


def score_not_covered(searcher, rows: Sequence[dict[str, Any]]) -> CoverageScore:
    """How many judged (topic, authority) rows abstain; the misses with what they quoted."""
    from search.compare import authority_key, compare

    total = abstained = covered = found = 0
    misses: list[dict[str, Any]] = []
    missing: list[str] = []
    for row in rows:
        result = compare(searcher, row["topic"], by="authority")
        by_key = {r.key: r for r in result.rows}
        for name in row["not_covered"]:
            r = by_key.get(authority_key(name))
            if r is None:
                missing.append(name)
                continue
            total += 1
            if r.abstained:
                abstained += 1
            else:
                misses.append({"topic": row["topic"], "authority": r.label, "quote": r.finding.quote,
                               "confidence": round(r.confidence, 3)})
        for name in row.get("covered_by", []):
            r = by_key.get(authority_key(name))
            if r is not None:
                covered += 1
                found += not r.abstained
    return CoverageScore(total, abstained / total if total else None, covered, found / covered if covered else None,
                         misses, missing)


def evaluate_compare(gold_path: Path, docs: Sequence[Path], settings: Settings, name: str,
                     not_covered: Path | None = NOT_COVERED, progress: Progress | None = None) -> CompareResult:
    """Score the comparison view on a span gold set over `docs` (and the judged not-covered cases)."""
    searcher, _, sources, _ = open_gold_docs(docs, settings, name, progress)
    return score_compare(searcher, gold_path, gold.DocMatcher(sources, docs), name, not_covered, [str(d) for d in docs])


def score_compare(searcher, gold_path: Path, matcher: gold.DocMatcher, name: str, not_covered: Path | None,
                  docs: Sequence[str] = ()) -> CompareResult:
    """Score an opened index (see `evaluate_compare`)."""
    questions = gold.load(gold_path)
    items, excluded = cases(questions, searcher, matcher)
    if not items:
        raise QuarryError(f"{gold_path}: no question names the authority of its indexed document")
    searcher.embed(["warm up"])
    hits1 = hits3 = abstained = has_span = 0
    seconds, misses, groups = [], [], 0
    for case, row, took, groups in judge(searcher, items):
        ids = [h.chunk.chunk_id for h in row.hits]
        at1, at3 = bool(ids[:1]) and ids[0] in case.relevant, any(i in case.relevant for i in ids[:3])
        hits1, hits3 = hits1 + at1, hits3 + at3
        abstained += row.abstained
        if row.finding and any(row.finding.hit.chunk.chunk_id == c for c in case.relevant):
            span = next(q for q in questions if q.id == case.id).answers[0].span
            has_span += gold.collapse(span) in gold.collapse(row.finding.quote)
        seconds.append(took)
        if not at1 and len(misses) < MAX_MISSES:
            first = row.hits[0] if row.hits else None
            misses.append({"id": case.id, "question": case.question, "authority": row.label, "at3": at3,
                           "first": f"{first.citation}: {' '.join(first.chunk.text.split())[:160]}" if first else "(nothing)"})
    n = len(items)
    judged = CoverageScore(0, None, 0, None, [], [])
    if not_covered is not None:
        judged = score_not_covered(searcher, not_covered_cases(not_covered))
    if judged.missing:
        excluded["judged authority not indexed"] = len(judged.missing)
    seconds.sort()
    return CompareResult(name, n, hits1 / n, hits3 / n, abstained / n, has_span / n, judged.cases, judged.abstained,
                         judged.covered_cases, judged.covered_found, groups,
                         seconds[len(seconds) // 2], seconds[-1], excluded, misses, judged.misses,
                         {"chunks": len(searcher.chunks), "documents": len(searcher.doc_infos), "docs": list(docs)})
