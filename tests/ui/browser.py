"""Helpers for the real-browser tests: Debian's chromium driven by Playwright, and a `quarry serve` subprocess."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from eval.serving import free_port, stop, wait_until_answers
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
# Flags measured to work here (see FACTS.md): no sandbox as root, no GPU, nothing phoning home.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def unavailable(reason: str) -> None:
    """In CI a missing browser is a failure (the test must run there); on a laptop, a clear skip."""
    require(False, f"browser test: {reason} (install with `apt-get install -y chromium` and `pip install playwright`)")


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None and Path("/usr/bin/chromium").exists():
        path = "/usr/bin/chromium"
    if path is None:
        unavailable("no chromium on PATH")
    return path


@contextlib.contextmanager
def quarry_serve(index: str, *extra: str, timeout: float = 240) -> Iterator[str]:
    """Run `quarry serve` on a free port; yield its base URL once /api/health answers; stop it after."""
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    log = open(Path(index).parent / f"serve-{port}.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--index", index, "--port", str(port), *extra],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_answers(proc, base + "/api/health", timeout, request_timeout=2, interval=0.5):
            log.seek(0)
            if proc.poll() is not None:
                pytest.fail(f"quarry serve exited with {proc.returncode}:\n{log.read()}")
            pytest.fail(f"quarry serve did not answer within {timeout:.0f} s:\n{log.read()}")
        yield base
    finally:
        stop(proc)
        log.close()


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A headless Debian chromium under Playwright (never `playwright install`: its download fails here)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed")
    path = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
