"""Write a new build: the document and chunk tables, their vectors (embedding only text not seen before), the BM25
matrices, the FAISS index, the glossary and the manifest, into a temporary folder made current at the end."""

from __future__ import annotations

import json
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from indexer import glossary, lexical, store
from indexer.embedding import embed_missing
from indexer.hashing import parts_hash
from indexer.pending import PendingVectors
from indexer.process import ProcessedDoc
from indexer.progress import Progress
from indexer.summary import BuildSummary
from indexer.views import bm25_texts, embed_text, meta_text
from quarry import index_format as fmt
from quarry.analysis import terms
from quarry.embedders import Embedder
from quarry.errors import QuarryError
from quarry.records import Chunk, DocInfo
from quarry.settings import Settings

DEFAULT_DIM = 384  # only when there is no vector at all to take the dimension from
# HNSW above settings.ann_threshold. On 46,545 real chunk vectors (the eval caches) and 600 real questions,
# recall@10 against flat: efC 80 / efSearch 128 0.909, efSearch 512 0.984; efC 200 / efSearch 256 0.987
# (recall@100 0.984, 1.7 ms), efSearch 512 0.995 (eval/bench/NOTES.md).
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 256
FP16_MAX_NORM = 1.001  # longest vector the fp16 scan's exactness bound allows (search.dense.MAX_NORM)


def write_build(index: Path, settings: Settings, model_id: str, indexer_code: str, embedder: Embedder | None,
                docs: dict[str, ProcessedDoc], reused: dict[str, dict[str, Any]], old_vectors: dict[str, np.ndarray],
                summary: BuildSummary, report: Progress, old_precision: Sequence[str] = ()) -> BuildSummary:
    """Write processed and reused documents as the new current build of `index`; fill in `summary`.
    `old_precision`: the arithmetic of the previous build's vectors (its manifest's model.precision)."""
    t0 = time.perf_counter()
    records, chunk_rows, infos = _assemble(model_id, docs, reused, summary)
    summary.note_inferred(infos)
    summary.chunks = len(chunk_rows)
    info_by_id = {i.doc_id: i for i in infos}
    vectors = _vectors(index, chunk_rows, info_by_id, old_vectors, settings, model_id, embedder, summary, report)

    t_bm25 = time.perf_counter()
    fields = {
        "text": lexical.build_matrix((terms(t) for t in bm25_texts(chunk_rows)), settings.bm25_k1, settings.bm25_b),
        "meta": lexical.build_matrix((terms(meta_text(info_by_id[r["doc_id"]])) for r in chunk_rows), settings.bm25_k1, settings.bm25_b),
    }
    summary.seconds["bm25"] = time.perf_counter() - t_bm25
    t_faiss = time.perf_counter()
    dense = _dense_index(vectors, settings)
    summary.seconds["faiss"] = time.perf_counter() - t_faiss

    t_write = time.perf_counter()
    report.note("writing the index")
    with _new_build(index) as folder:
        _write_files(folder, records, chunk_rows, vectors, dense, fields)
        manifest = {
            "schema_version": fmt.SCHEMA_VERSION,
            "quarry_version": __import__("quarry").__version__,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            # the arithmetic the vectors were made with: one index built in bf16 and one in fp32 rank a few
            # passages differently (eval/bench/NOTES.md, session 8), and this says which one a figure came from
            "model": {"spec": settings.model, "id": model_id, "dim": vectors.shape[1],
                      "precision": sorted(set(summary.precision) | (set(old_precision) if summary.reused_vectors else set()))},
            "settings": {"chunking": settings.chunking(), "lexical": settings.lexical(), "indexer_code": indexer_code,
                         "dense_index": type(dense).__name__},
            "counts": {"documents": len(records), "sections": summary.sections, "chunks": len(chunk_rows)},
        }  # per-document source, content hash and title are in the document table, not here: parsed at every open
        store.finish(index, folder, manifest)
    PendingVectors(index).clear()  # the new build holds every finished batch now
    summary.seconds["write"] = time.perf_counter() - t_write
    summary.seconds["index"] = time.perf_counter() - t0 - sum(summary.seconds.get(k, 0) for k in ("cluster_start", "embed", "bm25", "faiss", "write"))
    return summary


def _assemble(model_id: str, docs: dict[str, ProcessedDoc], reused: dict[str, dict[str, Any]],
              summary: BuildSummary) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[DocInfo]]:
    """Document records, chunk rows (new ones with their embed hash) and infos, in doc-id order; counts sections."""
    records: list[dict[str, Any]] = []
    chunk_rows: list[dict[str, Any]] = []
    infos: list[DocInfo] = []
    for doc_id in sorted(set(docs) | set(reused)):
        if doc_id in docs:
            d = docs[doc_id]
            record = d.record()
            info = d.info
            rows = [{**c.to_dict(), "embed_hash": parts_hash(model_id, embed_text(info, c))} for c in d.chunks]
        else:
            rec = dict(reused[doc_id])
            rows = rec.pop("chunks")
            record = rec
            info = DocInfo.from_dict(rec)
        records.append(record)
        infos.append(info)
        chunk_rows.extend(rows)
        summary.sections += sum(1 for s in record["sections"] if s["kind"] != "contents")
    return records, chunk_rows, infos


def _vectors(index: Path, chunk_rows: list[dict[str, Any]], info_by_id: dict[str, DocInfo],
             old_vectors: dict[str, np.ndarray], settings: Settings, model_id: str, embedder: Embedder | None,
             summary: BuildSummary, report: Progress) -> np.ndarray:
    """One vector per chunk row: reused by embed hash, or embedded now (each distinct text once; indexer.embedding)."""
    todo = {}
    for row in chunk_rows:
        if row["embed_hash"] not in old_vectors and row["embed_hash"] not in todo:
            todo[row["embed_hash"]] = embed_text(info_by_id[row["doc_id"]], Chunk.from_dict(row))
    summary.reused_vectors = sum(1 for r in chunk_rows if r["embed_hash"] in old_vectors)
    new_vectors = embed_missing(index, todo, settings, model_id, embedder, summary, report) if todo else {}
    known = new_vectors or old_vectors
    dim = next(iter(known.values())).shape[0] if known else DEFAULT_DIM
    vectors = np.zeros((len(chunk_rows), dim), dtype=np.float32)
    for i, row in enumerate(chunk_rows):
        h = row["embed_hash"]
        vectors[i] = new_vectors[h] if h in new_vectors else old_vectors[h]
    return vectors


def _dense_index(vectors: np.ndarray, settings: Settings):
    """What search scans: fp16 scalar-quantised vectors (half the bytes of fp32; search rescores their best
    rows in fp32 with a bound that proves the exact top k, search/dense.py) up to settings.ann_threshold
    chunks, HNSW above it; exact fp32 when a vector is not unit length (the bound assumes |v| <= 1)."""
    import faiss

    dim = vectors.shape[1]
    if len(vectors) > settings.ann_threshold:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH  # stored in the file: search reads it back
    elif len(vectors) and float(np.max(np.einsum("ij,ij->i", vectors, vectors))) > FP16_MAX_NORM ** 2:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


@contextmanager
def _new_build(index: Path) -> Iterator[Path]:
    """A new temporary build folder (see store.new_build_dir), removed if anything fails before it is current."""
    folder = store.new_build_dir(index)
    try:
        yield folder
    except OSError as e:
        shutil.rmtree(folder, ignore_errors=True)
        raise QuarryError(f"could not write the index ({e.strerror or e}); the previous index is unchanged") from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _write_files(folder: Path, records: list[dict[str, Any]], chunk_rows: list[dict[str, Any]], vectors: np.ndarray,
                 dense, fields: dict[str, tuple]) -> None:
    """Every file of a build but the manifest (store.finish checksums them into it)."""
    import faiss

    store.write_tables(folder, records, chunk_rows)
    store.save_array(folder / fmt.VECTORS, vectors)
    faiss.write_index(dense, str(folder / fmt.DENSE))
    for field, (vocab, data, indices, indptr) in fields.items():
        names = fmt.bm25_files(field)
        for name, array in zip(names, (data, indices, indptr)):
            store.save_array(folder / name, array)
        (folder / names[3]).write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    acronyms = glossary.merge([glossary.extract(r["text"]) for r in records])
    (folder / fmt.GLOSSARY).write_text(json.dumps(acronyms, ensure_ascii=False, indent=0), encoding="utf-8")
