"""The Markdown report: anchors beside the numbers, targets, the hybrid verdict, failures, the plot."""

from eval import report
from eval.harness import ModeResult
from eval.metrics import METRICS


def result(mode: str, ndcg: float, failures=()) -> ModeResult:
    return ModeResult(dataset="cisi", split="test", mode=mode, unit="document", queries=76,
                      metrics={m: ndcg for m in METRICS}, curve={1: 0.1, 10: 0.3, 100: 0.5},
                      failures=list(failures), failure_count=len(failures),
                      index={"documents": 1460, "chunks": 1824, "model": "m", "max_chunk_tokens": 200, "ranked": 100})


def test_verdict_names_the_retriever_hybrid_does_not_beat():
    rs = [result("bm25", 0.40), result("dense", 0.20), result("hybrid", 0.35)]
    rs[2].versus = {"bm25": {"ndcg@10": {"diff": -0.05, "p": 0.5}}, "dense": {"ndcg@10": {"diff": 0.15, "p": 0.01}}}
    assert report.verdict(rs, "ndcg@10") == "**no**: -0.0500 vs bm25 (p=0.50), +0.1500 vs dense (p=0.01)"
    rs = [result("bm25", 0.3), result("dense", 0.2), result("hybrid", 0.35)]
    assert report.verdict(rs, "ndcg@10") == "yes: +0.0500 vs bm25, +0.1500 vs dense"
    assert report.verdict([result("bm25", 0.3)], "ndcg@10") == "n/a"


def test_report_puts_anchors_targets_and_failures_beside_the_numbers(tmp_path):
    failure = {"id": "q7", "question": "What is a thesaurus | really?", "found_at": None,
               "expected": "28 Thesauri", "first": "35 Indexing"}
    runs = [result("bm25", 0.40), result("dense", 0.20), result("hybrid", 0.35, [failure])]
    path = tmp_path / "REPORT.md"
    report.save(runs, path, "quarry eval --dataset cisi --report REPORT.md")
    report.write(path)
    text = path.read_text(encoding="utf-8")
    assert "quarry eval --dataset cisi --report REPORT.md" in text
    assert "| *rank-bm25, whole documents (shared/datasets/README.md)* | 0.366 |  | 0.418 |" in text
    assert "| *target (hybrid)* | 0.400 |" in text
    assert "| cisi/test | nDCG@10 | 0.400 | 0.350 | 0.400 | 0.200 | **no** | **no**: -0.0500 vs bm25, +0.1500 vs dense |" in text
    assert "| q7 | What is a thesaurus \\| really? | 28 Thesauri | 35 Indexing | not in top 100 |" in text
    assert (tmp_path / "REPORT-recall.png").read_bytes()[:4] == b"\x89PNG"


def test_saved_results_round_trip(tmp_path):
    path = tmp_path / "R.md"
    report.save([result("bm25", 0.4)], path, "cmd")
    (run,) = report.load_saved(path)
    assert run["results"][0] == result("bm25", 0.4)


def test_answers_section_names_targets_met_and_missed(tmp_path):
    from eval import report_answers
    from eval.answers import AnswerResult

    metrics = {"answerable": 76, "unanswerable": 15, "span_hit": 0.8, "abstain_answerable": 0.05,
               "abstain_unanswerable": 0.8, "abstain_below": 0.5, "latency_ms_p50": 110.0, "latency_ms_p95": 900.4}
    sweep = [{"abstain_below": 0.5, "span_hit": 0.8, "abstain_answerable": 0.05, "abstain_unanswerable": 0.8},
             {"abstain_below": 0.9, "span_hit": 0.7, "abstain_answerable": 0.2, "abstain_unanswerable": 0.9}]
    miss = {"id": "seed-9", "answerable": True, "question": "What | why?", "answer": "(abstained: no date)",
            "expected": "the span", "confidence": 0.42}
    result = AnswerResult("seed", 91, metrics, sweep, [miss] * 20, 20, {"chunks": 168, "documents": 3}, 55.0)
    path = tmp_path / "REPORT.md"
    report_answers.save(result, path, "quarry eval --answers --gold seed.jsonl --report REPORT.md")
    report.write(path)
    text = path.read_text(encoding="utf-8")
    assert ("| seed | 76 | 15 | 0.800 (span) | 0.050 | 0.800 | 0.5 | 110 | 900 | span hit ≥ 0.85: **missed**; "
            "abstains on unanswerable ≥ 0.80: met; abstains on answerable ≤ 0.10: met |") in text
    assert "| 0.5 ← | 0.800 | 0.050 | 0.800 |" in text and "| 0.9 | 0.700 | 0.200 | 0.900 |" in text
    assert text.count("| seed-9 | What \\| why? | (abstained: no date) | the span | 0.42 |") == report_answers.SHOWN_MISSES
    assert "… and 5 more (results/answers/seed.json)." in text
    assert report.load_saved(path) == [] and report_answers.load_saved(path)[0]["result"] == result


def test_verify_section_shows_precision_recall_confusion_and_the_command(tmp_path):
    from eval import report_verify
    from eval.verify import VerifyResult

    verdicts = ("verbatim", "close", "altered", "not_found")
    confusion = {g: {p: 0 for p in verdicts} for g in verdicts}
    confusion["verbatim"]["verbatim"], confusion["close"]["close"], confusion["close"]["altered"] = 10, 9, 1
    confusion["altered"]["altered"], confusion["not_found"]["not_found"] = 10, 10
    per_verdict = {"verbatim": {"precision": 1.0, "recall": 1.0, "support": 10},
                   "close": {"precision": 1.0, "recall": 0.9, "support": 10},
                   "altered": {"precision": 10 / 11, "recall": 1.0, "support": 10},
                   "not_found": {"precision": 1.0, "recall": 1.0, "support": 10}}
    miss = {"id": "v-7", "kind": "synonym", "gold": "close", "predicted": "altered", "text": "The | plan", "source": "x",
            "differences": ["word: 'plan' -> 'scheme'"]}
    result = VerifyResult(40, per_verdict, confusion, 0.96, 1.0, 12.34, 56.78, 168, "hash", [miss], "verify")
    path = tmp_path / "REPORT.md"
    command = "quarry eval --verify --gold eval/gold/verify.jsonl --docs corpus --report REPORT.md"
    report_verify.save(result, path, command)
    assert (tmp_path / "results" / "verify" / "verify.json").is_file()
    report.write(path)
    text = path.read_text(encoding="utf-8")
    assert "## Quote checking (`quarry verify`)" in text and f"`{command}`" in text
    assert "| close | 1.000 | **0.900** | 10 |" in text and "| altered | **0.909** | 1.000 | 10 |" in text
    assert "| gold \\ predicted | verbatim | close | altered | not_found |" in text
    assert "| close | 0 | 9 | 1 | 0 |" in text and "| not_found | 0 | 0 | 0 | 10 |" in text
    assert "altered named 0.960" in text and "p50 12.3 ms, p95 56.8 ms" in text and "targets **missed**" in text
    assert "| v-7 | synonym | close | altered | The \\| plan | word: 'plan' -> 'scheme' |" in text
    assert report.load_saved(path) == [] and report_verify.load_saved(path)[0]["result"] == result
