"""Bad input: each case gets a clear reason in the summary, and every other file is still indexed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import indexer.build as build
from indexer.build import build_index
from cli.main import main
from quarry.settings import Settings
from search import open_index
from tests.conftest import CORPUS, SEEDS, SHARED
from tests.indexer.documents import make_pdf

OFSTED = SHARED / "datasets" / "ofsted"
BCP = "focused_visits/2532287_bournemouth, christchurch & poole/children's services focused visit - 18 december 2019.txt"


def good_folder(tmp_path: Path) -> Path:
    """Two seed documents and an Ofsted letter whose folder and file names have spaces, commas, & and '."""
    root = tmp_path / "docs"
    root.mkdir()
    for key in ("letter_cardiff", "letter_wrexham"):
        shutil.copy(CORPUS / f"{SEEDS[key]}.txt", root)
    target = root / BCP
    target.parent.mkdir(parents=True)
    shutil.copy(OFSTED / BCP, target)
    return root


def indexed_sources(settings: Settings) -> set[str]:
    searcher = open_index(settings.index, settings)
    return {Path(info.source).name for info in searcher.doc_infos.values()}


GOOD = {f"{SEEDS['letter_cardiff']}.txt", f"{SEEDS['letter_wrexham']}.txt", Path(BCP).name}


def run(tmp_path: Path, root: Path, capsys, *extra: str) -> tuple[int, str, Settings]:
    """`quarry index` on the folder (fake embedder); returns exit code, printed summary, settings."""
    index = tmp_path / "index"
    code = main(["index", str(root), "--index", str(index), "--model", "hash", "--quiet", *extra])
    out = capsys.readouterr().out
    return code, out, Settings(index=str(index), model="hash")


def skipped_line(out: str, name: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("  skipped ") and name in line)


@pytest.mark.parametrize("name, make, reason", [
    ("empty.txt", lambda p: p.write_bytes(b""), "empty: no text"),
    ("blank.md", lambda p: p.write_text("\n \n\t\n"), "empty: no text"),
    ("junk.pdf", lambda p: p.write_bytes(os.urandom(4096).replace(b"%PDF-", b"")), "not a PDF (no %PDF- header): damaged or misnamed"),
    ("locked.pdf", lambda p: p.write_bytes(make_pdf([["Secret minutes of the panel."]], password="pw")),
     "encrypted PDF: a password is needed to open it"),
    ("scan.pdf", lambda p: p.write_bytes(make_pdf([[], [], []])),
     "no text layer in any of its 3 page(s) (scanned or image-only PDF; OCR it first)"),
    ("image.txt", lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(512)), "an image (PNG), not a document"),
    ("old.docx", lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)), "old binary Office file"),
    ("notes.rtf", lambda p: p.write_text("{\\rtf1 hello}"), "unsupported file type .rtf"),
])
def test_bad_file_is_skipped_with_its_reason_and_the_rest_indexed(tmp_path, capsys, name, make, reason):
    root = good_folder(tmp_path)
    make(root / name)
    code, out, settings = run(tmp_path, root, capsys)
    assert code == 0
    assert reason in skipped_line(out, name)
    assert "skipped: 1 file(s)" in out
    assert indexed_sources(settings) == GOOD


def test_non_utf8_text_is_decoded_and_noted(tmp_path, capsys):
    root = good_folder(tmp_path)
    (root / "cp1252 minutes.txt").write_bytes("Minutes of the café meeting: the budget rose to £5m – “approved”.\n".encode("cp1252"))
    code, out, settings = run(tmp_path, root, capsys)
    assert code == 0 and "note: " in out and "cp1252 minutes.txt: decoded as cp1252" in out
    assert indexed_sources(settings) == GOOD | {"cp1252 minutes.txt"}
    searcher = open_index(settings.index, settings)
    (hit,) = [h for h in searcher.search("café budget", k=5, mode="bm25").hits if "cp1252" in h.doc.source]
    assert "café meeting: the budget rose to £5m – “approved”" in hit.chunk.text


def test_a_100_mb_text_file_is_skipped_by_the_size_cap_without_reading_it(tmp_path, capsys, monkeypatch):
    root = good_folder(tmp_path)
    big = root / "server log.txt"
    line = b"2024-01-01 12:00:00 INFO request served in 12 ms from the children's services portal\n"
    with big.open("wb") as f:
        block = line * (2**20 // len(line) + 1)
        while f.tell() < 100 * 2**20:
            f.write(block)
    read_sizes = []
    real_read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read_sizes.append(self.stat().st_size) or real_read_bytes(self))
    code, out, settings = run(tmp_path, root, capsys)
    assert code == 0
    assert "too large: 100 MB is over max_file_mb=64 (raise it to index this file)" in skipped_line(out, "server log.txt")
    assert max(read_sizes) < 2**20  # the big file was never loaded
    assert indexed_sources(settings) == GOOD
    code, out, _ = run(tmp_path, root, capsys, "--max-file-mb", "0.01")  # the cap is a setting
    assert "too large" in skipped_line(out, SEEDS["letter_cardiff"])


def test_a_file_that_vanishes_between_discovery_and_reading(tmp_path, capsys, monkeypatch):
    root = good_folder(tmp_path)
    doomed = root / "draft, v2 & final.txt"
    doomed.write_text("A draft that someone deletes while the index is being built.\n")
    real = build.file_sources

    def discover_then_delete(paths):
        sources, skipped = real(paths)
        assert any(s.path == doomed for s in sources)  # it was found ...
        doomed.unlink()  # ... and is gone before it is read
        return sources, skipped

    monkeypatch.setattr(build, "file_sources", discover_then_delete)
    code, out, settings = run(tmp_path, root, capsys)
    assert code == 0
    assert "file vanished before it could be read" in skipped_line(out, "draft, v2 & final.txt")
    assert indexed_sources(settings) == GOOD


def test_unreadable_permissions(tmp_path, capsys, monkeypatch):
    root = good_folder(tmp_path)
    locked = root / "HR's restricted file.txt"
    locked.write_text("Nobody may read this.\n")
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads through chmod 000, so make the OS answer as it would for a user
        real_read_bytes = Path.read_bytes

        def denied(self):
            if self == locked:
                raise PermissionError(13, "Permission denied", str(self))
            return real_read_bytes(self)

        monkeypatch.setattr(Path, "read_bytes", denied)
    try:
        code, out, settings = run(tmp_path, root, capsys)
    finally:
        locked.chmod(0o644)
    assert code == 0
    assert "permission denied" in skipped_line(out, "HR's restricted file.txt")
    assert indexed_sources(settings) == GOOD


def test_every_bad_case_at_once_still_indexes_the_good_files(tmp_path):
    root = good_folder(tmp_path)
    (root / "empty.txt").write_bytes(b"")
    (root / "junk.pdf").write_bytes(b"\x00junk" * 100)
    (root / "locked.pdf").write_bytes(make_pdf([["x"]], password="pw"))
    (root / "scan.pdf").write_bytes(make_pdf([[]]))
    settings = Settings(index=str(tmp_path / "index"), model="hash")
    summary = build_index([root], settings)
    assert summary.documents == 3
    assert {Path(f).name for f, _ in summary.skipped} == {"empty.txt", "junk.pdf", "locked.pdf", "scan.pdf"}
    assert indexed_sources(settings) == GOOD
    searcher = open_index(settings.index, settings)
    bcp = next(i for i in searcher.doc_infos.values() if i.source.endswith(Path(BCP).name))
    assert bcp.authority == "Bournemouth, Christchurch and Poole" and bcp.published == "2019-12-18"


def test_nothing_readable_is_one_clear_error(tmp_path, capsys):
    root = tmp_path / "bad"
    root.mkdir()
    (root / "empty.txt").write_bytes(b"")
    code = main(["index", str(root), "--index", str(tmp_path / "index"), "--model", "hash", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("quarry: error: no documents to index (1 skipped)") and "empty: no text" in err
    assert "Traceback" not in err
