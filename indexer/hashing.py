"""One content hash for the indexer: doc-id suffixes, source fingerprints and the embed hash of a passage."""

from __future__ import annotations

import hashlib


def parts_hash(*parts: str) -> str:
    """sha256 over the parts, each NUL-terminated (so ("ab", "c") and ("a", "bc") differ)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()
