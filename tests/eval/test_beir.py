"""The BEIR loader, and `quarry eval` end to end on tiny folders written here (fast hash embedder)."""

import json
import subprocess
import sys
from math import log2
from pathlib import Path

import pytest

from eval import beir
from quarry.errors import QuarryError, UsageError

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"dataset", "split", "mode", "queries", "ndcg@10", "recall@10", "recall@100", "mrr@10", "map@100",
        "success@1", "success@5"}
LONG = " ".join(f"Paragraph sentence number {i} talks about nothing in particular at all." for i in range(80))

CORPUS = [
    {"_id": "d1", "title": "Apples", "text": "An apple orchard gives a harvest of apples for apple pie.", "metadata": {}},
    {"_id": "d2", "title": "Bananas", "text": "A banana plantation grows tropical fruit.", "metadata": {"authority": "Kent"}},
    {"_id": "d3", "title": "Cherries", "text": "Cherry blossom opens at the spring festival.", "metadata": {}},
    {"_id": "d4", "title": "Long", "text": LONG + " The durian is a pungent fruit. " + LONG, "metadata": {}},
]
QUERIES = [{"_id": q, "text": t, "metadata": {}} for q, t in
           [("q1", "banana plantation"), ("q2", "apple orchard pie"), ("q3", "cherry blossom"), ("q4", "durian"),
            ("q5", "unjudged query"), ("q6", "only judged not relevant")]]
QRELS = ["query-id\tcorpus-id\tscore", "q1\td2\t1", "q2\td1\t1", "q2\td3\t1", "q3\td2\t1", "q4\td4\t1",
         "q6\td1\t0", "q9\td1\t1", "q1\tnot-a-doc\t1"]


def write_beir(folder: Path, split: str = "test") -> Path:
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in CORPUS), encoding="utf-8")
    (folder / "queries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in QUERIES), encoding="utf-8")
    (folder / "qrels" / f"{split}.tsv").write_text("\n".join(QRELS) + "\n", encoding="utf-8")
    return folder


def quarry(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, timeout=600, cwd=cwd)


def test_loader_reads_rows_and_drops_what_cannot_be_judged(tmp_path):
    data = beir.load(write_beir(tmp_path / "toy"), "test")
    assert data.name == "toy" and data.split == "test"
    assert [s.doc_id for s in data.sources] == ["d1", "d2", "d3", "d4"]
    assert data.sources[1].entry == {"authority": "Kent", "title": "Bananas"} and data.sources[1].text.startswith("A banana")
    assert set(data.queries) == {"q1", "q2", "q3", "q4"}  # q5 unjudged, q6 nothing relevant, q9 unknown
    assert data.qrels["q1"] == {"d2": 1} and data.qrels["q2"] == {"d1": 1, "d3": 1}
    assert any("not in queries.jsonl" in n for n in data.notes) and any("not in corpus.jsonl" in n for n in data.notes)


def test_another_corpus_file_and_split_are_named(tmp_path):
    folder = write_beir(tmp_path / "toy", split="sections_test")
    (folder / "corpus.jsonl").rename(folder / "sections.jsonl")
    data = beir.load(folder, "sections_test", "sections.jsonl")
    assert data.name == "toy:sections" and len(data.sources) == 4


def test_a_row_without_text_is_indexed_by_its_title():
    assert beir.source_for({"_id": 7, "title": "Only a title", "text": ""}).text == "Only a title"


def test_loader_errors_say_what_is_wrong(tmp_path):
    folder = write_beir(tmp_path / "toy")
    with pytest.raises(UsageError, match="splits here: test"):
        beir.load(folder, "dev")
    (folder / "corpus.jsonl").write_text('{"title": "no id"}\n', encoding="utf-8")
    with pytest.raises(QuarryError, match=r"corpus.jsonl:1: .*_id"):
        beir.load(folder, "test")


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("beir")
    folder = write_beir(tmp / "toy")
    report = tmp / "out" / "REPORT.md"
    out = quarry("eval", "--dataset", str(folder), "--json", "--model", "hash", "--eval-cache", str(tmp / "cache"),
                 "--report", str(report))
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()], report


def test_json_is_one_line_per_mode_with_the_contract_keys(toy_run):
    rows, _ = toy_run
    assert [r["mode"] for r in rows] == ["bm25", "dense", "hybrid"]
    for row in rows:
        assert KEYS <= set(row) and row["dataset"] == "toy" and row["split"] == "test" and row["queries"] == 4
        assert row["chunks"] > len(CORPUS)  # the long document was cut into several passages


def test_bm25_scores_match_the_hand_arithmetic(toy_run):
    # q1: d2 first (1.0 everywhere). q2: only d1 matches, d3 never retrieved. q3: judged d2 never retrieved.
    # q4: the long document d4 ranks first through its one passage that says "durian".
    bm25 = toy_run[0][0]
    assert bm25["ndcg@10"] == pytest.approx((1 + 1 / (1 + 1 / log2(3)) + 0 + 1) / 4, abs=1e-4)
    assert bm25["recall@10"] == pytest.approx((1 + 1 / 2 + 0 + 1) / 4, abs=1e-4)
    assert bm25["success@1"] == pytest.approx(3 / 4, abs=1e-4)
    assert bm25["map@100"] == pytest.approx((1 + 1 / 2 + 0 + 1) / 4, abs=1e-4)


def test_report_has_a_table_per_mode_saved_failures_and_a_plot(toy_run):
    _, report = toy_run
    text = report.read_text(encoding="utf-8")
    assert "## toy/test" in text and "| bm25 |" in text and "| hybrid |" in text and "--dataset" in text
    saved = json.loads((report.parent / "results" / "toy-test.json").read_text(encoding="utf-8"))
    bm25 = saved["results"][0]
    # q3's judged document (d2) never comes back from BM25; q2 found d1 first, so it is no failure
    assert [f["id"] for f in bm25["failures"]] == ["q3"] and bm25["failures"][0]["first"] == "d3 Cherries"
    assert bm25["first_relevant"] == {"q1": 1, "q2": 1, "q3": None, "q4": 1}
    hybrid = saved["results"][2]
    assert set(hybrid["versus"]) == {"bm25", "dense"} and not bm25["versus"]
    vs = hybrid["versus"]["bm25"]["ndcg@10"]
    assert vs["diff"] == pytest.approx(hybrid["metrics"]["ndcg@10"] - bm25["metrics"]["ndcg@10"]) and 0 <= vs["p"] <= 1
    png = report.with_name("REPORT-recall.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gold_set_end_to_end_and_reports_merge(toy_run, tmp_path):
    _, report = toy_run
    docs = tmp_path / "letters"
    docs.mkdir()
    (docs / "a.txt").write_text("Annual report\n\nDuring 2009/10 we spent £58.61\nmillion on Social Services in Wrexham.\n\n"
                                "Foster carers were recruited.\n", encoding="utf-8")
    (docs / "b.txt").write_text("Letter\n\nThe reablement service helped older people regain independence at home.\n",
                                encoding="utf-8")
    (docs / "c.txt").write_text("Minutes\n\nThe committee met on Tuesday and agreed the agenda.\n", encoding="utf-8")
    gold_file = tmp_path / "mini.jsonl"
    gold_file.write_text("\n".join(json.dumps(r) for r in [
        {"id": "1", "question": "How much was spent on Social Services?", "kind": "number", "answerable": True,
         "answers": [{"doc": "letters/a.txt", "span": "we spent £58.61 million on Social Services"}]},
        {"id": "2", "question": "What did the reablement service do?", "kind": "keyword", "answerable": True,
         "answers": [{"doc": "b.txt", "span": "helped older people regain independence"}]},
        {"id": "3", "question": "How many ferrets?", "kind": "unanswerable", "answerable": False, "answers": []},
    ]) + "\n", encoding="utf-8")
    out = quarry("eval", "--gold", str(gold_file), "--docs", str(docs), "--modes", "bm25", "--json", "--model", "hash",
                 "--eval-cache", str(tmp_path / "cache"), "--report", str(report))
    assert out.returncode == 0, out.stderr
    (row,) = [json.loads(line) for line in out.stdout.splitlines()]
    assert row["dataset"] == "mini" and row["queries"] == 2 and row["excluded"] == {"unanswerable": 1}
    assert row["success@1"] == 1.0 and set(row["by_kind"]) == {"number", "keyword"}
    text = report.read_text(encoding="utf-8")
    assert "## toy/test" in text and "## mini/all" in text  # the second run joined the first in one report


@pytest.mark.parametrize("args,needle", [
    (("--dataset", "no/such/folder"), "not a folder"),
    (("--dataset", "corpus", "--modes", "bm25,magic"), "--modes"),
    (("--gold", "eval/gold/seed.jsonl", "--docs", "no/such"), "no such file"),
    (("--docs", "corpus"), "--docs goes with --gold"),
    ((), "give --dataset"),
])
def test_usage_errors_are_one_line(args, needle):
    out = quarry("eval", *args)
    assert out.returncode == 2 and needle in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
