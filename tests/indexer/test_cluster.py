"""`quarry index --cluster local:2`: embedding on a local Dask cluster gives the in-process index, survives a
killed worker, fails with one line when no batch can finish, and keeps the incremental rules."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from indexer.build import build_index
from indexer.pending import PENDING
from quarry import index_format as fmt
from quarry.errors import QuarryError, UsageError
from quarry.settings import Settings, resolve
from tests.conftest import CORPUS, ROOT, SHARED
from tests.indexer.cluster_embedders import KillsEveryWorker, KillsItsWorkerOnce, calls

pytestmark = pytest.mark.requires_modules("distributed")

LETTERS = SHARED / "datasets" / "ofsted" / "focused_visits"  # the 371 focused-visit letters
EVAL_CACHE = ROOT / ".quarry" / "eval-cache"  # `quarry eval` builds of seed+letters, when this checkout has run it


def chunks_and_vectors(index: str | Path) -> tuple[list[str], np.ndarray]:
    from quarry.index_tables import read_records

    folder = fmt.build_dir(Path(index))
    ids = [row["chunk_id"] for row in read_records(folder)[1]]
    return ids, np.load(folder / fmt.VECTORS)


@pytest.fixture(scope="module")
def in_process(tmp_path_factory) -> Settings:
    """The seed corpus indexed in this process with the hash embedder, in batches of 16: the reference."""
    settings = Settings(index=str(tmp_path_factory.mktemp("single") / "index"), model="hash", batch_size=4)
    build_index([CORPUS], settings)
    return settings


def test_cluster_setting_accepts_local_workers_and_scheduler_addresses():
    assert resolve({"cluster": "local:2"}, {}).cluster == "local:2"
    assert resolve({}, {"QUARRY_CLUSTER": "tcp://10.0.0.5:8786"}).cluster == "tcp://10.0.0.5:8786"
    for bad in ("local:0", "local:two", "10.0.0.5:8786", "ray://head:10001"):
        with pytest.raises(UsageError, match="cluster must be"):
            resolve({"cluster": bad}, {})


def test_cli_build_on_a_local_cluster_equals_the_in_process_build_and_stays_incremental(tmp_path, in_process, capsys, monkeypatch):
    from cli.main import main

    monkeypatch.chdir(ROOT)
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    index = str(tmp_path / "index")
    common = ["--index", index, "--model", "hash", "--batch-size", "4", "--cluster", "local:2", "--json"]
    assert main(["index", str(corpus), *common]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["embedded_on"] == "dask local:2" and summary["embedded"] == summary["chunks"]
    assert sum(w["chunks"] for w in summary["workers"].values()) == summary["chunks"]
    assert all(name.startswith("tcp://") for name in summary["workers"])
    ids, vectors = chunks_and_vectors(index)
    ref_ids, ref_vectors = chunks_and_vectors(in_process.index)
    assert ids == ref_ids and np.array_equal(vectors, ref_vectors)
    assert not (Path(index) / PENDING).exists()

    (corpus / "new.txt").write_text("Powys adoption services\n\nThe council approved twelve new adopters in 2019.\n")
    assert main(["index", str(corpus), *common]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["new"] == 1 and again["reused_vectors"] == summary["chunks"]
    assert again["embedded"] == again["chunks"] - summary["chunks"]  # only the new document's text went to the cluster

    assert main(["index", str(corpus), *common[:-1]]) == 0  # nothing changed: no cluster is started at all
    assert "up to date" in capsys.readouterr().out


def test_a_worker_killed_mid_build_has_its_batch_redone_elsewhere(tmp_path, in_process):
    settings = Settings(index=str(tmp_path / "index"), model="hash", batch_size=4, cluster="local:2")
    embedder = KillsItsWorkerOnce(tmp_path, kill_at=4)
    summary = build_index([CORPUS], settings, embedder=embedder)
    killed = int((tmp_path / "killed").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(killed, 0)  # that worker process is gone
    batches = -(-summary.chunks // 16)
    assert calls(tmp_path) >= batches + 1  # every batch once, the killed one again (and any result held on that worker)
    ids, vectors = chunks_and_vectors(settings.index)
    ref_ids, ref_vectors = chunks_and_vectors(in_process.index)
    assert ids == ref_ids and np.array_equal(vectors, ref_vectors)


def test_when_no_batch_can_finish_the_build_stops_with_one_line_and_the_previous_index_stays(tmp_path, in_process):
    index = tmp_path / "index"
    shutil.copytree(Path(in_process.index), index, symlinks=True)
    before = fmt.build_dir(index)
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "new.txt").write_text("Powys adoption services\n\nThe council approved twelve new adopters in 2019.\n")
    settings = Settings(index=str(index), model="hash", batch_size=4, cluster="local:2")
    with pytest.raises(QuarryError) as e:
        build_index([corpus], settings, embedder=KillsEveryWorker(tmp_path))
    assert "\n" not in str(e.value) and "killed every worker" in str(e.value)
    assert calls(tmp_path) >= 2
    assert fmt.build_dir(index) == before
    assert not list((index / fmt.BUILDS).glob("*.tmp"))


def test_an_unreachable_scheduler_is_one_clear_error(tmp_path, monkeypatch):
    from indexer import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", "2s")
    settings = Settings(index=str(tmp_path / "index"), model="hash", cluster="tcp://127.0.0.1:9")
    with pytest.raises(QuarryError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        build_index([CORPUS], settings)
    assert not (tmp_path / "index" / fmt.CURRENT).exists()


def test_a_scheduler_left_without_workers_stops_the_build_with_one_line(tmp_path, monkeypatch):
    import logging

    from distributed import LocalCluster

    from indexer import cluster

    monkeypatch.setattr(cluster, "NO_WORKERS_GRACE", 1.0)
    monkeypatch.setattr(cluster, "POLL", 0.5)
    with LocalCluster(n_workers=0, processes=True, dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL) as empty:
        settings = Settings(index=str(tmp_path / "index"), model="hash", cluster=empty.scheduler_address)
        with pytest.raises(QuarryError, match="has had no workers for 1s") as e:
            build_index([CORPUS], settings)
    assert "\n" not in str(e.value)
    assert not (tmp_path / "index" / fmt.CURRENT).exists()


@pytest.mark.requires_modules("pymilvus", "milvus_lite")
def test_a_cluster_build_syncs_to_milvus(tmp_path, capsys, monkeypatch):
    from cli.main import main

    monkeypatch.chdir(ROOT)
    assert main(["index", "corpus", "--index", str(tmp_path / "index"), "--model", "hash", "--cluster", "local:2",
                 "--backend", "milvus", "--milvus-uri", str(tmp_path / "milvus.db"), "--json", "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["embedded_on"] == "dask local:2"
    assert summary["milvus"]["chunks_written"] == summary["chunks"] > 0


def single_process_build(index: Path, paths: list[Path]) -> None:
    """The in-process build of `paths` with the real model. When `quarry eval` has already built the same corpus
    here (in this process's way, single-process), its build is copied in as the previous build, so only text
    it lacks is embedded now; a fresh clone has no such cache and embeds everything."""
    cached = sorted(EVAL_CACHE.glob("seed-371-letters-docs-*/current"))
    if cached:
        build = cached[-1].resolve()
        shutil.copytree(build, index / fmt.BUILDS / build.name)
        (index / fmt.CURRENT).symlink_to(Path(fmt.BUILDS) / build.name)
    build_index(paths, Settings(index=str(index)))


@pytest.mark.slow
@pytest.mark.requires(LETTERS.is_dir(), f"the 371 Ofsted letters are not at {LETTERS}")
def test_seed_and_371_letters_on_a_local_cluster_equal_the_single_process_build(tmp_path):
    paths = [CORPUS, LETTERS]
    single_process_build(tmp_path / "single", paths)
    summary = build_index(paths, Settings(index=str(tmp_path / "cluster"), cluster="local:2"))
    assert summary.embedded == summary.chunks > 5000 and len(summary.workers) >= 2
    ids, vectors = chunks_and_vectors(tmp_path / "cluster")
    ref_ids, ref_vectors = chunks_and_vectors(tmp_path / "single")
    assert ids == ref_ids
    cosines = np.sum(vectors * ref_vectors, axis=1)  # unit vectors
    assert cosines.min() >= 0.9999, f"{int((cosines < 0.9999).sum())} vectors differ; lowest cosine {cosines.min():.6f}"
