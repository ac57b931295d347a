"""`build_index`: read, normalise, detect sections, chunk, embed, write — incrementally.

Documents whose bytes, catalogue entry and chunking settings are unchanged keep their chunks;
vectors are reused by the hash of the exact text embedded, so unchanged text is never embedded
twice. When nothing at all changed, no new build is written.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from indexer import glossary, lexical, metadata, readers, store
from indexer.chunks import chunk_section
from indexer.normalise import NormalText, normalise
from indexer.version import code_hash
from indexer.progress import Bars, Silent, as_progress
from indexer.progress import Progress as Reporter
from indexer.sections import detect_sections
from quarry import index_format as fmt
from quarry.analysis import terms
from quarry.embedders import Embedder, load_embedder, model_id_for, token_counter
from quarry.errors import IndexCorrupt, IndexMissing, QuarryError
from quarry.records import Chunk, DocInfo
from quarry.settings import Settings

Progress = Reporter | Callable[[str], None]  # a Reporter draws per-stage bars; a callable gets one line per stage


@dataclass
class BuildSummary:
    index: str
    documents: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    sections: int = 0
    chunks: int = 0
    embedded: int = 0
    reused_vectors: int = 0
    up_to_date: bool = False
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    inferred: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["skipped"] = [{"file": f, "reason": r} for f, r in self.skipped]
        return d

    def lines(self) -> list[str]:
        total = sum(self.seconds.values())
        rate = self.embedded / self.seconds["embed"] if self.seconds.get("embed") and self.embedded else None
        out = [
            f"index: {self.index}" + ("  (up to date, nothing rebuilt)" if self.up_to_date else ""),
            f"documents: {self.documents} ({self.new} new, {self.changed} changed, {self.unchanged} unchanged, {self.removed} removed)",
            f"sections: {self.sections}   chunks: {self.chunks}",
            f"embedded: {self.embedded} chunks" + (f" at {rate:.1f}/s" if rate else "") + f", reused {self.reused_vectors} cached vectors",
            "time: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items() if v >= 0.05) + f" (total {total:.1f}s)",
        ]
        for doc, fields_ in sorted(self.inferred.items()):
            out.append(f"inferred from the text (no catalogue entry): {doc}: {', '.join(fields_)}")
        for note in self.notes:
            out.append(f"note: {note}")
        out.append(f"skipped: {len(self.skipped)} file(s)")
        for name, reason in self.skipped:
            out.append(f"  skipped {name}: {reason}")
        return out


@dataclass
class _Doc:
    info: DocInfo
    content_hash: str
    text: str
    page_marks: list[list[int]]
    sections: list[dict[str, Any]]
    chunks: list[Chunk]

    def record(self) -> dict[str, Any]:
        return {**self.info.to_dict(), "content_hash": self.content_hash, "text": self.text,
                "page_marks": self.page_marks, "sections": self.sections}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "doc"


def discover(paths: Iterable[Path]) -> tuple[list[tuple[Path, Path]], list[tuple[str, str]]]:
    """(root, file) pairs to index, and (file, reason) pairs skipped; hidden files are ignored."""
    found: list[tuple[Path, Path]] = []
    skipped: list[tuple[str, str]] = []
    for path in paths:
        if not path.exists():
            raise QuarryError(f"{path}: no such file or directory")
        if path.is_file():
            found.append((path.parent, path))
            continue
        for file in sorted(path.rglob("*")):
            rel = file.relative_to(path)
            if any(part.startswith(".") for part in rel.parts) or file.is_dir():
                continue
            if file.name == metadata.CATALOGUE:
                continue
            if file.suffix.lower() not in readers.SUPPORTED:
                skipped.append((str(file), f"unsupported file type {file.suffix or '(none)'}"))
                continue
            found.append((path, file))
    return found, skipped


def embed_text(info: DocInfo, chunk: Chunk) -> str:
    """What the model sees: the document title and heading path give the passage its context."""
    about = ", ".join(x for x in (info.authority, info.period) if x and x.lower() not in info.title.lower())
    head = f"{info.title} ({about})" if about else info.title
    context = " > ".join(chunk.heading_path)
    return f"{head}\n{context}\n{chunk.text}" if context else f"{head}\n{chunk.text}"


def lexical_text(chunk: Chunk) -> str:
    return "\n".join([*chunk.heading_path, chunk.text])


def bm25_texts(chunk_rows: list[dict[str, Any]]) -> list[str]:
    """The BM25 text field of each chunk: its heading path, then its text, but the heading only on the
    first of consecutive chunks under one heading. A heading is evidence about its section once, not
    once per window: counted in every window, a long section whose heading echoes the question
    ("The impact of leaders ...: outstanding") fills the top ranks through that one line (Ofsted silver
    QA: Success@5 0.607 with, 0.918 without). Every chunk still embeds and cites its heading path."""
    out, previous = [], None
    for row in chunk_rows:
        under = (row["doc_id"], tuple(row["heading_path"]))
        out.append("\n".join([*row["heading_path"], row["text"]]) if under != previous else row["text"])
        previous = under
    return out


def meta_text(info: DocInfo) -> str:
    """The document fields a question may name: title, authority, period, type, publication date."""
    return "\n".join(x for x in (info.title, info.authority, info.period, info.doc_type, info.published) if x)


def _hash(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def _load_previous(index: Path, model_id: str) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]], dict[str, np.ndarray]]:
    """Previous manifest, documents by id (with chunks) and vectors by embed hash; empty if none."""
    try:
        folder = fmt.build_dir(index)
        manifest = fmt.read_manifest(folder, verify=True)
    except (IndexMissing, IndexCorrupt):
        return None, {}, {}
    docs: dict[str, dict[str, Any]] = {}
    with (folder / fmt.DOCUMENTS).open(encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            rec["chunks"] = []
            docs[rec["doc_id"]] = rec
    vectors = np.load(folder / fmt.VECTORS, mmap_mode="r", allow_pickle=False)
    by_hash: dict[str, np.ndarray] = {}
    with (folder / fmt.CHUNKS).open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            rec = json.loads(line)
            docs[rec["doc_id"]]["chunks"].append(rec)
            if manifest["model"]["id"] == model_id:
                by_hash[rec["embed_hash"]] = vectors[i]
    return manifest, docs, by_hash


def _process(doc_id: str, source: str, raw: readers.RawDocument, entry: dict[str, Any] | None,
             count_tokens, settings: Settings, content_hash: str) -> _Doc:
    norm: NormalText = normalise(raw.pages)
    info = metadata.doc_info(doc_id, source, norm.text, entry)
    sections = detect_sections(doc_id, norm.text)
    chunks = [c for s in sections for c in chunk_section(s, norm.text, count_tokens, settings.max_chunk_tokens,
                                                         settings.overlap_sentences, norm.page_at)]
    return _Doc(info, content_hash, norm.text, [list(m) for m in norm.page_marks],
                [{"number": s.number, "title": s.title, "level": s.level, "heading_path": list(s.heading_path),
                  "char_start": s.char_start, "char_end": s.char_end, "kind": s.kind} for s in sections], chunks)


def _dense_index(vectors: np.ndarray, settings: Settings):
    import faiss

    dim = vectors.shape[1]
    if len(vectors) > settings.ann_threshold:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


@dataclass(frozen=True)
class Source:
    """One document to index: a file on disk, or text already in memory (e.g. a BEIR corpus row)."""

    doc_id: str
    name: str  # shown in summaries; the file path for files
    entry: dict[str, Any] | None = None  # catalogue metadata (title, authority, years, ...)
    path: Path | None = None
    text: str | None = None

    def fingerprint(self) -> str:
        """Content hash of the bytes (or text) and the catalogue entry: a change means re-processing."""
        data = self.path.read_bytes() if self.path is not None else (self.text or "").encode("utf-8")
        return _hash(hashlib.sha256(data).hexdigest(), json.dumps(self.entry, sort_keys=True), readers.TEXT_VERSION)

    def read(self) -> readers.RawDocument:
        if self.path is not None:
            return readers.read(self.path)
        if not (self.text or "").strip():
            raise readers.Unreadable("empty: no text")
        return readers.RawDocument([self.text or ""], "text")


def file_sources(paths: Iterable[Path]) -> tuple[list[Source], list[tuple[str, str]]]:
    """Sources for files under `paths` (doc id = slug of the path relative to its root), and skips."""
    files, skipped = discover(paths)
    catalogues: dict[Path, dict[str, Any]] = {}
    sources: list[Source] = []
    seen: set[str] = set()
    for root, file in files:
        if root not in catalogues:
            catalogues[root] = metadata.load_catalogue(root)
        rel = file.relative_to(root).as_posix()
        doc_id = slug(rel.rsplit(".", 1)[0])
        while doc_id in seen:
            doc_id = f"{doc_id}-{_hash(rel)[:6]}"
        seen.add(doc_id)
        sources.append(Source(doc_id, str(file), catalogues[root].get(rel), path=file))
    return sources, skipped


def build_index(paths: list[Path], settings: Settings, embedder: Embedder | None = None,
                progress: Progress | None = None) -> BuildSummary:
    """Index files and folders into `settings.index`; the previous index stays current until this succeeds."""
    sources, skipped = file_sources(paths)
    return build_from_sources(sources, settings, embedder, progress, skipped)


def build_from_sources(sources: list[Source], settings: Settings, embedder: Embedder | None = None,
                       progress: Progress | None = None, skipped: list[tuple[str, str]] | None = None) -> BuildSummary:
    """Index `sources` into `settings.index`, reusing unchanged documents and cached vectors."""
    report = as_progress(progress)
    index = Path(settings.index)
    summary = BuildSummary(index=str(index), skipped=list(skipped or []))
    clock = time.perf_counter()
    model_id = embedder.model_id if embedder else model_id_for(settings.model)
    if len({s.doc_id for s in sources}) != len(sources):
        raise QuarryError("two documents share one doc id; doc ids must be unique")
    with store.build_lock(index):
        previous, old_docs, old_vectors = _load_previous(index, model_id)
        same_chunking = (previous is not None and previous["settings"].get("chunking") == settings.chunking()
                         and previous["settings"].get("indexer_code") == code_hash())  # other code: re-chunk all
        count_tokens = None
        docs: dict[str, _Doc] = {}
        reused_docs: dict[str, dict[str, Any]] = {}
        to_chunk: list[tuple[Source, readers.RawDocument, str, bool]] = []
        reading = report.stage("reading", len(sources), "doc")
        for source in sources:
            reading.advance()
            try:
                if source.path is not None:
                    readers.check_size(source.path, settings.max_file_mb)
                content_hash = source.fingerprint()
            except readers.Unreadable as e:
                summary.skipped.append((source.name, str(e)))
                continue
            except FileNotFoundError:
                summary.skipped.append((source.name, "file vanished before it could be read"))
                continue
            except PermissionError:
                summary.skipped.append((source.name, "permission denied"))
                continue
            except OSError as e:
                summary.skipped.append((source.name, f"cannot be read ({e.strerror or e})"))
                continue
            old = old_docs.get(source.doc_id)
            if same_chunking and old and old["content_hash"] == content_hash:
                reused_docs[source.doc_id] = old
                summary.unchanged += 1
                continue
            try:
                raw = source.read()
            except readers.Unreadable as e:
                summary.skipped.append((source.name, str(e)))
                continue
            if raw.note:
                summary.notes.append(f"{source.name}: {raw.note}")
            to_chunk.append((source, raw, content_hash, old is not None))
        reading.close()
        summary.seconds["read"] = time.perf_counter() - clock
        clock = time.perf_counter()
        chunking = report.stage("chunking", len(to_chunk), "doc")
        for source, raw, content_hash, had_old in to_chunk:
            if count_tokens is None:
                count_tokens = embedder.count_tokens if embedder else token_counter(settings.model)
            docs[source.doc_id] = _process(source.doc_id, source.name, raw, source.entry, count_tokens, settings, content_hash)
            if had_old:
                summary.changed += 1
            else:
                summary.new += 1
            chunking.advance()
        chunking.close()
        del to_chunk
        summary.removed = len(set(old_docs) - set(docs) - set(reused_docs))
        summary.seconds["chunk"] = time.perf_counter() - clock
        summary.documents = len(docs) + len(reused_docs)
        if not summary.documents:
            raise QuarryError("no documents to index" + (f" ({len(summary.skipped)} skipped)" if summary.skipped else "")
                              + (": " + "; ".join(f"{f}: {r}" for f, r in summary.skipped[:3]) if summary.skipped else ""))
        if previous is not None and not docs and not summary.removed and previous["model"]["id"] == model_id \
                and previous["settings"].get("lexical") == settings.lexical():
            summary.up_to_date = True
            summary.sections = previous["counts"]["sections"]
            summary.chunks = previous["counts"]["chunks"]
            summary.reused_vectors = summary.chunks
            _note_inferred(summary, [DocInfo.from_dict(d) for d in reused_docs.values()])
            return summary
        return _write(index, settings, model_id, embedder, docs, reused_docs, old_vectors, summary, report)


def _note_inferred(summary: BuildSummary, infos: list[DocInfo]) -> None:
    for info in infos:
        if info.inferred:
            summary.inferred[info.doc_id] = list(info.inferred)


def _write(index: Path, settings: Settings, model_id: str, embedder: Embedder | None, docs: dict[str, _Doc],
           reused: dict[str, dict[str, Any]], old_vectors: dict[str, np.ndarray], summary: BuildSummary,
           report: Reporter) -> BuildSummary:
    t0 = time.perf_counter()
    records: list[dict[str, Any]] = []
    chunk_rows: list[dict[str, Any]] = []
    infos: list[DocInfo] = []
    for doc_id in sorted(set(docs) | set(reused)):
        if doc_id in docs:
            d = docs[doc_id]
            record = d.record()
            info = d.info
            rows = [{**c.to_dict(), "embed_hash": _hash(model_id, embed_text(info, c))} for c in d.chunks]
        else:
            rec = dict(reused[doc_id])
            rows = rec.pop("chunks")
            record = rec
            info = DocInfo.from_dict(rec)
        records.append(record)
        infos.append(info)
        chunk_rows.extend(rows)
        summary.sections += sum(1 for s in record["sections"] if s["kind"] != "contents")
    _note_inferred(summary, infos)
    summary.chunks = len(chunk_rows)
    info_by_id = {i.doc_id: i for i in infos}

    # Embed only text whose hash has no vector yet.
    todo = {}
    for row in chunk_rows:
        if row["embed_hash"] not in old_vectors and row["embed_hash"] not in todo:
            todo[row["embed_hash"]] = embed_text(info_by_id[row["doc_id"]], Chunk.from_dict(row))
    summary.reused_vectors = sum(1 for r in chunk_rows if r["embed_hash"] in old_vectors)
    new_vectors: dict[str, np.ndarray] = {}
    if todo:
        t_embed = time.perf_counter()
        model = embedder or load_embedder(settings.model, settings.device, settings.batch_size)
        if model.model_id != model_id:
            raise QuarryError(f"model id changed while indexing ({model_id} -> {model.model_id})")
        keys = list(todo)
        batch = max(settings.batch_size * 4, 64)  # small enough for a live rate and ETA
        embedding = report.stage("embedding", len(keys), "chunk")
        for start in range(0, len(keys), batch):
            part = keys[start:start + batch]
            for key, vec in zip(part, model.embed([todo[k] for k in part])):
                new_vectors[key] = vec
            embedding.advance(len(part))
        embedding.close()
        summary.embedded = len(todo)
        summary.seconds["embed"] = time.perf_counter() - t_embed
    dim = next(iter(new_vectors.values())).shape[0] if new_vectors else (next(iter(old_vectors.values())).shape[0] if old_vectors else 384)
    vectors = np.zeros((len(chunk_rows), dim), dtype=np.float32)
    for i, row in enumerate(chunk_rows):
        h = row["embed_hash"]
        vectors[i] = new_vectors[h] if h in new_vectors else old_vectors[h]

    t_bm25 = time.perf_counter()
    fields = {
        "text": lexical.build_matrix([terms(t) for t in bm25_texts(chunk_rows)], settings.bm25_k1, settings.bm25_b),
        "meta": lexical.build_matrix([terms(meta_text(info_by_id[r["doc_id"]])) for r in chunk_rows], settings.bm25_k1, settings.bm25_b),
    }
    summary.seconds["bm25"] = time.perf_counter() - t_bm25
    t_faiss = time.perf_counter()
    dense = _dense_index(vectors, settings)
    summary.seconds["faiss"] = time.perf_counter() - t_faiss

    t_write = time.perf_counter()
    report.note("writing the index")
    folder = store.new_build_dir(index)
    try:
        import faiss

        store.write_jsonl(folder / fmt.DOCUMENTS, records)
        store.write_jsonl(folder / fmt.CHUNKS, chunk_rows)
        store.save_array(folder / fmt.VECTORS, vectors)
        faiss.write_index(dense, str(folder / fmt.DENSE))
        for field, (vocab, data, indices, indptr) in fields.items():
            names = fmt.bm25_files(field)
            for name, array in zip(names, (data, indices, indptr)):
                store.save_array(folder / name, array)
            (folder / names[3]).write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        acronyms = glossary.merge([glossary.extract(r["text"]) for r in records])
        (folder / fmt.GLOSSARY).write_text(json.dumps(acronyms, ensure_ascii=False, indent=0), encoding="utf-8")
        manifest = {
            "schema_version": fmt.SCHEMA_VERSION,
            "quarry_version": __import__("quarry").__version__,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "model": {"spec": settings.model, "id": model_id, "dim": dim},
            "settings": {"chunking": settings.chunking(), "lexical": settings.lexical(), "indexer_code": code_hash(),
                         "dense_index": type(dense).__name__},
            "counts": {"documents": len(records), "sections": summary.sections, "chunks": len(chunk_rows)},
            "documents": {r["doc_id"]: {"source": r["source"], "content_hash": r["content_hash"], "title": r["title"]} for r in records},
        }
        store.finish(index, folder, manifest)
    except OSError as e:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        raise QuarryError(f"could not write the index ({e.strerror or e}); the previous index is unchanged") from None
    except BaseException:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        raise
    summary.seconds["write"] = time.perf_counter() - t_write
    summary.seconds["index"] = time.perf_counter() - t0 - sum(summary.seconds.get(k, 0) for k in ("embed", "bm25", "faiss", "write"))
    return summary


def stderr_progress(quiet: bool) -> Reporter:
    """Per-stage bars on stderr, or nothing for scripts (`--quiet`, `--json`)."""
    return Silent() if quiet else Bars(sys.stderr)
