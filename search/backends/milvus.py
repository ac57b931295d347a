"""The Milvus backend: chunks, documents and index metadata in three Milvus collections.

`<prefix>_chunks`: chunk id (primary key), scalar fields for every filter and citation (doc id,
authority, year, document type, section, heading, heading path, pages, character span), the passage
text, an analyzed `lexical` text with a BM25 function producing a sparse vector, and the dense vector.
`<prefix>_docs`: per document its fields, a sync hash and its full record (normalised text, sections,
page marks) as JSON split into VARCHAR-sized pieces. `<prefix>_meta`: the manifest and the glossary.

On open the documents and chunk fields are read back into the same in-memory records the local
index has, so everything above the `Backend` seam runs unchanged; queries go to Milvus.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from quarry.errors import IndexMissing, QuarryError
from quarry.records import Chunk, DocInfo
from quarry.settings import Settings
from search.backends.base import Backend, Ranked

VARCHAR_MAX = 65_535  # bytes, Milvus's VARCHAR limit
PIECE_BYTES = 60_000
STUB_DIM = 2  # Milvus wants a vector field in every collection; the docs and meta ones carry a stub
SCHEMA = 1

_CLIENTS: dict[tuple[str, str], Any] = {}


def names(settings: Settings) -> dict[str, str]:
    p = settings.milvus_collection
    return {"chunks": f"{p}_chunks", "docs": f"{p}_docs", "meta": f"{p}_meta"}


def is_lite(uri: str) -> bool:
    return not uri.startswith(("http://", "https://", "tcp://", "unix:"))


def connect(settings: Settings):
    """A MilvusClient for settings.milvus_uri (one per uri in this process: Milvus Lite runs one server per file)."""
    uri = settings.milvus_uri
    key = (uri, settings.milvus_token)
    if key in _CLIENTS:
        return _CLIENTS[key]
    import logging

    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise QuarryError("the milvus backend needs pymilvus (and milvus-lite for a file uri): pip install 'quarry[milvus]'") from None
    for name in ("pymilvus", "pymilvus.milvus_client"):  # errors reach the user as one line from us, not log tracebacks
        logging.getLogger(name).setLevel(logging.CRITICAL)
    if is_lite(uri):
        if not uri.endswith(".db"):
            raise QuarryError(f"a Milvus Lite uri must be a file name ending in .db, not {uri!r} (or http://host:19530 for a server)")
        Path(uri).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        uri = str(Path(uri).expanduser().resolve())
    try:
        client = MilvusClient(uri=uri, token=settings.milvus_token or "")
    except Exception as e:  # pymilvus raises MilvusException or plain connection errors
        raise QuarryError(f"cannot connect to Milvus at {settings.milvus_uri}: {_reason(e)}") from None
    _CLIENTS[key] = client
    return client


def _reason(e: Exception) -> str:
    return str(getattr(e, "message", None) or e).splitlines()[0][:300]


def clip(text: str, max_bytes: int = VARCHAR_MAX) -> str:
    """`text` cut to at most max_bytes of UTF-8 (never mid-character)."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", "ignore")


def pieces(text: str, max_bytes: int = PIECE_BYTES) -> list[str]:
    """Split text into consecutive pieces of at most max_bytes UTF-8 each; "".join gives it back."""
    out, start = [], 0
    while start < len(text) or not out:
        piece = clip(text[start:start + max_bytes], max_bytes)
        if not piece and start < len(text):  # pragma: no cover - max_bytes < 4
            raise ValueError("max_bytes too small")
        out.append(piece)
        start += len(piece)
    return out


def doc_filter(allowed: set[str] | None) -> str:
    """A Milvus boolean expression keeping chunks of the allowed documents ("" = everything)."""
    if allowed is None:
        return ""
    return "doc_id in [" + ", ".join(json.dumps(d) for d in sorted(allowed)) + "]"


def analyzer_params() -> dict[str, Any]:
    """Close to quarry.analysis.terms: standard tokens, lower-case, the same stop words, Snowball English stems."""
    from quarry.analysis import stopwords

    return {"tokenizer": "standard",
            "filter": ["lowercase", {"type": "stop", "stop_words": sorted(stopwords())},
                       {"type": "stemmer", "language": "english"}]}


def create_collections(client, settings: Settings, dim: int) -> None:
    """The three collections with their schema and indexes (BM25 k1/b from settings)."""
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    n = names(settings)
    s = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("chunk_id", DataType.VARCHAR, is_primary=True, max_length=1024)
    s.add_field("doc_id", DataType.VARCHAR, max_length=1024)
    s.add_field("seq", DataType.INT64)
    s.add_field("authority", DataType.VARCHAR, max_length=1024)
    s.add_field("year", DataType.INT64)
    s.add_field("doc_type", DataType.VARCHAR, max_length=1024)
    s.add_field("section", DataType.VARCHAR, max_length=1024)
    s.add_field("heading", DataType.VARCHAR, max_length=4096)
    s.add_field("heading_path", DataType.JSON)
    for f in ("page_start", "page_end", "char_start", "char_end"):
        s.add_field(f, DataType.INT64)
    s.add_field("kind", DataType.VARCHAR, max_length=64)
    s.add_field("text", DataType.VARCHAR, max_length=VARCHAR_MAX)
    s.add_field("lexical", DataType.VARCHAR, max_length=VARCHAR_MAX, enable_analyzer=True, analyzer_params=analyzer_params())
    s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    s.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["lexical"], output_field_names=["sparse"]))
    ip = client.prepare_index_params()
    ip.add_index("vector", index_type="AUTOINDEX", metric_type="IP")
    ip.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                 params={"bm25_k1": settings.bm25_k1, "bm25_b": settings.bm25_b})
    ip.add_index("doc_id", index_type="INVERTED")
    client.create_collection(n["chunks"], schema=s, index_params=ip)
    for name, key_fields in ((n["docs"], True), (n["meta"], False)):
        s = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        s.add_field("key", DataType.VARCHAR, is_primary=True, max_length=1100)
        s.add_field("doc_id", DataType.VARCHAR, max_length=1024)
        s.add_field("piece", DataType.INT64)
        if key_fields:
            s.add_field("title", DataType.VARCHAR, max_length=4096)
            s.add_field("authority", DataType.VARCHAR, max_length=1024)
            s.add_field("year", DataType.INT64)
            s.add_field("doc_type", DataType.VARCHAR, max_length=1024)
            s.add_field("sync_hash", DataType.VARCHAR, max_length=128)
        s.add_field("body", DataType.VARCHAR, max_length=VARCHAR_MAX)
        s.add_field("stub", DataType.FLOAT_VECTOR, dim=STUB_DIM)
        ip = client.prepare_index_params()
        ip.add_index("stub", index_type="AUTOINDEX", metric_type="L2")
        client.create_collection(name, schema=s, index_params=ip)


def query_all(client, collection: str, output_fields: list[str], expr: str = "", batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Every row matching expr (paged with a query iterator, so no result-size limit)."""
    it = client.query_iterator(collection, batch_size=batch, filter=expr, output_fields=output_fields)
    try:
        while True:
            rows = it.next()
            if not rows:
                return
            yield from rows
    finally:
        it.close()


def read_json(client, collection: str, expr: str) -> dict[str, Any]:
    """Rows with a `piece` number and `body` text -> {doc_id: parsed JSON of the joined pieces}."""
    parts: dict[str, list[tuple[int, str]]] = {}
    for row in query_all(client, collection, ["doc_id", "piece", "body"], expr):
        parts.setdefault(row["doc_id"], []).append((row["piece"], row["body"]))
    return {d: json.loads("".join(b for _, b in sorted(ps))) for d, ps in parts.items()}


def chunk_from_row(row: dict[str, Any]) -> Chunk:
    return Chunk(row["chunk_id"], row["doc_id"], row["section"] or None, row["heading"], tuple(row["heading_path"] or ()),
                 row["text"], row["char_start"], row["char_end"],
                 None if row["page_start"] < 0 else row["page_start"], None if row["page_end"] < 0 else row["page_end"],
                 row["kind"])


def version(settings: Settings) -> str:
    """The stamp of the last sync that changed the index ("" if none): a cheap check for a newer index."""
    try:
        rows = connect(settings).query(names(settings)["meta"], filter='key == "stamp#00000"', output_fields=["body"])
    except Exception:
        return ""
    return rows[0]["body"] if rows else ""


CHUNK_FIELDS = ["chunk_id", "doc_id", "seq", "section", "heading", "heading_path", "text",
                "char_start", "char_end", "page_start", "page_end", "kind"]


def load(settings: Settings):
    """Open the Milvus index named by settings as a LoadedIndex whose `backend` queries Milvus."""
    from search.index import LoadedIndex, StoredDoc

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
        raise QuarryError(f"cannot read the Milvus index at {settings.milvus_uri}: {_reason(e)}") from None
    chunks = [chunk_from_row(r) for r in rows]
    manifest = meta["manifest"]
    dim = manifest["model"]["dim"]
    backend = MilvusBackend(client, n["chunks"], {c.chunk_id: i for i, c in enumerate(chunks)})
    return LoadedIndex(Path(f"milvus:{settings.milvus_uri}#{settings.milvus_collection}"), manifest, docs, chunks,
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
            raise QuarryError(f"Milvus search failed: {_reason(e)}") from None

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
            raise QuarryError(f"Milvus hybrid search failed: {_reason(e)}") from None
        return self._ranked(results)
