"""An interrupted build keeps its finished embedding batches (indexer.pending) and the next run does not embed them again."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.build import build_index
from indexer.pending import PENDING, PendingVectors
from quarry import index_format as fmt
from quarry.embedders import HashEmbedder
from quarry.settings import Settings
from tests.conftest import CORPUS


class CountingEmbedder(HashEmbedder):
    """Counts the texts it embeds; raises KeyboardInterrupt on batch number `stop_at` (1-based), like Ctrl-C."""

    def __init__(self, stop_at: int | None = None):
        super().__init__()
        self.stop_at, self.calls, self.embedded = stop_at, 0, []

    def embed(self, texts):
        self.calls += 1
        if self.calls == self.stop_at:
            raise KeyboardInterrupt
        self.embedded.extend(texts)
        return super().embed(texts)


def test_pending_vectors_round_trip_and_ignore_a_batch_cut_short(tmp_path):
    kept = PendingVectors(tmp_path)
    kept.add(["a", "b"], np.eye(2, 3, dtype=np.float32))
    kept.add(["c"], np.ones((1, 3), dtype=np.float32))
    np.save(tmp_path / PENDING / "cut.npy", np.ones((2, 3), dtype=np.float32))  # a batch whose hashes never arrived
    (tmp_path / PENDING / "torn.hashes").write_text("d\ne\n")  # hashes without readable vectors
    (tmp_path / PENDING / "torn.npy").write_bytes(b"\x93NUMPY")
    found = kept.load()
    assert sorted(found) == ["a", "b", "c"]
    assert found["b"].tolist() == [0.0, 1.0, 0.0] and found["c"].tolist() == [1.0, 1.0, 1.0]
    kept.clear()
    assert kept.load() == {} and not (tmp_path / PENDING).exists()


def test_an_interrupted_build_resumes_without_embedding_finished_batches_again(tmp_path):
    settings = Settings(index=str(tmp_path / "ix"), model="hash", batch_size=16)  # batches of 64 chunks
    first = CountingEmbedder(stop_at=3)
    with pytest.raises(KeyboardInterrupt):
        build_index([CORPUS], settings, embedder=first)
    assert not (tmp_path / "ix" / fmt.CURRENT).exists()  # nothing was made current
    finished = set(first.embedded)
    assert len(finished) == 128  # two batches of 64 finished before the interrupt

    again = CountingEmbedder()
    summary = build_index([CORPUS], settings, embedder=again)
    assert summary.resumed_vectors == 128 and summary.embedded == summary.chunks - 128
    assert not finished & set(again.embedded)  # no finished text embedded a second time
    assert not (tmp_path / "ix" / PENDING).exists()  # cleared once the build is current

    fresh = Settings(index=str(tmp_path / "fresh"), model="hash", batch_size=16)
    build_index([CORPUS], fresh)
    resumed = np.load(fmt.build_dir(tmp_path / "ix") / fmt.VECTORS)
    assert np.array_equal(resumed, np.load(fmt.build_dir(tmp_path / "fresh") / fmt.VECTORS))
