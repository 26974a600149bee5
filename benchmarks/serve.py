"""``xlcheck serve`` under load: requests/s for ``POST /api/check`` with the sample, 1 and 8 clients,
beside the in-process check and a fresh ``xlcheck check --no-annotate`` process, all in one run:

    POST /api/check throughput with 8 clients  >= 100 checks/s
    the server's own overhead per request (1 client: latency - in-process check)  <= 2 x the check

The absolute rate depends on how busy the machine is; the ratios (overhead against the check, 8
clients against what the machine's cores could do running the check alone) are measured in the same
run and say more. Where psutil is installed the script also counts CPU time: the server process's
and its workers' per request against the in-process check's, which a shared machine disturbs less
than wall time. The in-process check runs as a server worker runs it, with one BLAS thread.

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
from typing import Any

# as in every server worker (xlcheck.serve.pool): one check is one core's work; set before numpy loads
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

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


def in_process_ms(runs: int) -> tuple[float, float]:
    """(median wall ms, median CPU ms) of ``xlcheck.check`` on the sample in this process."""
    import xlcheck

    xlcheck.check(SAMPLE)
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        xlcheck.check(SAMPLE)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(times) * 1000, statistics.median(cpu) * 1000


class CpuMeter:
    """CPU seconds used by the server process and by its worker processes (psutil), or nothing."""

    def __init__(self, pid: int) -> None:
        try:
            import psutil
        except ImportError:
            self.process: Any = None
        else:
            self.process = psutil.Process(pid)

    def read(self) -> tuple[float, dict[int, float]] | None:
        if self.process is None:
            return None
        own = self.process.cpu_times()
        children = {}
        for child in self.process.children(recursive=True):
            times = child.cpu_times()
            children[child.pid] = times.user + times.system
        return own.user + own.system, children

    @staticmethod
    def per_request(before: tuple[float, dict[int, float]] | None, after: tuple[float, dict[int, float]] | None,
                    requests: int) -> tuple[float, float] | None:
        """(server process ms, workers ms) of CPU per request between two readings."""
        if before is None or after is None or not requests:
            return None
        server = (after[0] - before[0]) / requests * 1000
        workers = sum(t - before[1].get(pid, 0.0) for pid, t in after[1].items()) / requests * 1000
        return server, workers


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
    cores = os.cpu_count() or 1
    body = multipart(SAMPLE.name, SAMPLE.read_bytes())
    port = free_port()
    server = start_server(port, args.workers)
    meter = CpuMeter(server.pid)
    try:
        load(port, body, 2, 20, 10)  # warm up: workers compiled, connections made
        check_before, cpu_before = in_process_ms(200)
        start = meter.read()
        one_rate, one_ms, one_n = load(port, body, 1, args.requests, args.seconds)
        middle = meter.read()
        eight_rate, eight_ms, eight_n = load(port, body, 8, args.requests, args.seconds)
        end = meter.read()
        check_after, cpu_after = in_process_ms(200)
    finally:
        server.terminate()
        server.wait(30)
    fresh = fresh_process_ms(5)
    check = (check_before + check_after) / 2
    check_cpu = (cpu_before + cpu_after) / 2
    overhead = one_ms - check
    ceiling = min(cores, args.workers) * 1000 / check_cpu  # the cores doing nothing but the check
    print(f"machine: {cores} cores, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; "
          f"server: {args.workers} worker processes; sample {SAMPLE.name}")
    print(f"in-process xlcheck.check:           {check:7.2f} ms  (median; {check_before:.2f} before, "
          f"{check_after:.2f} after the load); CPU {check_cpu:.2f} ms")
    print(f"fresh `xlcheck check --no-annotate`: {fresh:7.1f} ms  (median of 5)")
    print(f"POST /api/check, 1 client:          {one_rate:7.1f} requests/s, median latency {one_ms:.2f} ms "
          f"({one_n} requests)")
    print(f"POST /api/check, 8 clients:         {eight_rate:7.1f} requests/s, median latency {eight_ms:.2f} ms "
          f"({eight_n} requests)")
    print(f"server overhead per request (1 client, wall): {overhead:.2f} ms = {overhead / check:.2f} x the "
          f"in-process check; a request costs {one_ms / check:.2f} x the check, {fresh / one_ms:.1f} x less "
          "than a fresh process")
    ok_overhead = overhead <= 2 * check
    for label, cpu in (("1 client", CpuMeter.per_request(start, middle, one_n)),
                       ("8 clients", CpuMeter.per_request(middle, end, eight_n))):
        if cpu is not None:
            own = cpu[0] + cpu[1] - check_cpu
            print(f"CPU per request, {label}: server process {cpu[0]:.2f} ms, workers {cpu[1]:.2f} ms; "
                  f"beyond the check {own:.2f} ms = {own / check_cpu:.2f} x the check's CPU")
    loaded = CpuMeter.per_request(middle, end, eight_n)
    if loaded is not None:  # an estimate, not a measurement: what idle cores would give at this CPU cost
        print(f"estimate for {cores} idle cores at the 8 clients' CPU per request: "
              f"{cores * 1000 / (loaded[0] + loaded[1]):.0f} requests/s")
    print(f"8 clients against the check alone on {min(cores, args.workers)} cores "
          f"({ceiling:.1f} checks/s from its CPU time): {eight_rate / ceiling:.2f} x")
    ok_rate = eight_rate >= 100
    print(f"target >= 100 checks/s with 8 clients: {'met' if ok_rate else 'NOT met'}"
          + ("" if ok_rate or ceiling >= 100 else
             f" (the check alone allows at most {ceiling:.0f}/s on these cores)"))
    print(f"target overhead <= 2 x the in-process check: {'met' if ok_overhead else 'NOT met'}")
    return 0 if ok_rate and ok_overhead else 1


if __name__ == "__main__":
    sys.exit(main())
