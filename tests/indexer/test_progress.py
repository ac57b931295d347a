"""Per-stage progress: bars with counts on stderr, silence with --quiet, a summary that says what was skipped."""

from __future__ import annotations

import io
import json
import shutil

from indexer.build import build_index
from indexer.progress import Bars, Messages, Silent, as_progress
from cli.main import main
from quarry.settings import Settings
from tests.conftest import CORPUS


def test_bars_show_each_stage_with_counts():
    stream = io.StringIO()
    bars = Bars(stream)
    stage = bars.stage("reading", 3, "doc")
    for _ in range(3):
        stage.advance()
    stage.close()
    bars.note("writing the index")
    out = stream.getvalue()
    assert "quarry: reading 3/3 docs" in out and "doc/s" in out
    assert out.rstrip().endswith("quarry: writing the index")


def test_build_reports_reading_chunking_and_embedding(tmp_path):
    lines: list[str] = []
    settings = Settings(index=str(tmp_path / "ix"), model="hash")
    build_index([CORPUS], settings, progress=lines.append)  # a plain callable still works
    assert lines[0] == "reading 3 doc(s)" and "reading: 3/3 doc(s) done" in lines
    assert "chunking: 3/3 doc(s) done" in lines
    embedded = next(line for line in lines if line.startswith("embedding: "))
    assert embedded.endswith("chunk(s) done") and embedded.split()[1].split("/")[0] == embedded.split()[1].split("/")[1]
    assert lines[-1] == "writing the index"


def test_as_progress_accepts_what_callers_pass():
    assert isinstance(as_progress(None), Silent)
    assert isinstance(as_progress(print), Messages)
    bars = Bars(io.StringIO())
    assert as_progress(bars) is bars


def test_cli_progress_on_stderr_and_quiet_for_scripts(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "empty.txt").write_bytes(b"")
    assert main(["index", str(corpus), "--index", str(tmp_path / "a"), "--model", "hash"]) == 0
    out, err = capsys.readouterr()
    for stage in ("reading 4/4 docs", "chunking 3/3 docs", "embedding "):
        assert f"quarry: {stage}" in err
    assert "skipped: 1 file(s)" in out and "skipped " + str(corpus / "empty.txt") + ": empty: no text" in out
    assert "embedded: " in out and "/s" in out and "(total " in out  # throughput and total time

    assert main(["index", str(corpus), "--index", str(tmp_path / "b"), "--model", "hash", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "documents: 3" in out

    assert main(["index", str(corpus), "--index", str(tmp_path / "c"), "--model", "hash", "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    summary = json.loads(out)
    assert summary["skipped"] == [{"file": str(corpus / "empty.txt"), "reason": "empty: no text"}]
    assert set(summary["seconds"]) >= {"read", "chunk", "embed", "write"}


def test_summary_gives_each_workers_chunks_and_rate_per_busy_second():
    from indexer.summary import BuildSummary

    s = BuildSummary(index="ix", embedded=300, embedded_on="dask local:2", seconds={"embed": 10.0})
    s.note_batch("tcp://127.0.0.1:4001", 100, 4.0)
    s.note_batch("tcp://127.0.0.1:4002", 100, 5.0)
    s.note_batch("tcp://127.0.0.1:4001", 100, 6.0)
    assert s.workers["tcp://127.0.0.1:4001"] == {"chunks": 200, "batches": 2, "seconds": 10.0}
    assert s.worker_rates() == "tcp://127.0.0.1:4001 200 at 20.0/s, tcp://127.0.0.1:4002 100 at 20.0/s"
    assert s.worker_rates(short=True) == "4001 200 at 20.0/s, 4002 100 at 20.0/s"
    lines = s.lines()
    assert "embedded: 300 chunks at 30.0/s in dask local:2, reused 0 cached vectors" in lines
    assert "workers: 2: " + s.worker_rates() in lines


def test_a_stage_status_goes_on_the_bar_and_into_the_closing_line():
    stream = io.StringIO()
    stage = Bars(stream).stage("embedding", 2, "chunk")
    stage.advance(2)
    stage.status("4001 2 at 9.0/s")
    stage.close()
    assert "4001 2 at 9.0/s" in stream.getvalue()
    lines: list[str] = []
    stage = Messages(lines.append).stage("embedding", 2, "chunk")
    stage.advance(2)
    stage.status("4001 2 at 9.0/s")
    stage.close()
    assert lines[-1] == "embedding: 2/2 chunk(s) done (4001 2 at 9.0/s)"
