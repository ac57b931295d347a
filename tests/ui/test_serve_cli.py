"""`quarry serve` at the command line: bad flags are one line, a busy port is named, 0.0.0.0 warns."""

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ui.browser import free_port

ROOT = Path(__file__).resolve().parents[2]
QUARRY = [sys.executable, "-m", "cli"]


def quarry(*args, **kw):
    return subprocess.run([*QUARRY, *args], capture_output=True, text=True, timeout=120, cwd=ROOT, **kw)


def test_help_lists_serve_and_its_flags():
    out = quarry("serve", "--help")
    assert out.returncode == 0
    for flag in ("--host", "--port", "--index", "--auth USER:PASS"):
        assert flag in out.stdout


@pytest.mark.parametrize("args,needle", [
    (("--auth", "nopassword"), "auth must look like USER:PASS"),
    (("--auth", ":x"), "auth must look like USER:PASS"),
    (("--port", "70000"), "port must be between 1 and 65535"),
    (("--port", "http"), "not a valid int"),
])
def test_bad_flags_are_one_line_exit_2(args, needle):
    out = quarry("serve", *args)
    assert out.returncode == 2 and needle in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_busy_port_and_missing_index_are_one_line(tmp_path, hash_index):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = quarry("serve", "--index", hash_index.index, "--port", str(port))
    assert out.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in out.stderr and "--port" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    out = quarry("serve", "--index", str(tmp_path / "none"), "--port", str(free_port()))
    assert out.returncode == 1 and "quarry index" in out.stderr and "Traceback" not in out.stderr


def test_all_interfaces_without_auth_warns_and_serves(hash_index):
    port = free_port()
    proc = subprocess.Popen([*QUARRY, "serve", "--index", hash_index.index, "--host", "0.0.0.0", "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            if "serving" in line:
                break
        text = "".join(lines)
        assert "warning: listening on every network interface (0.0.0.0) without --auth" in text
        assert f"serving http://127.0.0.1:{port}" in text
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=10) as r:
            assert r.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)
