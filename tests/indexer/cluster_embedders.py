"""Fake embedders that run on Dask workers in tests (importable there, so they pickle by reference).

They count their calls in a file (workers are separate processes) and can kill the worker process
they run in with SIGKILL, as an out-of-memory kill or a lost machine would."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from quarry.embedders import HashEmbedder


def _count(folder: Path) -> int:
    """Add one call to the shared counter; the number of calls so far, this one included."""
    fd = os.open(folder / "calls", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, b".")
        return os.fstat(fd).st_size
    finally:
        os.close(fd)


def calls(folder: Path) -> int:
    path = folder / "calls"
    return path.stat().st_size if path.exists() else 0


class KillsItsWorkerOnce(HashEmbedder):
    """Embeds like HashEmbedder, a little slowly; the `kill_at`-th call overall kills its own worker process."""

    def __init__(self, folder: Path, kill_at: int = 3, pause: float = 0.3):
        super().__init__()
        self.folder, self.kill_at, self.pause = Path(folder), kill_at, pause

    def embed(self, texts):
        if _count(self.folder) == self.kill_at:
            (self.folder / "killed").write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(self.pause)
        return super().embed(texts)


class KillsEveryWorker(HashEmbedder):
    """Every call kills the worker it runs on: no batch can ever finish."""

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = Path(folder)

    def embed(self, texts):
        _count(self.folder)
        os.kill(os.getpid(), signal.SIGKILL)
