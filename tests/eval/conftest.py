"""The seed set's answers through `quarry eval --answers --json` with the real model, run once per session
(read by the CLI contract test and the CI gate)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def seed_answers_line() -> dict:
    """The one JSON line of `quarry eval --answers --gold eval/gold/seed.jsonl --json` (cached index in .quarry/eval-cache)."""
    out = subprocess.run([sys.executable, "-m", "cli", "eval", "--answers", "--gold", "eval/gold/seed.jsonl", "--json",
                          "--quiet"], capture_output=True, text=True, timeout=1800, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    (line,) = out.stdout.splitlines()
    return json.loads(line)
