"""What to index: files found under the given paths (or text in memory) as `Source`s with stable doc ids."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from indexer import metadata, readers
from indexer.hashing import parts_hash
from quarry.errors import QuarryError


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
        return parts_hash(hashlib.sha256(data).hexdigest(), json.dumps(self.entry, sort_keys=True), readers.TEXT_VERSION)

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
            doc_id = f"{doc_id}-{parts_hash(rel)[:6]}"
        seen.add(doc_id)
        sources.append(Source(doc_id, str(file), catalogues[root].get(rel), path=file))
    return sources, skipped
