"""`quarry eval --verify`: the quote-checking figures of eval/verify.py through the `quarry eval` command."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "eval" / "gold" / "verify.jsonl"


def quarry(*args):
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.fixture(scope="module")
def small_gold(tmp_path_factory):
    """Two seed-corpus rows of each found verdict and two not_found rows from the committed gold set."""
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]
    picked = []
    for verdict in ("verbatim", "close", "altered", "not_found"):
        picked += [r for r in rows if r["verdict"] == verdict and (verdict == "not_found" or r["doc"].startswith("corpus/"))][:2]
    path = tmp_path_factory.mktemp("gold") / "verify-small.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in picked), encoding="utf-8")
    return path


def test_eval_verify_json_is_one_line_of_figures(small_gold, tmp_path):
    out = quarry("eval", "--verify", "--gold", str(small_gold), "--docs", "corpus", "--model", "hash",
                 "--eval-cache", str(tmp_path / "cache"), "--json", "--quiet")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    d = json.loads(lines[0])
    assert d["rows"] == 8 and set(d["per_verdict"]) == {"verbatim", "close", "altered", "not_found"}
    assert sum(sum(row.values()) for row in d["confusion"].values()) == 8
    assert d["per_verdict"]["verbatim"]["recall"] == 1.0  # a sentence as written is always found
    assert d["latency_ms_p50"] > 0 and {"altered_named", "span_match", "misses"} <= set(d)


def test_eval_verify_prints_the_report(small_gold, tmp_path):
    out = quarry("eval", "--verify", "--gold", str(small_gold), "--docs", "corpus", "--model", "hash",
                 "--eval-cache", str(tmp_path / "cache"), "--quiet")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("quote checking: 8 rows") and "latency per check" in out.stdout


def test_eval_verify_report_saves_the_run_and_adds_the_section(small_gold, tmp_path):
    report = tmp_path / "REPORT.md"
    out = quarry("eval", "--verify", "--gold", str(small_gold), "--docs", "corpus", "--model", "hash",
                 "--eval-cache", str(tmp_path / "cache"), "--quiet", "--report", str(report))
    assert out.returncode == 0, out.stderr
    saved = json.loads((tmp_path / "results" / "verify" / "verify-small.json").read_text(encoding="utf-8"))
    assert saved["result"]["rows"] == 8 and saved["command"].startswith("quarry eval --verify --gold ")
    assert "--model hash" in saved["command"] and saved["command"].endswith("--report " + str(report))
    text = report.read_text(encoding="utf-8")
    assert "## Quote checking (`quarry verify`)" in text and "### verify-small" in text
    assert "| gold \\ predicted | verbatim | close | altered | not_found |" in text
    assert "latency p50 " in text and f"`{saved['command']}`" in text


@pytest.mark.parametrize("args,needle", [
    (("--verify",), "--verify needs --gold"),
    (("--verify", "--gold", "BAD", "--modes", "bm25"), "do not apply to --verify"),
    (("--verify", "--gold", "BAD", "--report", "R.md"), "expected {\"id\", \"text\", \"verdict\""),  # --report is accepted
    (("--verify", "--gold", "BAD", "--answers"), "--verify needs --gold"),
    (("--verify", "--gold", "BAD"), "expected {\"id\", \"text\", \"verdict\""),
])
def test_eval_verify_usage_errors_are_one_line_exit_2(args, needle, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "text": "x", "verdict": "maybe"}\n', encoding="utf-8")
    out = quarry("eval", *[str(bad) if a == "BAD" else a for a in args], "--docs", "corpus", "--model", "hash",
                 "--eval-cache", str(tmp_path / "cache"))
    assert out.returncode == 2, out.stderr
    assert needle in out.stderr and len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
