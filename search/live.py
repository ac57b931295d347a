"""Serve an index that may be rebuilt underneath: readers keep the build they opened until a new
build is complete (its `current` symlink swapped, or a Milvus sync stamped), then switch at their next query."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from quarry import index_format as fmt
from quarry.embedders import Embedder, query_compatible
from quarry.settings import Settings
from search.api import Searcher, open_index


MILVUS_CHECK_SECONDS = 5.0


class LiveIndex:
    """Hands out the Searcher of the current build; reopens when `quarry index` swaps in a new one."""

    def __init__(self, path: str | Path, settings: Settings, embedder: Embedder | None = None):
        self.path = Path(path)
        self.settings = settings
        self._lock = threading.Lock()
        self._checked = 0.0
        self._searcher = open_index(self.path, settings, embedder)
        self._folder = self._version() if settings.backend == "milvus" else self._searcher.index.folder

    def _version(self):
        """The current build folder (local), or the stamp of the last Milvus sync."""
        if self.settings.backend == "milvus":
            from search.backends import milvus

            return milvus.version(self.settings)
        return fmt.build_dir(self.path)

    def current(self) -> Searcher:
        """The searcher for the newest complete build (the embedder is kept across builds)."""
        if self.settings.backend == "milvus":  # a network round trip: look at most every few seconds
            if time.monotonic() - self._checked < MILVUS_CHECK_SECONDS:
                return self._searcher
            self._checked = time.monotonic()
        try:
            folder = self._version()
        except Exception:  # index removed meanwhile: keep serving what we have
            return self._searcher
        if folder == self._folder:
            return self._searcher
        with self._lock:
            if folder != self._folder:
                old = self._searcher
                embedder = old._embedder
                fresh = open_index(folder, self.settings, embedder)
                if embedder is not None and not query_compatible(fresh.index.model_id, embedder.model_id):
                    fresh = open_index(folder, self.settings)
                self._searcher, self._folder = fresh, folder
        return self._searcher
