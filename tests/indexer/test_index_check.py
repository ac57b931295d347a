"""The full check (`quarry index --check`, and after every build) and the upgrade from the JSON-lines format."""

import hashlib
import json
import shutil
import subprocess
import sys

import pytest

from indexer.build import build_index
from quarry import index_format as fmt
from quarry import index_tables as tables
from quarry.errors import IndexCorrupt
from quarry.index_check import verify_build
from quarry.settings import Settings
from search import open_index
from tests.conftest import ROOT
from tests.indexer.test_build import CountingEmbedder, corpus  # noqa: F401 (fixture)


def _quarry(*args):
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def _copy(hash_index, tmp_path):
    shutil.copytree(hash_index.index, tmp_path / "ix", symlinks=True)
    return tmp_path / "ix", fmt.build_dir(tmp_path / "ix")


def test_check_passes_an_intact_index_and_names_a_damaged_file_in_one_line(hash_index, tmp_path):
    index, folder = _copy(hash_index, tmp_path)
    ok = _quarry("index", "--check", "--index", str(index), "--json")
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert report["ok"] and report["chunks"] > 100 and report["documents"] == 3
    blob = folder / "documents.text.bin"
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x20  # same size, one letter's case flipped
    blob.write_bytes(bytes(data))
    bad = _quarry("index", "--check", "--index", str(index))
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.strip().splitlines() == [
        f"quarry: error: index file documents.text.bin fails its checksum (truncated or altered): rebuild it with `quarry index --index {index}`"]


@pytest.mark.parametrize("name", ["chunks.text.bin", "chunks.records.offsets.npy", "documents.info.bin", "documents.facets.json", "chunks.doc.npy"])
def test_a_truncated_table_file_is_refused_at_open_in_one_line(hash_index, tmp_path, name):
    index, folder = _copy(hash_index, tmp_path)
    path = folder / name
    path.write_bytes(path.read_bytes()[:-5])
    out = _quarry("search", "foster carers", "--index", str(index), "--mode", "bm25")
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [
        f"quarry: error: index file {name} fails its checksum (truncated or altered): rebuild it with `quarry index --index {index}`"]


def test_a_damaged_row_with_matching_hashes_fails_the_full_check(hash_index, tmp_path):
    """A file altered and re-hashed into the manifest (so opening accepts it) still fails `--check`."""
    _, folder = _copy(hash_index, tmp_path)
    blob = folder / "chunks.records.bin"
    blob.write_bytes(b"!" + blob.read_bytes()[1:])
    manifest = json.loads((folder / fmt.MANIFEST).read_text(encoding="utf-8"))
    manifest["files"]["chunks.records.bin"]["xxh3_64"] = fmt.file_hash(blob)
    (folder / fmt.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="cannot be read .*row 0 is not a JSON object"):
        verify_build(folder)


def _as_schema_1(folder):
    """Rewrite a build in the JSON-lines format of schema 1 (documents.jsonl, chunks.jsonl, sha256)."""
    docs, chunks = tables.read_records(folder)
    for name, rows in (("documents.jsonl", list(docs)), ("chunks.jsonl", list(chunks))):
        (folder / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    for p in list(folder.iterdir()):
        if p.name.startswith(("documents.", "chunks.")) and p.suffix != ".jsonl":
            p.unlink()
    manifest = json.loads((folder / fmt.MANIFEST).read_text(encoding="utf-8"))
    manifest["schema_version"] = 1
    manifest["files"] = {p.name: {"bytes": p.stat().st_size, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
                         for p in sorted(folder.iterdir()) if p.name != fmt.MANIFEST}
    (folder / fmt.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def test_an_old_format_index_is_refused_and_its_rebuild_embeds_nothing(corpus, tmp_path):  # noqa: F811
    settings = Settings(index=str(tmp_path / "ix"), model="hash")
    first = build_index([corpus], settings, embedder=CountingEmbedder())
    _as_schema_1(fmt.build_dir(tmp_path / "ix"))
    with pytest.raises(IndexCorrupt, match=r"has schema 1, this quarry reads 3: rebuild it with `quarry index --index .*ix`"):
        open_index(tmp_path / "ix", settings)
    again = CountingEmbedder()
    summary = build_index([corpus], settings, embedder=again)
    assert again.seen == [] and summary.reused_vectors == first.chunks == summary.chunks
    assert len(open_index(tmp_path / "ix", settings).chunks) == first.chunks


def _as_schema_2(folder):
    """Rewrite a build as schema 2 wrote it: the same tables without the heading column."""
    for name in (tables.CHUNK_HEADING, *tables.table_files(tables.CHUNK_HEADINGS)):
        (folder / name).unlink()
    manifest = json.loads((folder / fmt.MANIFEST).read_text(encoding="utf-8"))
    manifest["schema_version"] = 2
    manifest["files"] = {n: m for n, m in manifest["files"].items() if (folder / n).exists()}
    (folder / fmt.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def test_a_schema_2_index_is_refused_and_its_rebuild_embeds_nothing(corpus, tmp_path):  # noqa: F811
    settings = Settings(index=str(tmp_path / "ix"), model="hash")
    first = build_index([corpus], settings, embedder=CountingEmbedder())
    before = open_index(tmp_path / "ix", settings)
    headings = [before.index.chunks.heading(r) for r in range(first.chunks)]
    _as_schema_2(fmt.build_dir(tmp_path / "ix"))
    with pytest.raises(IndexCorrupt, match=r"has schema 2, this quarry reads 3: rebuild it"):
        open_index(tmp_path / "ix", settings)
    again = CountingEmbedder()
    summary = build_index([corpus], settings, embedder=again)  # not "up to date": the old build is replaced
    assert again.seen == [] and summary.reused_vectors == first.chunks == summary.chunks
    after = open_index(tmp_path / "ix", settings)
    assert [after.index.chunks.heading(r) for r in range(first.chunks)] == headings
