"""The Milvus backend: queries the three collections `indexer/milvus_sync.py` writes.

The layout (collection names, schemas, row encodings, the client) is quarry/milvus_layout.py. On open
the documents and chunk fields are read back into the same in-memory records the local index has, so
everything above the `Backend` seam runs unchanged; queries go to Milvus.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from quarry.errors import IndexMissing, QuarryError
from quarry.milvus_layout import (CHUNK_FIELDS, STAMP_KEY, chunk_from_row, connect, doc_filter, names,
                                   query_all, read_json, reason)
from quarry.records import DocInfo
from quarry.settings import Settings
from search.backends.base import Backend, Ranked


def version(settings: Settings) -> str:
    """The stamp of the last sync that changed the index ("" if none): a cheap check for a newer index."""
    try:
        rows = connect(settings).query(names(settings)["meta"], filter=f'key == "{STAMP_KEY}"', output_fields=["body"])
    except Exception:
        return ""
    return rows[0]["body"] if rows else ""


def load(settings: Settings):
    """Open the Milvus index named by settings as a LoadedIndex whose `backend` queries Milvus."""
    from search.index import ChunkTable, DocTable, LoadedIndex, StoredDoc

    client = connect(settings)
    n = names(settings)
    try:
        if not all(client.has_collection(c) for c in n.values()):
            raise IndexMissing(f"no Milvus index {settings.milvus_collection!r} at {settings.milvus_uri}; "
                               f"build it with `quarry index --backend milvus --milvus-uri {settings.milvus_uri}`")
        for c in n.values():
            client.load_collection(c)
        meta = read_json(client, n["meta"], "")
        if "manifest" not in meta:
            raise IndexMissing(f"the Milvus index {settings.milvus_collection!r} at {settings.milvus_uri} is incomplete; "
                               "re-run `quarry index --backend milvus`")
        docs = {}
        for doc_id, rec in read_json(client, n["docs"], "").items():
            docs[doc_id] = StoredDoc(DocInfo.from_dict(rec), rec["text"], rec["sections"], rec.get("page_marks") or [])
        rows = sorted(query_all(client, n["chunks"], CHUNK_FIELDS), key=lambda r: (r["doc_id"], r["seq"]))
    except QuarryError:
        raise
    except Exception as e:
        raise QuarryError(f"cannot read the Milvus index at {settings.milvus_uri}: {reason(e)}") from None
    chunks = [chunk_from_row(r) for r in rows]
    manifest = meta["manifest"]
    dim = manifest["model"]["dim"]
    backend = MilvusBackend(client, n["chunks"], {c.chunk_id: i for i, c in enumerate(chunks)})
    return LoadedIndex(Path(f"milvus:{settings.milvus_uri}#{settings.milvus_collection}"), manifest,
                       DocTable.of_stored(docs), ChunkTable.of_chunks(chunks),
                       np.zeros((0, dim), dtype=np.float32), None, {}, meta.get("glossary") or {}, backend)


class MilvusBackend(Backend):
    """BM25 (Milvus full-text search), dense (inner product) and hybrid_search with an RRF ranker."""

    name = "milvus"

    def __init__(self, client, collection: str, rows: dict[str, int]):
        self.client = client
        self.collection = collection
        self.rows = rows

    def _ranked(self, results, sign: float = 1.0) -> Ranked:
        out = []
        for hit in results[0] if results else []:
            row = self.rows.get(hit["id"] if "id" in hit else hit["chunk_id"])
            if row is not None:  # a chunk added after this searcher opened is ignored
                out.append((row, sign * float(hit["distance"])))
        return out

    def _search(self, sign: float = 1.0, **kwargs) -> Ranked:
        try:
            return self._ranked(self.client.search(self.collection, output_fields=[], **kwargs), sign)
        except Exception as e:
            raise QuarryError(f"Milvus search failed: {reason(e)}") from None

    def lexical(self, query: str, k: int, allowed: set[str] | None, meta_query: str | None = None) -> Ranked:
        if allowed is not None and not allowed:
            return []
        # Milvus Lite reports BM25 as a negated distance (best first, most negative); a server reports the
        # score itself. abs() gives the BM25 score on both (BM25 scores of matches are positive).
        ranked = self._search(data=[query], anns_field="sparse", limit=k, filter=doc_filter(allowed),
                              search_params={"metric_type": "BM25"})
        return [(row, abs(score)) for row, score in ranked]

    def dense(self, vector: np.ndarray, k: int, allowed: set[str] | None) -> Ranked:
        if allowed is not None and not allowed:
            return []
        return self._search(data=[np.asarray(vector, dtype=np.float32).tolist()], anns_field="vector", limit=k,
                            filter=doc_filter(allowed), search_params={"metric_type": "IP"})

    def hybrid(self, query: str, vector: np.ndarray, k: int, candidates: int, rrf_k: int,
               allowed: set[str] | None) -> Ranked | None:
        """Milvus hybrid_search: the BM25 and dense requests, each filtered, fused by RRFRanker(rrf_k)."""
        from pymilvus import AnnSearchRequest, RRFRanker

        if allowed is not None and not allowed:
            return []
        expr = doc_filter(allowed)  # on each sub-request: a top-level filter would be ignored
        requests = [
            AnnSearchRequest(data=[query], anns_field="sparse", param={"metric_type": "BM25"}, limit=candidates, expr=expr),
            AnnSearchRequest(data=[np.asarray(vector, dtype=np.float32).tolist()], anns_field="vector",
                             param={"metric_type": "IP"}, limit=candidates, expr=expr),
        ]
        try:
            results = self.client.hybrid_search(self.collection, requests, ranker=RRFRanker(rrf_k), limit=k, output_fields=[])
        except Exception as e:
            raise QuarryError(f"Milvus hybrid search failed: {reason(e)}") from None
        return self._ranked(results)
