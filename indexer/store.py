"""Write a build folder of plain files, then make it current with an atomic symlink swap."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from quarry import index_format as fmt
from quarry import index_tables
from quarry.errors import IndexCorrupt, QuarryError


@contextmanager
def build_lock(index: Path) -> Iterator[None]:
    """One `quarry index` at a time per index directory."""
    index.mkdir(parents=True, exist_ok=True)
    with open(index / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise QuarryError(f"another `quarry index` is writing {index}; wait for it to finish") from None
        yield


def new_build_dir(index: Path) -> Path:
    builds = index / fmt.BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    for stale in builds.glob("*.tmp"):  # left by a killed build
        shutil.rmtree(stale, ignore_errors=True)
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f".{int(now * 1e6) % 1_000_000:06d}"
    folder = builds / f"{stamp}-{os.getpid()}.tmp"
    folder.mkdir()
    return folder


def write_tables(folder: Path, records: list[dict[str, Any]], chunk_rows: list[dict[str, Any]]) -> None:
    """The document and chunk tables (quarry/index_tables.py) of a build."""
    index_tables.write_tables(folder, records, chunk_rows)


def save_array(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as f:
        np.save(f, array, allow_pickle=False)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def finish(index: Path, folder: Path, manifest: dict[str, Any]) -> Path:
    """Hash the files into the manifest, fsync, verify the whole build (every file re-hashed, every table row
    read), rename the build into place, swap `current`."""
    from quarry.index_check import verify_build

    files = {}
    for path in sorted(folder.iterdir()):
        if path.name == fmt.MANIFEST:
            continue
        with path.open("rb") as f:
            os.fsync(f.fileno())
        files[path.name] = {"bytes": path.stat().st_size, "xxh3_64": fmt.file_hash(path)}
    manifest["files"] = files
    with (folder / fmt.MANIFEST).open("w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    try:
        verify_build(folder)
    except IndexCorrupt as e:
        raise QuarryError(f"the new build failed its own check ({e}); the previous index is unchanged") from None
    final = folder.with_name(folder.name.removesuffix(".tmp"))
    folder.rename(final)
    _fsync_dir(final.parent)
    link_tmp = index / f"{fmt.CURRENT}.tmp"
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    os.symlink(Path(fmt.BUILDS) / final.name, link_tmp)
    os.replace(link_tmp, index / fmt.CURRENT)
    _fsync_dir(index)
    prune(index, keep=final)
    return final


def prune(index: Path, keep: Path, previous: int = 1) -> None:
    """Remove old builds, keeping the current one and the newest `previous` others."""
    builds = sorted((p for p in (index / fmt.BUILDS).iterdir() if p.is_dir() and not p.name.endswith(".tmp") and p != keep),
                    key=lambda p: p.name, reverse=True)
    for old in builds[previous:]:
        shutil.rmtree(old, ignore_errors=True)
