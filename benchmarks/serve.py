"""``xlcheck serve`` under load: requests/s for ``POST /api/check`` with the sample, 1 and 8 clients,
beside the in-process check and a fresh ``xlcheck check --no-annotate`` process, all in one run:

    POST /api/check throughput with 8 clients  >= 100 checks/s
    the server's own overhead per request (1 client: latency - in-process check)  <= 2 x the check

The absolute rate depends on how busy the machine is; the ratios (overhead against the check, 8
clients against one in-process loop of checks) are measured in the same run and say more.

Run: python benchmarks/serve.py [--seconds S] [--requests N] [--workers N]

The server is the real command, ``python -m xlcheck serve``, on a loopback port; each client is a
thread with one keep-alive connection (stdlib ``http.client``) sending the same multipart body. Every
level is bounded: at most ``--requests`` requests or ``--seconds`` seconds, whichever comes first.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "xiaolou-2020.xlsx"
BOUNDARY = "xlcheck-benchmark-boundary"
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def multipart(name: str, data: bytes) -> bytes:
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n").encode()
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(port: int, workers: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "xlcheck", "serve", "--port", str(port), "--workers",
                                str(workers), "--queue", "64"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=_ENV)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise SystemExit("xlcheck serve did not start (is the serve extra installed?)")


def load(port: int, body: bytes, clients: int, requests: int, seconds: float) -> tuple[float, float, int]:
    """(requests/s, median latency in ms, requests done) with ``clients`` concurrent clients."""
    latencies: list[float] = []
    lock = threading.Lock()
    left = [requests]
    deadline = time.monotonic() + seconds
    failures: list[str] = []
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while time.monotonic() < deadline:
                with lock:
                    if left[0] <= 0:
                        return
                    left[0] -= 1
                start = time.perf_counter()
                conn.request("POST", "/api/check", body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                elapsed = time.perf_counter() - start
                if response.status != 200 or len(json.loads(payload)["reports"][0]["findings"]) < 4:
                    failures.append(f"HTTP {response.status}")
                with lock:
                    latencies.append(elapsed)
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return len(latencies) / wall, statistics.median(latencies) * 1000, len(latencies)


def in_process_ms(runs: int) -> float:
    import xlcheck

    xlcheck.check(SAMPLE)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        xlcheck.check(SAMPLE)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def fresh_process_ms(runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "xlcheck", "check", "--no-annotate", str(SAMPLE)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_ENV)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="longest time per load level (default 10)")
    parser.add_argument("--requests", type=int, default=1000, help="most requests per load level (default 1000)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="the server's worker processes (default: all cores)")
    args = parser.parse_args()
    body = multipart(SAMPLE.name, SAMPLE.read_bytes())
    port = free_port()
    server = start_server(port, args.workers)
    try:
        load(port, body, 2, 20, 10)  # warm up: workers compiled, connections made
        check_before = in_process_ms(200)
        one_rate, one_ms, one_n = load(port, body, 1, args.requests, args.seconds)
        eight_rate, eight_ms, eight_n = load(port, body, 8, args.requests, args.seconds)
        check_after = in_process_ms(200)
    finally:
        server.terminate()
        server.wait(30)
    fresh = fresh_process_ms(5)
    check = (check_before + check_after) / 2
    overhead = one_ms - check
    print(f"machine: {os.cpu_count()} cores; server: {args.workers} worker processes; sample {SAMPLE.name}")
    print(f"in-process xlcheck.check:           {check:7.2f} ms  (median; {check_before:.2f} before, "
          f"{check_after:.2f} after the load)")
    print(f"fresh `xlcheck check --no-annotate`: {fresh:7.1f} ms  (median of 5)")
    print(f"POST /api/check, 1 client:          {one_rate:7.1f} requests/s, median latency {one_ms:.2f} ms "
          f"({one_n} requests)")
    print(f"POST /api/check, 8 clients:         {eight_rate:7.1f} requests/s, median latency {eight_ms:.2f} ms "
          f"({eight_n} requests)")
    print(f"server overhead per request (1 client): {overhead:.2f} ms = {overhead / check:.2f} x the in-process "
          f"check; a request costs {one_ms / check:.2f} x the check, {fresh / one_ms:.1f} x less than a fresh process")
    print(f"8 clients against one in-process loop of checks ({1000 / check:.1f} checks/s): "
          f"{eight_rate / (1000 / check):.2f} x")
    ok_rate, ok_overhead = eight_rate >= 100, overhead <= 2 * check
    print(f"target >= 100 checks/s with 8 clients: {'met' if ok_rate else 'NOT met'}")
    print(f"target overhead <= 2 x the in-process check: {'met' if ok_overhead else 'NOT met'}")
    return 0 if ok_rate and ok_overhead else 1


if __name__ == "__main__":
    sys.exit(main())
