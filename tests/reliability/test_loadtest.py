import http.server
import threading

import pytest

from eval import loadtest


def test_summary_arithmetic():
    r = loadtest.summarise([0.1, 0.2, 0.3, 0.4], errors=1, clients=2, seconds=2.0)
    assert r.requests == 5 and r.errors == 1 and r.throughput_rps == 2.0
    assert r.p50_ms == pytest.approx(250.0)


def test_refuses_non_loopback_hosts():
    with pytest.raises(SystemExit, match="not a loopback"):
        loadtest.check_loopback("http://10.0.0.5:7860")
    loadtest.check_loopback("http://127.0.0.1:7860")


def test_counts_errors_and_successes_against_a_local_server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            ok = "MARAC" not in self.path
            self.send_response(200 if ok else 500)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = loadtest.run(f"http://127.0.0.1:{server.server_address[1]}", clients=4, seconds=1.0)
    finally:
        server.shutdown()
    assert result.requests > 0 and 0 < result.errors < result.requests  # one query in eight fails
