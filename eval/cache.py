"""Indexes built for evaluation, cached under `eval_cache` and keyed by everything they depend on.

The key hashes each document's content, the model id, the chunking and BM25 settings and the source
of the code that writes an index (indexer/ and the quarry modules it uses), so a cached index is
reused only when a fresh build would be identical. The build itself is `build_from_sources`:
the same indexer `quarry index` runs.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

from indexer.build import Progress, Source, build_from_sources, slug
from indexer.version import code_hash
from quarry.embedders import model_id_for
from quarry.index_tables import document_ids
from quarry.settings import Settings

def cache_key(sources: list[Source], settings: Settings) -> str:
    """Hash of the documents' contents and the settings and code an index depends on."""
    h = hashlib.sha256()
    for source in sorted(sources, key=lambda s: s.doc_id):
        h.update(f"{source.doc_id}\x00{source.fingerprint()}\x00".encode("utf-8", "surrogatepass"))
    h.update(json.dumps({"model": model_id_for(settings.model), "chunking": settings.chunking(),
                         "lexical": settings.lexical(), "ann_threshold": settings.ann_threshold,
                         "code": code_hash()}, sort_keys=True).encode())
    return h.hexdigest()


def _start_from_latest(folder: Path, name: str, doc_ids: set[str]) -> None:
    """Seed a new cache entry with a copy of the newest one of the same name or, failing that, of the
    entry sharing the most documents: the build then re-chunks what changed (the manifest records the
    indexer code) and embeds only passages whose text is new, instead of embedding the whole corpus
    again after every indexer change or under a new set name."""
    entries = [p for p in folder.parent.glob("*-*") if (p / "current" / "manifest.json").exists()]
    same = [p for p in entries if p.name[:-17] == name and len(p.name) == len(name) + 17]
    if same:
        latest = max(same, key=lambda p: (p / "current").stat().st_mtime)
    else:
        def shared(p: Path) -> int:
            try:
                manifest = json.loads((p / "current" / "manifest.json").read_text(encoding="utf-8"))
                held = manifest.get("documents") or document_ids(p / "current")  # schema 1 kept them in the manifest
                return len(doc_ids & set(held))
            except (OSError, ValueError, KeyError, TypeError):
                return 0
        scored = [(shared(p), p) for p in entries]
        best = max(scored, key=lambda t: (t[0], (t[1] / "current").stat().st_mtime), default=(0, None))
        if not best[0]:
            return
        latest = best[1]
    shutil.copytree(latest, folder, symlinks=True, ignore=shutil.ignore_patterns(".lock"))


def cached_index(name: str, sources: list[Source], settings: Settings, progress: Progress | None = None) -> Settings:
    """Build (or reuse) the index of `sources` in the cache; returns settings pointing at it."""
    key = cache_key(sources, settings)[:16]
    # the key alone decides reuse: the same documents evaluated under another name share one index
    existing = sorted(Path(settings.eval_cache).glob(f"*-{key}"))
    folder = existing[0] if existing else Path(settings.eval_cache) / f"{slug(name)}-{key}"
    if not existing:
        _start_from_latest(folder, slug(name), {s.doc_id for s in sources})
    indexed = replace(settings, index=str(folder))
    build_from_sources(sources, indexed, progress=progress)
    if settings.backend == "milvus":  # one collection per cached index, synced from the local build
        from indexer.milvus_sync import sync

        indexed = replace(indexed, milvus_collection=f"{settings.milvus_collection}_{slug(name).replace('-', '_')}_{folder.name[-16:]}")
        sync(folder, indexed, progress)
    return indexed
