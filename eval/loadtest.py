"""Load test for a running `quarry serve`: N concurrent clients on the JSON API for a bounded time.

    python -m eval.loadtest --url http://127.0.0.1:7860 --clients 32 --seconds 30 [--json]

Loopback only: it refuses any other host, so it can never be pointed at someone else's server.
Reports requests/s, latency p50/p95/p99 and errors (non-200 answers and failed connections).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass

import numpy as np

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
QUERIES = (
    "How many children came into care in 2009/10?",
    "foster carer recruitment in Cardiff",
    "Deprivation of Liberty Safeguards backlog",
    "What did CIW say about the community mental health team?",
    "budget overspend in children's services",
    "young carers assessments",
    "MARAC",
    "care leavers in higher education",
)


@dataclass(frozen=True)
class LoadResult:
    clients: int
    seconds: float
    requests: int
    errors: int
    throughput_rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


def summarise(latencies_s: list[float], errors: int, clients: int, seconds: float) -> LoadResult:
    """Throughput and latency percentiles of the successful requests (errors counted apart)."""
    ms = np.asarray(latencies_s, dtype=float) * 1000
    pct = (lambda q: round(float(np.percentile(ms, q)), 1)) if len(ms) else (lambda q: float("nan"))
    return LoadResult(clients, round(seconds, 2), len(ms) + errors, errors,
                      round(len(ms) / seconds, 2) if seconds > 0 else 0.0, pct(50), pct(95), pct(99))


def check_loopback(url: str) -> None:
    host = urllib.parse.urlparse(url).hostname or ""
    if host not in LOOPBACK and not host.startswith("127."):
        raise SystemExit(f"loadtest: error: {host!r} is not a loopback address; this script only loads a local server")


def run(url: str, clients: int, seconds: float, endpoint: str = "search", timeout: float = 30.0) -> LoadResult:
    """Drive `clients` threads against /api/<endpoint> until `seconds` have passed."""
    check_loopback(url)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        i = n
        while time.monotonic() < deadline:
            q = urllib.parse.urlencode({"q": QUERIES[i % len(QUERIES)], "k": 10})
            i += 1
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(f"{url.rstrip('/')}/api/{endpoint}?{q}", timeout=timeout) as r:
                    r.read()
                    ok = r.status == 200
            except (urllib.error.URLError, OSError):
                ok = False
            took = time.perf_counter() - start
            with lock:
                if ok:
                    latencies.append(took)
                else:
                    errors[0] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + timeout + 5)
    return summarise(latencies, errors[0], clients, time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.loadtest", description=__doc__.splitlines()[0])
    p.add_argument("--url", default="http://127.0.0.1:7860")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--endpoint", choices=("search", "ask"), default="search")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.clients < 1 or not 0 < args.seconds <= 600:
        print("loadtest: error: --clients must be >= 1 and --seconds between 0 and 600", file=sys.stderr)
        return 2
    result = run(args.url, args.clients, args.seconds, args.endpoint)
    if args.json:
        print(json.dumps(asdict(result)))
    else:
        print(f"{result.clients} clients, {result.seconds}s: {result.requests} requests, {result.errors} errors, "
              f"{result.throughput_rps} req/s, p50 {result.p50_ms} ms, p95 {result.p95_ms} ms, p99 {result.p99_ms} ms")
    return 0 if result.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
