"""eval/serving.py against a real child process: a plain http.server answers, an exiting process does not."""

import subprocess
import sys
import time

from eval.serving import free_port, stop, wait_until_answers


def test_waits_for_a_server_to_answer_then_stops_it(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until_answers(proc, f"http://127.0.0.1:{port}/", timeout=60, request_timeout=5)
    finally:
        stop(proc, grace=10)
    assert proc.poll() is not None


def test_a_process_that_exits_never_answers():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    clock = time.monotonic()
    assert not wait_until_answers(proc, f"http://127.0.0.1:{free_port()}/", timeout=60, request_timeout=1)
    assert time.monotonic() - clock < 30  # it gives up when the process exits, not at the timeout


def test_nothing_listening_times_out():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert not wait_until_answers(proc, f"http://127.0.0.1:{free_port()}/", timeout=0.3, request_timeout=1, interval=0.05)
        assert proc.poll() is None
    finally:
        stop(proc, grace=5)
