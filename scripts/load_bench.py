#!/usr/bin/env python3
"""Load benchmark of faceharvest-server: a harvest job alone, then the same job while 200
concurrent clients keep sending status and list requests (GET /jobs/{id}, GET /jobs), each
once per --interval seconds like a polling web UI (the clients run on the same machine).
Prints request latency p50/p99 and the job's slowdown (target: throughput drop < 10%).

    scripts/load_bench.py --server .build/release/faceharvest-server --data-root DIR --ep-id EP
"""
import argparse
import concurrent.futures
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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(base, path, method="GET", body=None, accept=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if accept:
        req.add_header("Accept", accept)
    with urllib.request.urlopen(req, timeout=120) as response:
        return response.status, response.read()


def cpu_seconds(pid):
    """User + system CPU seconds of a process (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_job(base, ep_id, options):
    """Runs a harvest job with an SSE stream; returns wall seconds and the job id."""
    start = time.perf_counter()
    _, body = request(base, "/jobs/faces_embed", "POST", {"ep_id": ep_id, **options}, "text/event-stream")
    wall = time.perf_counter() - start
    events = [b for b in body.decode().split("\n\n") if b.strip()]
    last = events[-1]
    if "event: done" not in last:
        raise SystemExit(f"job did not finish: {last}")
    return wall


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", required=True)
    p.add_argument("--data-root", required=True)
    p.add_argument("--ep-id", required=True)
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--client-nice", type=int, default=19,
                   help="niceness of the load clients (19: the server's cost is measured, not the clients')")
    p.add_argument("--interval", type=float, default=0.5,
                   help="seconds between one client's requests, as a polling UI (0: as fast as possible)")
    args = p.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([args.server, "--port", str(port), "--data-root", args.data_root],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # The clients share the machine with the server: they run at the lowest priority, so what is
    # measured is the server's cost of answering, not the clients' cost of asking.
    os.nice(args.client_nice)
    try:
        for _ in range(100):
            try:
                request(base, "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        options = {"sample_interval": 6}
        run_job(base, args.ep_id, options)  # warm-up (model load, file cache)
        cpu0 = cpu_seconds(server.pid)
        alone = [run_job(base, args.ep_id, options) for _ in range(args.runs)]
        cpu_alone = cpu_seconds(server.pid) - cpu0
        client0 = time.process_time()
        cpu0 = cpu_seconds(server.pid)

        loaded, latencies = [], []
        lock = threading.Lock()
        for _ in range(args.runs):
            done = threading.Event()
            result = {}

            def job():
                result["wall"] = run_job(base, args.ep_id, options)
                done.set()

            runner = threading.Thread(target=job)
            runner.start()
            time.sleep(0.05)
            _, listing = request(base, "/jobs")
            job_id = json.loads(listing)["jobs"][0]["job_id"]

            def client(i):
                # One keep-alive connection per client, as a browser polling the API holds.
                path = f"/jobs/{job_id}" if i % 2 == 0 else "/jobs"
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                time.sleep(args.interval * i / args.clients)  # spread the clients out
                while not done.is_set():
                    t0 = time.perf_counter()
                    connection.request("GET", path)
                    response = connection.getresponse()
                    response.read()
                    if response.status != 200:
                        raise SystemExit(f"GET {path}: {response.status}")
                    elapsed = time.perf_counter() - t0
                    with lock:
                        latencies.append(elapsed)
                    done.wait(max(0.0, args.interval - elapsed))
                connection.close()

            with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
                list(pool.map(client, range(args.clients)))
            runner.join()
            loaded.append(result["wall"])
        cpu_loaded = cpu_seconds(server.pid) - cpu0
        client_cpu = time.process_time() - client0
        latencies.sort()
        p50 = latencies[len(latencies) // 2] * 1000
        p99 = latencies[int(len(latencies) * 0.99)] * 1000
        a, b = statistics.median(alone), statistics.median(loaded)
        print(f"  {args.clients} concurrent status/list clients (one request per {args.interval:g} s each, "
              f"nice {args.client_nice}) during a harvest job ({args.ep_id}, sample_interval 6):")
        print(f"  requests served {len(latencies)}, latency p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        print(f"  job alone {a:.2f} s, under load {b:.2f} s: throughput drop {(1 - a / b) * 100:.1f}%   target < 10%")
        per_request = (cpu_loaded - cpu_alone) / max(1, len(latencies)) * 1000
        print(f"  server CPU: {cpu_alone:.1f} s alone, {cpu_loaded:.1f} s under load "
              f"(~{per_request:.2f} ms per request); the clients used {client_cpu:.1f} s of the same "
              f"{os.cpu_count()} cores")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
