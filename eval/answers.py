"""Answer quality of `quarry ask` on judged questions: the engine of `quarry eval --answers`.

Gold rows come in two shapes, both judged here:
- span gold sets (eval/gold/*.jsonl): {"id", "question", "answerable", "answers": [{"doc", "span"}]}
  -> an answerable question is answered when a gold span appears (whitespace and case aside) in the
  answer or in its first citation's quote;
- ConditionalQA (qa.jsonl beside a BEIR corpus): {"id", "question", "scenario", "url", "not_answerable",
  "evidences": ["<p>...</p>"]} -> answered when the first citation's span overlaps a gold evidence
  sentence in the page `url` (the index's doc id for that page); the scenario is asked before the question.
Abstentions on answerable questions count as misses in every rate.

Per set it also reports what #17 asks of an answer's quotes: the median number of sentences quoted for
factoid questions (how many / how much / when / who ...), and how many quoted sentences are judged
context-dependent (a sentence that leans on the one before it, quoted without it) or boilerplate (letter
furniture the question does not ask about), by the detectors in search/answer_candidates.py; and the
questions split by a hash of their id into a calibration half (for any threshold) and a held-out half
(reported apart: `held_out`), so a threshold tuned on a set is not judged on the questions it was tuned on;
a set whose rows carry a "split" ("calibration" / "report") fixes its halves itself.

Summary questions ("kind": "summary", eval/gold/summary.jsonl: "What did X say about Y"; their answer
spans are the judged key sentences) are also scored by key-sentence recall and precision, the rate of
answers quoting only the judged document, and their quoted sentences judged context-dependent or
boilerplate (`summary`, and in `held_out` for the report split).

One pass of answers: the questions are asked once with the `abstain_below` threshold disabled, and
each answer's confidence (the best sentence's score, which search/answer.py compares with
`abstain_below` after everything else is decided) gives what any threshold would have done: the
metrics at the configured one, and the calibration table over a range (`at_threshold`, `sweep`).

    quarry eval --answers --gold eval/gold/seed.jsonl [--docs corpus] [--report eval/REPORT.md]
    quarry eval --answers --dataset ../shared/datasets/conditionalqa [--qa qa.jsonl]

(Over 350 lines: both gold shapes, the one-pass threshold replay and the halves are judged from one set
of rows, which is easier to follow in one file; summary scoring lives apart in eval/answers_summary.py.)
"""

from __future__ import annotations

import hashlib
import html
import re
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from quarry.jsonl import read_jsonl
from eval.answers_summary import summary_metrics, summary_verdict
from indexer.build import Progress

NO_THRESHOLD = -1e9
HELD_OUT_KEYS = ("questions", "answerable", "unanswerable", "span_hit", "evidence_hit", "abstain_answerable", "abstain_unanswerable",
                 "summary")
SWEEP = tuple(round(0.30 + 0.05 * i, 2) for i in range(19))  # abstain_below values of the calibration table: 0.30 .. 1.20
MAX_MISSES = 200  # kept in saved results
TEXT_CAP = 200  # characters of a question, answer or expected span kept per miss


@dataclass
class AnswerResult:
    """One data set's answer evaluation: metrics at the configured threshold, calibration, misses."""

    dataset: str
    questions: int
    metrics: dict[str, Any]  # answerable, unanswerable, span_hit | evidence_hit, abstain_*, abstain_below, latency
    sweep: list[dict[str, Any]] = field(default_factory=list)  # metrics per abstain_below value
    misses: list[dict[str, Any]] = field(default_factory=list)  # answerable missed, unanswerable answered
    miss_count: int = 0
    index: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def hit_key(self) -> str:
        """The hit rate this set is judged on: span_hit (span gold) or evidence_hit (ConditionalQA)."""
        return "span_hit" if "span_hit" in self.metrics else "evidence_hit"

    def line(self) -> dict[str, Any]:
        """The `--json` line."""
        m = self.metrics
        return {"dataset": self.dataset, "kind": "answers", "questions": self.questions, "answerable": m["answerable"],
                "unanswerable": m["unanswerable"], self.hit_key: m.get(self.hit_key),
                "abstain_answerable": m["abstain_answerable"], "abstain_unanswerable": m["abstain_unanswerable"],
                "abstain_below": m["abstain_below"], "latency_ms_p50": m.get("latency_ms_p50"),
                "latency_ms_p95": m.get("latency_ms_p95"), "held_out": m.get("held_out"),
                "factoid_sentences_p50": m.get("factoid_sentences_p50"), "flagged_sentences": m.get("flagged_sentences"),
                **({"summary": m["summary"]} if "summary" in m else {})}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "AnswerResult":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def load_gold(path: str | Path) -> list[dict[str, Any]]:
    """Gold rows from a JSONL file (either shape; see the module docstring)."""
    return [row for _, row in read_jsonl(path)]


def as_row(item: Any) -> dict[str, Any]:
    """A gold question as a dict: rows pass through; records with .question/.answers are read."""
    if isinstance(item, dict):
        return item
    return {"id": getattr(item, "id", None), "question": item.question, "answerable": getattr(item, "answerable", True),
            "answers": [{"doc": a.doc, "span": a.span} for a in getattr(item, "answers", ())],
            "kind": getattr(item, "kind", None), "split": getattr(item, "split", "")}


def question_text(row: dict[str, Any]) -> str:
    """What is asked: ConditionalQA rows put their scenario before the question (as its BEIR queries do),
    ended as a sentence (many of its scenarios lack the final full stop, which ran them into the question)."""
    scenario = (row.get("scenario") or "").strip()
    if scenario and not scenario.endswith((".", "?", "!")):
        scenario += "."
    return f"{scenario} {row['question']}" if scenario else row["question"]


def shown(row: dict[str, Any]) -> str:
    """A question as the list of misses shows it: the question first, then any scenario."""
    scenario = (row.get("scenario") or "").strip()
    return f"{row['question']} (scenario: {scenario})" if scenario else row["question"]


def is_answerable(row: dict[str, Any]) -> bool:
    if "answerable" in row:
        return bool(row["answerable"])
    return not row.get("not_answerable", False)


def _norm(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split()).casefold()


def _plain(evidence: str) -> str:
    """A gold evidence sentence without its HTML tags and entities."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", evidence)).split())


def evidence_spans(text: str, evidence: Iterable[str]) -> list[tuple[int, int]]:
    """Where each gold evidence sentence (HTML stripped) stands in a document's text."""
    spans = []
    for ev in evidence:
        words = _plain(ev).split()
        if not words:
            continue
        m = re.search(r"\s+".join(re.escape(w) for w in words), text)
        if m:
            spans.append(m.span())
    return spans


def expected(row: dict[str, Any]) -> str:
    """What a right answer holds, for the list of misses: the first gold span or evidence sentence."""
    if not is_answerable(row):
        return "(an abstention)"
    answers = row.get("answers") or []
    if answers and isinstance(answers[0], dict):
        return answers[0].get("span", "")
    if row.get("evidences"):
        return _plain(row["evidences"][0])
    return str(answers[0][0]) if answers and answers[0] else ""


def held_out(question_id: Any) -> bool:
    """Which half a question falls in, by a hash of its id: the held-out half (True) or the calibration half."""
    return int(hashlib.sha1(str(question_id).encode("utf-8")).hexdigest(), 16) % 2 == 1


def in_held_out(row: dict[str, Any]) -> bool:
    """The row's own split when the gold set fixes one ("report" is held out), else `held_out` of its id."""
    split = row.get("split")
    return split == "report" if split else held_out(row.get("id"))


def is_factoid(question: str) -> bool:
    """A question with one fact for an answer (a figure, a date, an acronym's expansion, who)."""
    from search.answer_choice import FACTOID
    from search.answer_types import question_type

    return question_type(question) in FACTOID or re.match(r"\s*(?:who|whom|whose)\b", question, re.I) is not None


def flagged_sentences(question: str, quotes: Iterable[str]) -> int:
    """Quoted sentences judged context-dependent (leaning on a sentence not quoted with it) or boilerplate
    the question does not ask about."""
    from quarry.analysis import sentence_spans, terms
    from search.answer_candidates import boilerplate, depends_on_context

    asked = set(terms(question))
    n = 0
    for quote in quotes:
        for i, (a, b) in enumerate(sentence_spans(quote)):
            sentence = quote[a:b]
            furniture = boilerplate(sentence)
            n += (i == 0 and depends_on_context(sentence)) or (furniture is not None and not furniture & asked)
    return n


def judge(row: dict[str, Any], answer, source_text) -> dict[str, Any]:
    """One question's verdict: abstained, and (answerable) whether the answer holds the gold."""
    first = answer.citations[0] if answer.citations else None
    out: dict[str, Any] = {"id": row.get("id"), "answerable": is_answerable(row), "abstained": answer.abstained,
                           "confidence": answer.interpreted.get("confidence"), "reason": answer.interpreted.get("reason"),
                           "held_out": in_held_out(row), "factoid": is_factoid(row["question"]),
                           "sentences": len(answer.citations),
                           "flagged": flagged_sentences(row["question"], [c.quote for c in answer.citations])}
    if row.get("kind") == "summary":
        out["summary"] = True
    if not out["answerable"]:
        return out
    if out.get("summary") and not answer.abstained:  # quoted from the judged document only?
        keys = [a["span"] for a in row["answers"]]
        docs = {c.hit.chunk.doc_id for c in answer.citations}
        out.update(summary_verdict(keys, [c.quote for c in answer.citations]),
                   named_only=all(any(_norm(k) in _norm(source_text(d)) for k in keys) for d in docs))
    if row.get("answers") and isinstance(row["answers"][0], dict):  # seed shape: verbatim spans
        spans = [_norm(a["span"]) for a in row["answers"]]
        texts = [_norm(answer.answer)] + ([_norm(first.quote)] if first else [])
        out["hit"] = not answer.abstained and any(sp in t for sp in spans for t in texts)
    if "evidences" in row:
        doc = row.get("url")
        hit = False
        if first and not answer.abstained and first.hit.chunk.doc_id == doc:
            gold = evidence_spans(source_text(doc), row["evidences"])
            hit = any(first.char_start < b and a < first.char_end for a, b in gold)
        out["evidence_hit"] = hit
    return out


def answer_rows(searcher, gold: Iterable[Any], k: int | None = None, progress: Progress | None = None,
                abstain_below: float | None = None) -> tuple[list[dict[str, Any]], list[float]]:
    """Ask every question once with `searcher` and judge it: per-question rows and seconds per answer.

    Each row also keeps the question (as `shown`), the answer given and the expected text, for the misses.
    `abstain_below` overrides the searcher's setting for these questions (None keeps it).
    """
    from eval.harness import _say
    from search.answer import ask

    rows, seconds = [], []
    gold = [as_row(g) for g in gold]
    if gold:
        ask(searcher, question_text(gold[0]), k=k, abstain_below=abstain_below)  # warm up (model load) outside the timings
    for n, row in enumerate(gold, start=1):
        asked = question_text(row)
        start = time.perf_counter()
        answer = ask(searcher, asked, k=k, abstain_below=abstain_below)
        seconds.append(time.perf_counter() - start)
        rows.append({**judge(row, answer, searcher.source_text), "question": shown(row), "answer": answer.answer,
                     "expected": expected(row)})
        if n % 25 == 0 or n == len(gold):
            _say(progress, f"answered {n} of {len(gold)} questions")
    return rows, seconds


def at_threshold(rows: list[dict[str, Any]], abstain_below: float) -> list[dict[str, Any]]:
    """The rows as a pass at `abstain_below` would have judged them, from a pass with no threshold.

    search/answer.py abstains when its best sentence scores under `abstain_below`, after everything
    else is decided, and records that score rounded to 4 places as the confidence; so for a threshold
    of at most 4 decimals an answer turns into an abstention exactly when its confidence is below it
    (a score within 0.00005 under the threshold, recorded as equal to it, is the one case left out).
    """
    out = []
    for r in rows:
        weak = not r["abstained"] and r.get("confidence") is not None and r["confidence"] < abstain_below
        if not weak:
            out.append(r)
            continue
        out.append({**r, "abstained": True, "reason": f"the best evidence scores {r['confidence']:.2f}, under {abstain_below}",
                    "answer": "(abstained)", **{key: False for key in ("hit", "evidence_hit") if key in r}})
    return out


def summarise(rows: list[dict[str, Any]], seconds: list[float] | None = None) -> dict[str, Any]:
    """Counts, span / evidence hit rates and abstention rates over judged rows (and latency percentiles)."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    rate = lambda xs, key: round(sum(bool(x.get(key)) for x in xs) / len(xs), 4) if xs else None
    metrics: dict[str, Any] = {
        "questions": len(rows), "answerable": len(answerable), "unanswerable": len(unanswerable),
        "abstain_answerable": rate(answerable, "abstained"),
        "abstain_unanswerable": rate(unanswerable, "abstained"),
    }
    if any("hit" in r for r in answerable):
        metrics["span_hit"] = rate([r for r in answerable if "hit" in r], "hit")
    if any("evidence_hit" in r for r in answerable):
        metrics["evidence_hit"] = rate([r for r in answerable if "evidence_hit" in r], "evidence_hit")
    answered = [r for r in rows if not r["abstained"] and "sentences" in r]
    factoids = [r["sentences"] for r in answered if r.get("factoid")]
    if answered:
        metrics["factoid_sentences_p50"] = statistics.median(factoids) if factoids else None
        metrics["flagged_sentences"] = sum(r.get("flagged", 0) for r in answered)
    summaries = [r for r in rows if r.get("summary")]
    if summaries:
        metrics["summary"] = summary_metrics(summaries)
    if seconds:
        metrics["latency_ms_p50"] = round(float(np.percentile(seconds, 50)) * 1000, 1)
        metrics["latency_ms_p95"] = round(float(np.percentile(seconds, 95)) * 1000, 1)
    return metrics


def sweep(rows: list[dict[str, Any]], thresholds: Iterable[float] = SWEEP) -> list[dict[str, Any]]:
    """The calibration table: hit and abstention rates at each `abstain_below`, from one pass's rows."""
    return [{"abstain_below": t, **summarise(at_threshold(rows, t))} for t in thresholds]


def misses(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answerable questions missed (abstained, or answered without the gold) and unanswerable ones answered."""
    out = []
    for r in rows:
        missed = r["abstained"] or not r.get("hit", r.get("evidence_hit", False)) if r["answerable"] else not r["abstained"]
        if missed:
            out.append({"id": r["id"], "answerable": r["answerable"], "question": r["question"][:TEXT_CAP],
                        "answer": (r["answer"] if not r["abstained"] else f"(abstained: {r.get('reason')})")[:TEXT_CAP],
                        "expected": r["expected"][:TEXT_CAP], "confidence": r.get("confidence")})
    return out


def evaluate_answers(searcher, gold: Iterable[Any], dataset: str, k: int | None = None, index: dict[str, Any] | None = None,
                     progress: Progress | None = None) -> AnswerResult:
    """Ask the questions once with no threshold and judge them at the searcher's configured `abstain_below`."""
    clock = time.perf_counter()
    abstain_below = searcher.settings.abstain_below
    rows, seconds = answer_rows(searcher, gold, k, progress, abstain_below=NO_THRESHOLD)
    judged = at_threshold(rows, abstain_below)
    found = misses(judged)
    calibration = [r for r in rows if not r.get("held_out")]
    held = summarise([r for r in judged if r.get("held_out")])
    return AnswerResult(dataset=dataset, questions=len(rows),
                        metrics={**summarise(judged, seconds), "abstain_below": abstain_below,
                                 "held_out": {k: held[k] for k in held if k in HELD_OUT_KEYS}},
                        sweep=sweep(calibration, sorted({*SWEEP, abstain_below})) if any(not r["answerable"] for r in rows) else [],
                        misses=found[:MAX_MISSES], miss_count=len(found),
                        index={**(index or {}), "abstain_below": abstain_below,
                               "answer_passages": k or searcher.settings.answer_passages,
                               "answer_sentences": searcher.settings.answer_sentences,
                               "answer_checks": searcher.settings.answer_checks, "reranker": searcher.settings.reranker},
                        seconds=time.perf_counter() - clock)


def evaluate_gold_answers(gold_path: Path, docs: list[Path], settings, name: str | None = None,
                          progress: Progress | None = None) -> AnswerResult:
    """Answers on a span gold set over the files in `docs`, indexed as the retrieval gold run does."""
    from eval import gold
    from eval.harness import open_gold_docs

    questions = gold.load(gold_path)
    name = name or gold_path.stem
    searcher, info, _, _ = open_gold_docs(docs, settings, name, progress)
    return evaluate_answers(searcher, questions, name, index={**info, "docs": [str(d) for d in docs]}, progress=progress)


def evaluate_beir_answers(folder: Path, settings, qa: str = "qa.jsonl", corpus: str = "corpus.jsonl",
                          progress: Progress | None = None) -> AnswerResult:
    """Answers on a BEIR folder's corpus (indexed and cached as the retrieval run does), judged by its qa file."""
    from eval import beir
    from eval.harness import open_cached
    from quarry.errors import QuarryError, UsageError

    qa_path = folder / qa
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder")
    if not qa_path.is_file():
        raise UsageError(f"{qa_path}: no such file (--answers --dataset judges answers by a qa.jsonl of questions and evidences)")
    name, sources, _ = beir.load_corpus(folder, corpus)
    rows = load_gold(qa_path)  # read_jsonl already names a bad line: "<file>:<n>: not a JSON line"
    if not rows or not all("question" in r for r in rows):
        raise QuarryError(f"{qa_path}: each line must be a JSON object with a \"question\"")
    searcher, info = open_cached(settings, name, sources, progress, settings.max_k)
    return evaluate_answers(searcher, rows, name, index={**info, "qa": str(qa_path)}, progress=progress)
