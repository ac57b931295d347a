"""The Milvus storage layout shared by the indexer (writer, indexer/milvus_sync.py) and search (reader,
search/backends/milvus.py): collection names, schemas, row encodings, the client, piece splitting.

`<prefix>_chunks`: chunk id (primary key), scalar fields for every filter and citation (doc id,
authority, year, document type, section, heading, heading path, pages, character span), the passage
text, an analyzed `lexical` text with a BM25 function producing a sparse vector, and the dense vector.
`<prefix>_docs`: per document its fields, a sync hash and its full record (normalised text, sections,
page marks) as JSON split into VARCHAR-sized pieces. `<prefix>_meta`: the manifest, the glossary, the
layout and the stamp of the last sync, as JSON pieces too.

pymilvus is imported inside the functions that need it, so the local backend never loads it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from quarry.errors import QuarryError
from quarry.records import Chunk
from quarry.settings import Settings

VARCHAR_MAX = 65_535  # bytes, Milvus's VARCHAR limit
PIECE_BYTES = 60_000
STUB_DIM = 2  # Milvus wants a vector field in every collection; the docs and meta ones carry a stub
SCHEMA = 1
STAMP_KEY = "stamp#00000"  # the meta row whose body changes with every sync that changed the index

CHUNK_FIELDS = ["chunk_id", "doc_id", "seq", "section", "heading", "heading_path", "text",
                "char_start", "char_end", "page_start", "page_end", "kind"]

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
        raise QuarryError(f"cannot connect to Milvus at {settings.milvus_uri}: {reason(e)}") from None
    _CLIENTS[key] = client
    return client


def reason(e: Exception) -> str:
    """A Milvus error as one short line (its message, not its repr), for a QuarryError."""
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


def piece_key(name: str, i: int) -> str:
    """The primary key of piece i of a docs or meta entry."""
    return f"{name}#{i:05d}"


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


def doc_rows(doc_id: str, record: dict[str, Any], sync_hash: str) -> list[dict[str, Any]]:
    """A document's rows in `<prefix>_docs`: its filter fields and its record as JSON pieces."""
    parts = pieces(json.dumps(record, ensure_ascii=False))
    return [{"key": piece_key(doc_id, i), "doc_id": doc_id, "piece": i, "title": clip(record.get("title") or "", 4096),
             "authority": record.get("authority") or "", "year": record.get("year") or 0,
             "doc_type": record.get("doc_type") or "", "sync_hash": sync_hash, "body": body, "stub": [0.0] * STUB_DIM}
            for i, body in enumerate(parts)]


def meta_rows(name: str, value: Any) -> list[dict[str, Any]]:
    """An entry of `<prefix>_meta` (manifest, glossary, layout) as rows of JSON pieces."""
    return [{"key": piece_key(name, i), "doc_id": name, "piece": i, "body": body, "stub": [0.0] * STUB_DIM}
            for i, body in enumerate(pieces(json.dumps(value, ensure_ascii=False)))]


def stamp_row(stamp: dict[str, Any]) -> dict[str, Any]:
    """The one-piece meta row readers poll (see search/live.py) to reopen after a sync."""
    return {"key": STAMP_KEY, "doc_id": "stamp", "piece": 0, "body": json.dumps(stamp), "stub": [0.0] * STUB_DIM}


def chunk_row(rec: dict[str, Any], seq: int, info: dict[str, Any], vector: np.ndarray, lexical: str) -> dict[str, Any]:
    """A chunk record of the local build as a `<prefix>_chunks` row (a missing page is -1)."""
    heading_path = rec.get("heading_path") or []
    return {
        "chunk_id": rec["chunk_id"], "doc_id": rec["doc_id"], "seq": seq,
        "authority": info.get("authority") or "", "year": info.get("year") or 0, "doc_type": info.get("doc_type") or "",
        "section": rec.get("section") or "", "heading": clip(rec.get("heading") or "", 4096), "heading_path": heading_path,
        "page_start": -1 if rec.get("page_start") is None else rec["page_start"],
        "page_end": -1 if rec.get("page_end") is None else rec["page_end"],
        "char_start": rec["char_start"], "char_end": rec["char_end"], "kind": rec.get("kind") or "body",
        "text": clip(rec["text"]), "lexical": clip(lexical),
        "vector": np.asarray(vector, dtype=np.float32).tolist(),
    }


def chunk_from_row(row: dict[str, Any]) -> Chunk:
    """A `<prefix>_chunks` row (its CHUNK_FIELDS) back to the Chunk the local index holds."""
    return Chunk(row["chunk_id"], row["doc_id"], row["section"] or None, row["heading"], tuple(row["heading_path"] or ()),
                 row["text"], row["char_start"], row["char_end"],
                 None if row["page_start"] < 0 else row["page_start"], None if row["page_end"] < 0 else row["page_end"],
                 row["kind"])


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
