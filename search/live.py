"""Serve an index that may be rebuilt underneath: readers keep the build they opened until a new
build is complete (its `current` symlink swapped), then switch at their next query."""

from __future__ import annotations

import threading
from pathlib import Path

from quarry import index_format as fmt
from quarry.embedders import Embedder, query_compatible
from quarry.settings import Settings
from search.api import Searcher, open_index


class LiveIndex:
    """Hands out the Searcher of the current build; reopens when `quarry index` swaps in a new one."""

    def __init__(self, path: str | Path, settings: Settings, embedder: Embedder | None = None):
        self.path = Path(path)
        self.settings = settings
        self._lock = threading.Lock()
        self._searcher = open_index(self.path, settings, embedder)
        self._folder = self._searcher.index.folder

    def current(self) -> Searcher:
        """The searcher for the newest complete build (the embedder is kept across builds)."""
        try:
            folder = fmt.build_dir(self.path)
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
