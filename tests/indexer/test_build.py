"""Index round trip, incremental updates and the atomic swap, with a counting fake embedder."""

import json
import shutil

import numpy as np
import pytest

from indexer.build import build_index
from quarry import index_format as fmt
from quarry.embedders import HashEmbedder
from quarry.errors import IndexCorrupt, QuarryError
from quarry.settings import Settings
from search import open_index
from tests.conftest import CORPUS, SEEDS


from tests.counting import Counting as CountingEmbedder  # noqa: E402 (shared with test_index_check)


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    return folder


def test_round_trip_and_manifest(corpus, tmp_path):
    settings = Settings(index=str(tmp_path / "ix"), model="hash")
    summary = build_index([corpus], settings, embedder=CountingEmbedder())
    assert summary.documents == 3 and summary.chunks > 100 and summary.new == 3
    folder = fmt.build_dir(tmp_path / "ix")
    manifest = json.loads((folder / fmt.MANIFEST).read_text())
    assert manifest["model"]["id"] == "hash-384"
    assert manifest["counts"]["documents"] == 3 and "documents" not in manifest  # they are in the document table
    assert set(open_index(tmp_path / "ix", settings).doc_infos) == set(SEEDS.values())
    assert not list(folder.glob("*.pkl"))
    searcher = open_index(tmp_path / "ix", settings)
    assert len(searcher.chunks) == summary.chunks
    assert searcher.index.vectors.shape == (summary.chunks, 384)


def test_incremental_update_embeds_only_what_changed(corpus, tmp_path):
    settings = Settings(index=str(tmp_path / "ix"), model="hash")
    build_index([corpus], settings, embedder=CountingEmbedder())
    again = CountingEmbedder()
    summary = build_index([corpus], settings, embedder=again)
    assert summary.up_to_date and again.seen == []

    letter = corpus / f"{SEEDS['letter_cardiff']}.txt"
    letter.write_text(letter.read_text() + "\n\nA new closing paragraph about transport for disabled children.\n")
    changed = CountingEmbedder()
    summary = build_index([corpus], settings, embedder=changed)
    assert summary.changed == 1 and summary.unchanged == 2
    assert changed.seen and all("Cardiff" in t for t in changed.seen)
    assert summary.embedded < 10
    searcher = open_index(tmp_path / "ix", settings)
    assert any("transport for disabled children" in c.text for c in searcher.chunks)

    (corpus / f"{SEEDS['annual_report']}.txt").unlink()
    summary = build_index([corpus], settings, embedder=CountingEmbedder())
    assert summary.removed == 1 and summary.embedded == 0
    searcher = open_index(tmp_path / "ix", settings)
    assert {c.doc_id for c in searcher.chunks} == {SEEDS["letter_cardiff"], SEEDS["letter_wrexham"]}


def test_an_index_written_by_other_indexer_code_is_rechunked_reusing_its_vectors(corpus, tmp_path, monkeypatch):
    import indexer.build

    settings = Settings(index=str(tmp_path / "ix"), model="hash")
    build_index([corpus], settings, embedder=CountingEmbedder())
    monkeypatch.setattr(indexer.build, "code_hash", lambda: "a later indexer")
    again = CountingEmbedder()
    summary = build_index([corpus], settings, embedder=again)
    assert not summary.up_to_date and summary.changed == 3 and summary.unchanged == 0
    assert again.seen == []  # same passages: every vector reused
    manifest = json.loads((fmt.build_dir(tmp_path / "ix") / fmt.MANIFEST).read_text())
    assert manifest["settings"]["indexer_code"] == "a later indexer"
    assert build_index([corpus], settings, embedder=CountingEmbedder()).up_to_date


def test_failed_build_keeps_the_previous_index(corpus, tmp_path):
    settings = Settings(index=str(tmp_path / "ix"), model="hash")
    build_index([corpus], settings, embedder=CountingEmbedder())
    before = fmt.build_dir(tmp_path / "ix")

    class Exploding(HashEmbedder):
        def embed(self, texts):
            raise RuntimeError("boom")

    (corpus / "new.txt").write_text("A brand new report about adoption services in Powys.\n")
    with pytest.raises(RuntimeError):
        build_index([corpus], settings, embedder=Exploding())
    assert fmt.build_dir(tmp_path / "ix") == before
    assert len(open_index(tmp_path / "ix", settings).chunks) > 100


def test_damaged_index_is_detected_by_checksum(corpus, tmp_path):
    settings = Settings(index=str(tmp_path / "ix"), model="hash")
    build_index([corpus], settings, embedder=CountingEmbedder())
    vectors = fmt.build_dir(tmp_path / "ix") / fmt.VECTORS
    data = bytearray(vectors.read_bytes())
    data[-1] ^= 0xFF
    vectors.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match="checksum.*quarry index"):
        open_index(tmp_path / "ix", settings)


def test_model_mismatch_is_refused(hash_index):
    searcher = open_index(hash_index.index, hash_index, embedder=HashEmbedder(dim=128))
    with pytest.raises(IndexCorrupt, match="built with model hash-384"):
        searcher.search("care", k=3, mode="dense")


def test_nothing_to_index_is_a_clear_error(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "empty.txt").write_text("")
    with pytest.raises(QuarryError, match="no documents to index.*empty"):
        build_index([tmp_path / "docs"], Settings(index=str(tmp_path / "ix"), model="hash"))


def test_vectors_are_unit_length(hash_index):
    searcher = open_index(hash_index.index, hash_index)
    norms = np.linalg.norm(np.asarray(searcher.index.vectors), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)


def test_disk_full_while_writing_keeps_the_previous_index(corpus, tmp_path, monkeypatch):
    import errno

    from indexer import store

    settings = Settings(index=str(tmp_path / "ix"), model="hash")
    build_index([corpus], settings, embedder=CountingEmbedder())
    before = fmt.build_dir(tmp_path / "ix")
    (corpus / "new.txt").write_text("Extra Care Housing\n\nA new report about extra care housing schemes in Zephyrhaven.\n")

    def full(path, array):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, "save_array", full)
    with pytest.raises(QuarryError, match="No space left on device.*previous index is unchanged"):
        build_index([corpus], settings, embedder=CountingEmbedder())
    assert fmt.build_dir(tmp_path / "ix") == before
    assert not list((tmp_path / "ix" / "builds").glob("*.tmp"))
    assert not any("Zephyrhaven" in c.text for c in open_index(tmp_path / "ix", settings).chunks)


def test_the_indexer_code_hash_covers_every_module_that_shapes_an_index():
    from indexer.version import code_files
    from tests.conftest import ROOT

    hashed = {p.relative_to(ROOT).as_posix() for p in code_files()}
    for module in ("indexer/build.py", "indexer/sources.py", "indexer/process.py", "indexer/views.py",
                   "indexer/write.py", "indexer/hashing.py", "indexer/chunks.py", "indexer/sections.py",
                   "indexer/readers/pdf.py", "quarry/analysis.py"):
        assert module in hashed, module


def test_the_manifest_names_the_arithmetic_of_every_vector(corpus, tmp_path):
    """model.precision lists what the build's vectors were made with: the new ones' embedder, and the previous
    build's when its vectors are reused (a bf16 build extended in fp32 says both)."""
    settings = Settings(index=str(tmp_path / "ix"), model="hash")

    def precision():
        return json.loads((fmt.build_dir(tmp_path / "ix") / fmt.MANIFEST).read_text())["model"]["precision"]

    summary = build_index([corpus], settings, embedder=CountingEmbedder())
    assert precision() == ["hash"] and summary.precision == {"hash": summary.embedded}

    class Bf16(CountingEmbedder):
        def __init__(self):
            super().__init__()
            self.precision = "bf16"

    letter = corpus / f"{SEEDS['letter_cardiff']}.txt"
    letter.write_text(letter.read_text() + "\n\nA new closing paragraph about transport for disabled children.\n")
    summary = build_index([corpus], settings, embedder=Bf16())
    assert summary.embedded and summary.reused_vectors and precision() == ["bf16", "hash"]

    shutil.rmtree(tmp_path / "ix")
    build_index([corpus], settings, embedder=Bf16())
    assert precision() == ["bf16"]
