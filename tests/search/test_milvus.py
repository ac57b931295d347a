"""The Milvus backend against Milvus Lite in-process: sync, every mode with and without filters,
incremental update and delete, the CLI, and parity with the local backend on the seed gold set."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from indexer.build import build_index
from indexer.milvus_sync import sync
from quarry import milvus_layout  # imports pymilvus only when used
from quarry.errors import IndexMissing
from quarry.settings import Settings
from search import fusion, open_index
from tests.conftest import CORPUS, ROOT

from search.answer import ask

pytestmark = pytest.mark.requires_modules("pymilvus", "milvus_lite")

QUERIES = ["delayed transfers of care", "children looked after", "adult safeguarding referrals",
           "domiciliary care workforce recruitment", "direct payments"]


@pytest.fixture(scope="session")
def milvus_uri(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("milvus") / "quarry.db")


@pytest.fixture(scope="session")
def milvus_hash(hash_index, milvus_uri):
    """The hash-embedder seed index synced to Milvus Lite: (local settings, milvus settings, sync summary)."""
    settings = replace(hash_index, backend="milvus", milvus_uri=milvus_uri, milvus_collection="seed_hash")
    summary = sync(Path(hash_index.index), settings)
    return hash_index, settings, summary


@pytest.fixture(scope="session")
def searchers(milvus_hash):
    local_settings, settings, _ = milvus_hash
    return open_index(local_settings.index, local_settings), open_index(None, settings)


def test_milvus_index_holds_the_same_records_as_the_local_one(milvus_hash, searchers):
    _, _, summary = milvus_hash
    local, remote = searchers
    assert summary.recreated and len(summary.written) == 3 and summary.chunks_written == len(local.chunks)
    assert list(remote.chunks) == list(local.chunks)  # same chunks, same order: rows mean the same on both backends
    assert remote.doc_infos == local.doc_infos
    for doc_id in local.doc_infos:
        assert remote.source_text(doc_id) == local.source_text(doc_id)  # quote verification, "show in context"
    assert remote.index.glossary == local.index.glossary
    assert remote.index.model_id == local.index.model_id
    chunk = local.chunks[40]
    assert remote.section_context(chunk) == local.section_context(chunk)


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_every_mode_answers_with_and_without_filters(searchers, mode):
    _, remote = searchers
    hits = remote.search("children looked after", k=10, mode=mode).hits
    assert len(hits) == 10 and [h.rank for h in hits] == list(range(1, 11))
    assert len({h.doc.doc_id for h in hits}) >= 1
    cardiff = remote.search("children looked after", k=10, mode=mode, filters={"authority": "Cardiff"}).hits
    assert cardiff and all(h.doc.authority and "Cardiff" in h.doc.authority for h in cardiff)
    one = remote.search("performance", k=5, mode=mode, filters={"doc": "ciw-wrexham-performance-review-2019-20"}).hits
    assert one and {h.chunk.doc_id for h in one} == {"ciw-wrexham-performance-review-2019-20"}
    both = remote.search("care", k=5, mode=mode, filters={"authority": "Cardiff", "year": "2009"}).hits
    assert both == []  # no Cardiff document from 2009: nothing, not an unfiltered ranking


def test_dense_ranking_is_the_local_one(searchers):
    local, remote = searchers
    for q in QUERIES:
        a = [h.chunk.chunk_id for h in local.search(q, k=10, mode="dense").hits]
        b = [h.chunk.chunk_id for h in remote.search(q, k=10, mode="dense").hits]
        assert a[0] == b[0] and len(set(a) & set(b)) >= 9, q


def test_hybrid_is_milvus_rrf_of_its_own_rankings(searchers):
    _, remote = searchers
    backend = remote.backend
    for q in QUERIES:
        vector = remote.embed([q])[0]
        fused = backend.hybrid(q, vector, 10, 100, 60, None)
        expected = fusion.top(fusion.rrf([[r for r, _ in backend.lexical(q, 100, None)],
                                          [r for r, _ in backend.dense(vector, 100, None)]], 60), 10)
        assert [r for r, _ in fused][:3] == [r for r, _ in expected][:3], q
        assert [round(s, 5) for _, s in fused] == [round(s, 5) for _, s in expected], q


def test_lexical_agrees_mostly_with_local_bm25(searchers):
    """Milvus's analyzer is close to ours (same stop words, Snowball stems) but not identical."""
    local, remote = searchers
    overlap = []
    for q in QUERIES:
        a = {h.chunk.chunk_id for h in local.search(q, k=10, mode="bm25").hits}
        b = {h.chunk.chunk_id for h in remote.search(q, k=10, mode="bm25").hits}
        overlap.append(len(a & b) / 10)
    assert sum(overlap) / len(overlap) >= 0.6, overlap


def test_ask_over_milvus_quotes_verified_sentences_like_the_local_index(searchers):
    local, remote = searchers
    assert remote.index.lexical == {}  # no term matrix here: document frequencies come from the passages
    assert remote.document_frequency["foster"] == local.document_frequency["foster"] > 0
    question = "How many foster carers were approved by Wrexham?"
    answer = ask(remote, question)
    assert answer.citations or answer.abstained
    for c in answer.citations:  # every quote is the stored text at its span
        assert remote.source_text(c.hit.chunk.doc_id)[c.char_start:c.char_end] == c.quote


def test_incremental_sync_upserts_changed_and_deletes_removed_documents(tmp_path, milvus_uri):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    local = Settings(index=str(tmp_path / "index"), model="hash")
    settings = replace(local, backend="milvus", milvus_uri=milvus_uri, milvus_collection="incremental")
    build_index([corpus], local)
    first = sync(Path(local.index), settings)
    assert len(first.written) == 3 and first.deleted == []

    again = sync(Path(local.index), settings)
    assert again.written == [] and again.deleted == [] and again.unchanged == 3

    changed = corpus / "ciw-cardiff-performance-review-2018-19.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nThe zanzibar quokka protocol was adopted in March.\n",
                       encoding="utf-8")
    (corpus / "wrexham-social-services-annual-report-2009-10.txt").unlink()
    build_index([corpus], local)
    second = sync(Path(local.index), settings)
    assert second.written == ["ciw-cardiff-performance-review-2018-19"]
    assert second.deleted == ["wrexham-social-services-annual-report-2009-10"]
    assert second.unchanged == 1

    remote, fresh_local = open_index(None, settings), open_index(local.index, local)
    assert set(remote.doc_infos) == {"ciw-cardiff-performance-review-2018-19", "ciw-wrexham-performance-review-2019-20"}
    assert list(remote.chunks) == list(fresh_local.chunks)
    client = milvus_layout.connect(settings)
    gone = client.query("incremental_chunks", filter='doc_id == "wrexham-social-services-annual-report-2009-10"',
                        output_fields=["chunk_id"])
    assert gone == []
    for mode in ("bm25", "hybrid"):
        hits = remote.search("zanzibar quokka protocol", k=3, mode=mode).hits
        assert "quokka" in hits[0].chunk.text, mode


def test_opening_a_missing_milvus_index_is_one_clear_error(milvus_uri, hash_index):
    settings = replace(hash_index, backend="milvus", milvus_uri=milvus_uri, milvus_collection="nothing_here")
    with pytest.raises(IndexMissing, match="quarry index --backend milvus"):
        open_index(None, settings)


def test_cli_index_and_search_with_backend_milvus(tmp_path, milvus_uri, capsys, monkeypatch):
    from cli.main import main

    monkeypatch.chdir(ROOT)
    common = ["--index", str(tmp_path / "index"), "--backend", "milvus", "--milvus-uri", milvus_uri,
              "--milvus-collection", "cli"]
    assert main(["index", "corpus", "--model", "hash", "--json", *common]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["milvus"]["chunks_written"] == summary["chunks"] > 0
    assert main(["search", "delayed transfers of care", "-k", "3", "--json", *common, "--filter", "authority=Wrexham"]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(hits) == 3 and all(h["authority"] and "Wrexham" in h["authority"] for h in hits)
    assert main(["ask", "How many foster carers were approved?", "--json", *common, "--filter", "authority=Wrexham"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["passages"] and all("Wrexham" in p["authority"] for p in answer["passages"])
    assert answer["abstained"] or answer["citations"][0]["doc_id"].startswith("wrexham") or "wrexham" in answer["citations"][0]["doc_id"]
    assert main(["search", "care", "--backend", "milvus", "--milvus-uri", milvus_uri, "--milvus-collection", "absent"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "no Milvus index" in err
    assert main(["search", "care", "--backend", "elastic"]) == 2
    assert "backend must be local or milvus" in capsys.readouterr().err


def _gold() -> list[dict]:
    with (ROOT / "eval" / "gold" / "seed.jsonl").open(encoding="utf-8") as f:
        return [q for q in map(json.loads, f) if q["answerable"]]


@pytest.mark.slow
def test_parity_with_the_local_backend_on_the_seed_gold_questions(real_index, real_searcher, milvus_uri, capsys):
    """Real model: top passage agreement between local (FAISS + numpy BM25) and Milvus, per mode."""
    settings = replace(real_index, backend="milvus", milvus_uri=milvus_uri, milvus_collection="seed_real")
    sync(Path(real_index.index), settings)
    embedder = real_searcher.embedder  # one MemoEmbedder: each question embedded once for both backends and modes
    local, remote = open_index(real_index.index, real_index, embedder), open_index(None, settings, embedder)
    gold = _gold()
    agree = {}
    for mode in ("dense", "bm25", "hybrid"):
        same = sum(local.search(q["question"], k=1, mode=mode).hits[0].chunk.chunk_id
                   == remote.search(q["question"], k=1, mode=mode).hits[0].chunk.chunk_id for q in gold)
        agree[mode] = same / len(gold)
    with capsys.disabled():
        print(f"\nmilvus parity, top passage agreement on {len(gold)} seed gold questions: "
              + ", ".join(f"{m} {v:.3f}" for m, v in agree.items()))
    assert agree["dense"] >= 0.95  # the same vectors and exact inner product: only ties may differ
    assert agree["hybrid"] >= 0.6 and agree["bm25"] >= 0.5  # Milvus's analyzer is not ours


def test_a_served_index_follows_a_finished_milvus_sync(tmp_path, milvus_uri):
    from search.live import LiveIndex

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "ciw-cardiff-performance-review-2018-19.txt", corpus)
    local = Settings(index=str(tmp_path / "index"), model="hash")
    settings = replace(local, backend="milvus", milvus_uri=milvus_uri, milvus_collection="live")
    build_index([corpus], local)
    sync(Path(local.index), settings)
    live = LiveIndex(local.index, settings)
    first = live.current()
    assert set(first.doc_infos) == {"ciw-cardiff-performance-review-2018-19"}
    assert live.current() is first  # no sync since: the same searcher
    shutil.copy(CORPUS / "ciw-wrexham-performance-review-2019-20.txt", corpus)
    build_index([corpus], local)
    sync(Path(local.index), settings)
    live._checked = 0.0  # skip the few seconds' wait between looks at Milvus
    assert set(live.current().doc_infos) == {"ciw-cardiff-performance-review-2018-19", "ciw-wrexham-performance-review-2019-20"}


def test_eval_and_serve_run_with_backend_milvus(tmp_path, capsys, monkeypatch):
    """The commands the CLI test above leaves out, on their own Milvus Lite file: `quarry eval` scores
    every mode through Milvus, and `quarry serve` answers /api/search from a Milvus index."""
    import subprocess
    import sys
    import urllib.parse
    import urllib.request

    from cli.main import main
    from tests.ui.browser import quarry_serve

    monkeypatch.chdir(ROOT)
    questions = _gold()[:12]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
    assert main(["eval", "--gold", str(gold), "--docs", "corpus", "--model", "hash", "--backend", "milvus",
                 "--milvus-uri", str(tmp_path / "eval.db"), "--eval-cache", str(tmp_path / "cache"), "--json", "--quiet"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["mode"] for r in rows] == ["bm25", "dense", "hybrid"]
    assert all(r["queries"] == len(questions) and r["chunks"] > 0 for r in rows)
    assert max(r["recall@10"] for r in rows) > 0  # Milvus found answer passages, not just ran

    uri, index = str(tmp_path / "served.db"), str(tmp_path / "index")
    milvus = ["--backend", "milvus", "--milvus-uri", uri, "--milvus-collection", "served"]
    subprocess.run([sys.executable, "-m", "cli", "index", "corpus", "--model", "hash", "--index", index, *milvus],
                   cwd=ROOT, check=True, capture_output=True)
    shutil.rmtree(index)  # serve reads Milvus alone: the local staging folder is not needed
    with quarry_serve(index, *milvus) as base:
        query = urllib.parse.urlencode({"q": "foster carers", "k": 3, "filter": "authority=Cardiff"})
        with urllib.request.urlopen(f"{base}/api/search?{query}", timeout=60) as r:
            hits = json.loads(r.read())["hits"]
    assert len(hits) == 3 and {h["authority"] for h in hits} == {"Cardiff City Council"}
