"""A build killed mid-way (kill -9 or Ctrl-C) leaves the previous index intact; the next run cleans up."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from indexer.build import build_index
from quarry import index_format as fmt
from quarry.settings import Settings
from search import open_index
from tests.conftest import CORPUS, ROOT, SHARED

INSPECTIONS = SHARED / "datasets" / "ofsted" / "inspections"
QUERY = "How many children came into care in Wrexham?"


def snapshot(settings: Settings) -> tuple[Path, list[str]]:
    """The current build folder and the chunk ids a query returns from it."""
    searcher = open_index(settings.index, settings)
    return fmt.build_dir(Path(settings.index)), [h.chunk.chunk_id for h in searcher.search(QUERY, k=5, mode="bm25").hits]


def wait_for(proc: subprocess.Popen, marker: str, stream: str = "stderr", timeout: float = 600) -> str:
    """Read the child's output until `marker` appears (tqdm writes '\\r' updates, so read raw bytes)."""
    pipe = getattr(proc, stream)
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{marker!r} never appeared: {seen[-2000:]!r}")
        ready, _, _ = select.select([pipe], [], [], 1.0)
        if ready:
            seen += os.read(pipe.fileno(), 65536)
    return seen.decode(errors="replace")


@pytest.fixture
def previous(tmp_path) -> Settings:
    """A good index of the seed corpus, the one that must survive."""
    settings = Settings(index=str(tmp_path / "index"), model="hash")
    build_index([CORPUS], settings)
    return settings


def child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


# A `quarry index` that stops, as if still busy, once it starts writing the new build folder.
_STALLS_WHILE_WRITING = textwrap.dedent("""
    import signal, sys, time
    # Ctrl-C as in a terminal, even when the tests run as a background job (which inherit SIGINT ignored)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import indexer.store as store
    real = store.write_tables
    def slow_write(folder, records, chunk_rows):
        real(folder, records, chunk_rows)
        print("WRITING", flush=True)
        time.sleep(600)
    store.write_tables = slow_write
    from cli.main import main
    sys.exit(main(sys.argv[1:]))
""")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_build_killed_while_writing_leaves_previous_index(previous, tmp_path, sig):
    before = snapshot(previous)
    bigger = tmp_path / "more"
    shutil.copytree(CORPUS, bigger)
    (bigger / "extra note.txt").write_text("An extra note about transport for disabled children in Wrexham.\n")
    proc = subprocess.Popen([sys.executable, "-c", _STALLS_WHILE_WRITING, "index", str(bigger), "--index", previous.index,
                             "--model", "hash", "--quiet"], cwd=ROOT, env=child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(proc, "WRITING", "stdout")
        stale = [p for p in (Path(previous.index) / fmt.BUILDS).iterdir() if p.name.endswith(".tmp")]
        assert len(stale) == 1  # the half-written build
        proc.send_signal(sig)
        _, err_bytes = proc.communicate(timeout=60)  # drains both pipes: a full pipe must not stall the child
    finally:
        if proc.poll() is None:
            proc.kill()
    err = err_bytes.decode()
    if sig == signal.SIGINT:  # Ctrl-C: one line, exit 130, and the half-written build is removed at once
        assert proc.returncode == 130 and err.strip() == "quarry: interrupted"
        assert not stale[0].exists()
    else:
        assert proc.returncode == -signal.SIGKILL
    assert snapshot(previous) == before  # same build folder, same answers
    summary = build_index([bigger], previous)  # the next run succeeds and sweeps the stale build away
    assert summary.documents == 4
    assert not [p for p in (Path(previous.index) / fmt.BUILDS).iterdir() if p.name.endswith(".tmp")]
    assert fmt.build_dir(Path(previous.index)) != before[0]


@pytest.mark.slow  # the real model embedding thirty Ofsted reports, killed part-way through
@pytest.mark.requires(INSPECTIONS.is_dir(), "shared Ofsted data not present")
def test_quarry_index_killed_while_embedding_leaves_previous_index(previous, tmp_path):
    before = snapshot(previous)
    folder = tmp_path / "inspections"
    folder.mkdir()
    for report in sorted(INSPECTIONS.glob("*/*.txt"))[:30]:  # folder names with spaces, commas and '&'
        target = folder / report.parent.name / report.name
        target.parent.mkdir(exist_ok=True)
        shutil.copy(report, target)
    proc = subprocess.Popen([sys.executable, "-m", "cli", "index", str(folder), "--index", previous.index],
                            cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        progress = wait_for(proc, "quarry: embedding")
        time.sleep(3)  # well inside the embedding stage (thousands of chunks)
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "quarry: reading" in progress and "quarry: chunking" in progress
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(previous) == before
    searcher = open_index(previous.index, previous)
    assert {Path(i.source).parent == CORPUS for i in searcher.doc_infos.values()} == {True}
