"""`build_index`: read, normalise, detect sections, chunk, embed, write — incrementally.

Documents whose bytes, catalogue entry and chunking settings are unchanged keep their chunks;
vectors are reused by the hash of the exact text embedded, so unchanged text is never embedded
twice. When nothing at all changed, no new build is written.

The stages live beside this module: sources.py (what to index), process.py (one document's text
pipeline), views.py (the texts embedded and counted), previous.py (the build being replaced),
write.py (the new build) and summary.py (what happened).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Callable

from indexer import readers, store
from indexer.previous import PreviousBuild, load_previous
from indexer.process import ProcessedDoc, process
from indexer.progress import Bars, Silent, as_progress
from indexer.progress import Progress as Reporter
from indexer.sources import Source, file_sources, slug
from indexer.summary import BuildSummary
from indexer.version import code_hash
from indexer.views import bm25_texts, lexical_text
from indexer.write import write_build
from quarry.embedders import Embedder, model_id_for, token_counter
from quarry.errors import QuarryError
from quarry.records import DocInfo
from quarry.settings import Settings

# eval/ and the CLI import these from here, the indexer's front door.
__all__ = ["BuildSummary", "Progress", "Source", "bm25_texts", "build_from_sources", "build_index", "file_sources",
           "lexical_text", "slug", "stderr_progress"]

Progress = Reporter | Callable[[str], None]  # a Reporter draws per-stage bars; a callable gets one line per stage

_ToChunk = tuple[Source, readers.RawDocument, str, bool]  # source, its pages, content hash, had an earlier version


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
        previous = load_previous(index, model_id)
        indexer_code = code_hash()
        same_chunking = (previous.manifest is not None and previous.manifest["settings"].get("chunking") == settings.chunking()
                         and previous.manifest["settings"].get("indexer_code") == indexer_code)  # other code: re-chunk all
        reused_docs, to_chunk = _read_sources(sources, settings, previous, same_chunking, summary, report)
        summary.seconds["read"] = time.perf_counter() - clock
        clock = time.perf_counter()
        docs = _chunk_documents(to_chunk, settings, embedder, summary, report)
        del to_chunk
        summary.removed = len(set(previous.docs) - set(docs) - set(reused_docs))
        summary.seconds["chunk"] = time.perf_counter() - clock
        summary.documents = len(docs) + len(reused_docs)
        if not summary.documents:
            raise QuarryError("no documents to index" + (f" ({len(summary.skipped)} skipped)" if summary.skipped else "")
                              + (": " + "; ".join(f"{f}: {r}" for f, r in summary.skipped[:3]) if summary.skipped else ""))
        if _up_to_date(previous, docs, summary, model_id, settings):
            summary.up_to_date = True
            summary.sections = previous.manifest["counts"]["sections"]
            summary.chunks = previous.manifest["counts"]["chunks"]
            summary.reused_vectors = summary.chunks
            summary.note_inferred([DocInfo.from_dict(d) for d in reused_docs.values()])
            return summary
        old_precision = previous.manifest["model"].get("precision", ["unrecorded"]) if previous.manifest else []
        return write_build(index, settings, model_id, indexer_code, embedder, docs, reused_docs, previous.vectors,
                           summary, report, old_precision)


def _read_sources(sources: list[Source], settings: Settings, previous: PreviousBuild, same_chunking: bool,
                  summary: BuildSummary, report: Reporter) -> tuple[dict[str, dict[str, Any]], list[_ToChunk]]:
    """Unchanged documents (reused from the previous build) and the others read into pages; skips go to summary."""
    reused: dict[str, dict[str, Any]] = {}
    to_chunk: list[_ToChunk] = []
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
        old = previous.docs.get(source.doc_id)
        if same_chunking and old and old["content_hash"] == content_hash:
            reused[source.doc_id] = old
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
    return reused, to_chunk


def _chunk_documents(to_chunk: list[_ToChunk], settings: Settings, embedder: Embedder | None,
                     summary: BuildSummary, report: Reporter) -> dict[str, ProcessedDoc]:
    """Each read document through process(); the token counter is loaded only if there is one to chunk."""
    count_tokens = None
    docs: dict[str, ProcessedDoc] = {}
    chunking = report.stage("chunking", len(to_chunk), "doc")
    for source, raw, content_hash, had_old in to_chunk:
        if count_tokens is None:
            count_tokens = embedder.count_tokens if embedder else token_counter(settings.model)
        docs[source.doc_id] = process(source.doc_id, source.name, raw, source.entry, count_tokens, settings, content_hash)
        if had_old:
            summary.changed += 1
        else:
            summary.new += 1
        chunking.advance()
    chunking.close()
    return docs


def _up_to_date(previous: PreviousBuild, docs: dict[str, ProcessedDoc], summary: BuildSummary, model_id: str,
                settings: Settings) -> bool:
    """Nothing new, changed or removed, and the same model and BM25 settings: the current build stands."""
    return (previous.manifest is not None and not docs and not summary.removed
            and previous.manifest["model"]["id"] == model_id
            and previous.manifest["settings"].get("lexical") == settings.lexical())


def stderr_progress(quiet: bool) -> Reporter:
    """Per-stage bars on stderr, or nothing for scripts (`--quiet`, `--json`)."""
    return Silent() if quiet else Bars(sys.stderr)
