"""`quarry bench`: JSON rows, speed-up arithmetic, the vector cache, and the int8 query twin."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from eval.bench import latency
from eval.bench.ann import recall_at
from eval.bench.cache import CachedEmbedder, VectorCache
from eval.bench.corpus import collapse_wraps, good_sentence
from cli.main import main
from quarry.embedders import DEFAULT_MODEL, INT8_TWINS, ONNX_MODEL, HashEmbedder, model_id_for, query_compatible
from tests.conftest import SHARED

INSPECTIONS = SHARED / "datasets" / "ofsted" / "inspections"


def test_percentiles_by_hand():
    p = latency.percentiles([1, 2, 3, 4, 10])
    assert p["p50_ms"] == 3.0
    assert p["p95_ms"] == pytest.approx(4 + 0.8 * 6)  # position 3.8: 4 + 0.8 * (10 - 4)
    assert p["mean_ms"] == 4.0 and p["n"] == 5


def test_speedup_is_baseline_over_quarry():
    assert latency.speedup({"p50_ms": 30.0}, {"p50_ms": 1.5}) == 20.0


def test_recall_at_counts_shared_ids():
    assert recall_at(np.array([[1, 2, 3, 4]]), np.array([[4, 3, 9, 8]])) == 0.5


def test_collapse_wraps_keeps_paragraphs():
    assert collapse_wraps("One line\nwrapped here.\n \nNext para.\n") == "One line wrapped here.\nNext para."
    assert good_sentence("Children in care are seen regularly by their social workers.")
    assert not good_sentence("Overall effectiveness Good")


def test_cache_embeds_each_text_once_and_resumes_from_disk(tmp_path):
    made = []

    def compute():
        made.append(1)
        return HashEmbedder()

    first = CachedEmbedder(VectorCache(tmp_path), "real-id", compute, HashEmbedder().count_tokens)
    a = first.embed(["alpha beta", "gamma", "alpha beta"])
    assert first.computed == 2 and first.model_id == "real-id"
    again = CachedEmbedder(VectorCache(tmp_path), "real-id", compute, HashEmbedder().count_tokens)
    b = again.embed(["gamma", "alpha beta"])
    assert again.computed == 0 and len(made) == 1
    np.testing.assert_array_equal(b, a[[1, 0]])
    assert again.embed(["delta"]).shape == (1, 384) and again.computed == 1


def test_load_queries_mixes_silver_and_gold():
    qs = latency.load_queries(8)
    assert len(qs) == 8 and all(isinstance(q, str) and q for q in qs)


def _two_inspections(tmp_path):
    """A folder of the first two shared Ofsted inspections: enough passages for a 100-300 passage bench."""
    tiny = tmp_path / "inspections"
    for folder in sorted(INSPECTIONS.iterdir())[:2]:
        shutil.copytree(folder, tiny / folder.name)
    return tiny


@pytest.mark.requires(INSPECTIONS.is_dir(), "shared Ofsted data missing")
@pytest.mark.requires_modules("pymilvus", "milvus_lite")  # --parts milvus
def test_bench_json_rows(tmp_path, capsys):
    tiny = _two_inspections(tmp_path)
    code = main(["bench", "--sizes", "300", "--queries", "5", "--json", "--model", "hash", "--parts", "build,latency,milvus",
                 "--inspections", str(tiny), "--workdir", str(tmp_path / "work"), "--out", str(tmp_path / "B.md")])
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    lat = [r for r in rows if r["kind"] == "latency"]
    assert {r["mode"] for r in lat} >= {"bm25", "dense", "hybrid", "bm25-baseline", "dense-baseline", "hybrid-baseline",
                                        "hybrid-vector-memoised", "query-embedding", "fusion-learned", "fusion-rrf"}
    for r in rows:
        assert {"size", "mode"} <= set(r) and r["size"] == 300
    ours = {r["mode"]: r for r in lat if r["engine"] == "quarry"}
    milvus = {r["mode"]: r for r in lat if r["engine"] == "milvus-lite"}
    assert set(milvus) == {"bm25", "dense", "hybrid"} and all(r["chunks_written"] == r["chunks"] >= 300 for r in milvus.values())
    for mode, r in milvus.items():
        assert r["vs_local"] == pytest.approx(r["p50_ms"] / ours[mode]["p50_ms"])
    for r in lat:
        assert {"p50_ms", "p95_ms", "p99_ms"} <= set(r) and r["p50_ms"] <= r["p95_ms"] <= r["p99_ms"] and r["n"] == 5
        if r["engine"] == "baseline":
            assert r["speedup"] == pytest.approx(r["p50_ms"] / ours[r["mode"].removesuffix("-baseline")]["p50_ms"])
    build = next(r for r in rows if r["kind"] == "build")
    assert build["chunks"] >= 300 and build["reindex_embedded"] == 0 and build["reindex_up_to_date"]
    assert build["peak_rss_mb"] > 0 and build["disk_mb"] > 0
    report = (tmp_path / "B.md").read_text()
    assert "Query latency" in report and "load average" in report and "quarry bench --sizes 300" in report
    assert "CPU flags" in report and "FAISS runs its" in report
    assert "Milvus Lite p50 / local p50" in report


@pytest.mark.requires(INSPECTIONS.is_dir(), "shared Ofsted data missing")
@pytest.mark.requires_modules("distributed")  # --parts cluster
def test_bench_times_the_same_passages_in_this_process_and_on_a_local_cluster(tmp_path, capsys):
    tiny = _two_inspections(tmp_path)
    code = main(["bench", "--sizes", "100", "--json", "--model", "hash", "--parts", "cluster", "--embed-passages", "80",
                 "--inspections", str(tiny), "--workdir", str(tmp_path / "work"), "--out", str(tmp_path / "B.md")])
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["kind"] for r in rows} == {"cluster"}  # no index is built for this part alone
    assert [r["engine"] for r in rows] == ["this process", "dask local:2"] and all(r["size"] == 80 for r in rows)
    single, cluster = rows
    assert single["vs_single"] == 1.0 and cluster["vs_single"] == pytest.approx(cluster["passages_per_s"] / single["passages_per_s"])
    assert cluster["min_cosine"] == pytest.approx(1.0)  # the same hash vectors wherever they are made
    assert single["workers"] == 1 and 1 <= cluster["workers"] <= 2 and cluster["start_s"] > 0
    report = (tmp_path / "B.md").read_text()
    assert "Embedding on a Dask cluster" in report and "dask local:2" in report and "--parts cluster" in report


@pytest.mark.parametrize("flag", ["--sizes", "--ann-sizes", "--milvus-sizes"])
def test_bench_rejects_bad_sizes(capsys, flag):
    assert main(["bench", flag, "ten", "--model", "hash", "--out", "-"]) == 2
    err = capsys.readouterr().err
    assert flag in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_int8_twin_ids_match_the_installed_models():
    assert INT8_TWINS == {model_id_for(DEFAULT_MODEL): model_id_for(ONNX_MODEL)}
    assert query_compatible(model_id_for(DEFAULT_MODEL), model_id_for(ONNX_MODEL))
    assert not query_compatible(model_id_for(ONNX_MODEL), model_id_for(DEFAULT_MODEL))  # only fp32 index -> int8 queries
    assert not query_compatible(model_id_for(DEFAULT_MODEL), "hash-384")


@pytest.mark.slow
def test_int8_query_model_searches_a_real_fp32_index(real_index, real_searcher):
    """Real model + FAISS: queries by the ONNX twin find what the fp32 model's queries find."""
    from quarry.errors import IndexCorrupt
    from search import open_index

    twin = open_index(real_index.index, real_index.with_(query_model=ONNX_MODEL))
    q = "how many children came into care"
    fast = twin.search(q, k=10, mode="dense").hits
    slow = real_searcher.search(q, k=10, mode="dense").hits
    assert type(twin.embedder.inner).__name__ == "OnnxEmbedder"
    assert fast[0].chunk.chunk_id == slow[0].chunk.chunk_id
    assert len({h.chunk.chunk_id for h in fast} & {h.chunk.chunk_id for h in slow}) >= 8
    with pytest.raises(IndexCorrupt):
        open_index(real_index.index, real_index.with_(query_model="hash")).search(q, k=3, mode="dense")


def test_standins_are_unit_vectors_never_cached(tmp_path):
    cache = VectorCache(tmp_path)
    CachedEmbedder(cache, "real-id", HashEmbedder, HashEmbedder().count_tokens).embed(["alpha", "beta"])
    e = CachedEmbedder(VectorCache(tmp_path), "real-id", HashEmbedder, HashEmbedder().count_tokens, standins=True)
    out = e.embed(["alpha", "a text never embedded"])
    assert e.computed == 0 and e.standin_count == 1 and len(VectorCache(tmp_path)) == 2
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(e.embed(["a text never embedded"])[0], out[1])  # deterministic


def test_exact_dense_path_matches_faiss_flat(hash_index):
    """The dense ranking of a fresh build (fp16 scan, rescored) returns what FAISS IndexFlatIP returns."""
    import faiss

    from search.backends.local import LocalBackend
    from search.index import load

    index = load(__import__("pathlib").Path(hash_index.index))
    backend = LocalBackend(index)
    assert backend.exact and backend.kind == "fp16"
    q = HashEmbedder().embed(["children in care placements"])[0]
    ours = backend.dense(q, 10, None)
    flat = faiss.IndexFlatIP(index.vectors.shape[1])
    flat.add(np.ascontiguousarray(index.vectors))
    scores, ids = flat.search(q.reshape(1, -1), 10)
    assert np.allclose([v for _, v in ours], scores[0], atol=1e-5)
    assert [i for i, _ in ours] == [int(i) for i in ids[0]]


@pytest.mark.slow
def test_single_query_on_one_thread_matches_batch_and_restores_threads(real_searcher):
    import torch

    e = real_searcher.embedder.inner  # the model itself: the memo would hand back the first vector
    before = torch.get_num_threads()
    one = e.embed(["children in care"])
    many = e.embed(["children in care", "care leavers", "a", "b", "c"])
    assert torch.get_num_threads() == before
    assert np.allclose(one[0], many[0], atol=1e-5)


def test_ann_compare_finds_the_fp16_scan_exact():
    from eval.bench.ann import compare

    rng = np.random.default_rng(0)
    v = rng.normal(size=(2000, 16)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    rows = compare(v, v[:20] + 0.01, m=8, ef_construction=40, ef_search=(16,))
    assert [r["index"] for r in rows] == ["flat fp32 (exact)", "fp16 scan, fp32 rescored (exact)", "hnsw M=8 efC=40 efSearch=16"]
    assert rows[1]["recall_at_10"] == 1.0 and 0 < rows[2]["recall_at_10"] <= 1.0


def test_the_report_prints_a_comparisons_seconds_and_the_cli_accepts_the_part():
    from eval.bench.report import markdown
    from eval.bench.run import PARTS, BenchResult

    machine = {"nproc": 2, "cpu": "AMD EPYC", "cpu_flags": ["avx2"], "load_avg": [1, 1, 1]}
    row = {"kind": "compare", "size": 0, "mode": "compare", "documents": 802, "chunks": 37707, "groups": 157, "questions": 42,
           "p50_ms": 850.0, "p90_ms": 1080.0, "p95_ms": 1150.0, "p99_ms": 1200.0, "mean_ms": 870.0, "max_ms": 1220.0, "n": 42}
    text = markdown(BenchResult(rows=[row], machine_start=machine, machine_end=machine, command="quarry bench --parts compare"))
    assert "| 802 | 37707 | 157 | 42 | 0.85 | 1.08 | 1.15 | 1.22 |" in text
    assert "compare" in PARTS
