"""Rebuilding the index while it is being searched never serves a half-written index (issue 8)."""

import shutil
import threading

from indexer.build import build_index
from quarry.embedders import HashEmbedder
from search.live import LiveIndex
from tests.conftest import CORPUS


def test_readers_switch_only_to_complete_builds(tmp_path, hash_index):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = hash_index.with_(index=str(tmp_path / "ix"))
    embedder = HashEmbedder()
    build_index([corpus], settings, embedder=embedder)
    live = LiveIndex(settings.index, settings, embedder)
    first = live.current()
    errors: list[BaseException] = []
    seen_sizes: set[int] = set()
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                searcher = live.current()
                hits = searcher.search("new appendix about advocacy for carers", k=5).hits
                seen_sizes.add(len(searcher.chunks))
                assert all(searcher.source_text(h.chunk.doc_id)[h.chunk.char_start:h.chunk.char_end] == h.chunk.text for h in hits)
            except BaseException as e:  # noqa: BLE001 - any failure is the test's finding
                errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    sizes = {len(first.chunks)}
    for i in range(3):
        (corpus / f"appendix-{i}.txt").write_text(f"Appendix {i}\n\nA new appendix about advocacy for carers, number {i}.\n")
        summary = build_index([corpus], settings, embedder=embedder)
        sizes.add(summary.chunks)
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    assert seen_sizes <= sizes  # every searcher a reader used was one complete build
    assert len(live.current().chunks) == max(sizes)
    assert live.current() is not first
