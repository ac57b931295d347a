"""Cold start: wall time of fresh `quarry` processes (help, first search result, first served answer)."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _cli() -> list[str]:
    return [sys.executable, "-m", "cli"]


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return {**env, **(extra or {})}


def help_seconds(repeat: int = 3) -> float:
    """Median wall time of `quarry --help`."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([*_cli(), "--help"], cwd=ROOT, env=_env(), capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def search_seconds(index: Path, query: str, mode: str, extra_env: dict[str, str] | None = None) -> float:
    """Wall time from starting `quarry search --json` to its first result line."""
    t = time.perf_counter()
    proc = subprocess.Popen([*_cli(), "search", query, "--index", str(index), "--mode", mode, "--json", "-k", "5"],
                            cwd=ROOT, env=_env(extra_env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline() if proc.stdout else ""
    elapsed = time.perf_counter() - t
    _, err = proc.communicate(timeout=300)
    if not first:
        raise RuntimeError(f"quarry search gave no result: {err.strip()[-300:]}")
    return elapsed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_seconds(index: Path, query: str, timeout: float = 300, extra_env: dict[str, str] | None = None) -> float:
    """Wall time from starting `quarry serve` until GET /api/search answers 200."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api/search?" + urllib.parse.urlencode({"q": query, "k": 5})
    t = time.perf_counter()
    proc = subprocess.Popen([*_cli(), "serve", "--index", str(index), "--port", str(port)], cwd=ROOT, env=_env(extra_env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while time.perf_counter() - t < timeout:
            if proc.poll() is not None:
                raise RuntimeError(f"quarry serve exited: {(proc.stderr.read() if proc.stderr else '')[-300:]}")
            try:
                with urllib.request.urlopen(url, timeout=30) as r:
                    if r.status == 200:
                        return time.perf_counter() - t
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError("quarry serve did not answer in time")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
