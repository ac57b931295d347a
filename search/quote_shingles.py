"""A phrase index for quote checking: word 3-grams of every section -> the sections that hold them.

Built lazily from the loaded documents (no file on disk): one sorted int64 array of shingle hashes beside
an int32 array of section numbers, searched with numpy. Rare shared phrases find a quoted sentence's
section even when its words are common ones that BM25 ranks below many similar passages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from search import quote_text as qt

SIZE = 3  # words per shingle


def shingle_hashes(keys: list[str]) -> list[int]:
    """Hashes of each run of SIZE consecutive word keys (punctuation skipped); one for a shorter claim."""
    words = [k for k in keys if qt.is_word(k)]
    if len(words) < SIZE:
        return [hash(tuple(words))] if words else []
    return [hash(tuple(words[i:i + SIZE])) for i in range(len(words) - SIZE + 1)]


@dataclass(frozen=True)
class ShingleIndex:
    """Sorted shingle hashes, the section each came from, and the sections as (doc_id, start, end)."""

    hashes: np.ndarray
    section: np.ndarray
    sections: tuple[tuple[str, int, int], ...]

    @classmethod
    def build(cls, docs: dict[str, tuple[str, list[tuple[int, int]]]]) -> "ShingleIndex":
        """From {doc_id: (text, [(section start, end), ...])}."""
        hashes: list[int] = []
        owner: list[int] = []
        sections: list[tuple[str, int, int]] = []
        for doc_id, (text, spans) in docs.items():
            for start, end in spans:
                h = set(shingle_hashes(qt.keys(text[start:end])))
                hashes.extend(h)
                owner.extend([len(sections)] * len(h))
                sections.append((doc_id, start, end))
        hs = np.asarray(hashes, dtype=np.int64)
        order = np.argsort(hs, kind="stable")
        return cls(hs[order], np.asarray(owner, dtype=np.int32)[order], tuple(sections))

    def lookup(self, parts: list[list[str]], n: int, allowed: set[str] | None = None) -> list[tuple[str, int, int]]:
        """The n sections sharing most shingles with a claim's parts (keys per elided part), each shingle
        weighted by its inverse section frequency, so a rare shared phrase outweighs boilerplate."""
        wanted = np.unique(np.asarray([h for keys in parts for h in shingle_hashes(keys)], dtype=np.int64))
        if not len(wanted) or not len(self.hashes):
            return []
        lo = np.searchsorted(self.hashes, wanted, side="left")
        hi = np.searchsorted(self.hashes, wanted, side="right")
        counts = hi - lo
        present = counts > 0
        if not present.any():
            return []
        owners = np.concatenate([self.section[a:b] for a, b in zip(lo[present], hi[present])])
        weights = np.repeat(np.log1p(len(self.sections) / counts[present]), counts[present])
        votes = np.bincount(owners, weights=weights, minlength=len(self.sections))
        if allowed is not None:
            votes[[i for i, s in enumerate(self.sections) if s[0] not in allowed]] = 0
        top = np.argsort(-votes, kind="stable")[:n]
        return [self.sections[i] for i in top if votes[i] > 0]
