"""A `quarry serve` child process seen from outside, as a benchmark or a test sees it: a free port to start it
on, waiting until it answers, and stopping it (used by eval/bench/coldstart.py and tests/ui/browser.py)."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_answers(proc: subprocess.Popen, url: str, timeout: float, request_timeout: float = 30.0,
                       interval: float = 0.1) -> bool:
    """Poll GET `url` until it answers 200 (True); False when `proc` exits first or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=request_timeout) as r:
                if r.status == 200:
                    return True
        except OSError:  # not listening yet, or an error answer (HTTPError is an OSError too)
            pass
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def stop(proc: subprocess.Popen, grace: float = 20) -> None:
    """Ask the process to end; kill it if it has not within `grace` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
