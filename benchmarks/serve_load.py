"""Load test of ``skemo serve``: latency, throughput and exact answers under concurrent clients.

Starts ``skemo serve MODEL`` on a free loopback port (default: the bundled
``goemotions`` model), then ``--clients`` threads, each on its own keep-alive
connection, send ``POST /predict`` requests of ``--texts-per-request`` texts
drawn in turn from the GoEmotions sample bundled with skemo, until
``--requests`` have been sent or ``--time-limit`` seconds have passed. Every
answer is compared with the offline answer for the same texts -- the record
``skemo predict`` writes for each text, computed here beforehand on each
distinct text alone. The labels must be identical; a probability or score,
rounded to 4 decimals in the answer, may differ from the offline one by one
unit of its last digit: in float32 a text's probabilities in a batch differ
from those of the text alone by float rounding (below 1e-6), which moves the
4th decimal where the value lies next to a rounding boundary. Answers that
differ only so are counted apart (``last_digit_differences``); any other
difference is a mismatch. Finally the server gets SIGTERM and must exit with
status 0.

Reports p50/p99 latency, throughput, errors (a status other than 200, or a
failed connection) and mismatches, and appends a record to
``benchmarks/results/serve_load.jsonl`` (``--no-record`` for a smoke run).
The client threads run on the same machine as the server and share its
cores.

Usage::

    python benchmarks/serve_load.py                          # 20,000 requests, 16 clients
    python benchmarks/serve_load.py --requests 300 --no-record   # smoke test
    python benchmarks/serve_load.py --model path/to/saved --max-wait-ms 2
"""

import argparse
import http.client
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from _records import append

from skemo.cli import load_model
from skemo.datasets import load_goemotions_sample
from skemo.persistence import resolved_precision

ROOT = Path(__file__).resolve().parent.parent


def offline_answers(est, texts):
    """The ``skemo predict`` record of each text, each scored alone."""
    return {text: est._prediction_records([text], est.predict_proba([text]))[0]
            for text in texts}


def same_answer(answer, expected, tolerance=1.01e-4):
    """Whether two ``/predict`` answers agree: labels exactly, numbers to ``tolerance``."""
    if isinstance(expected, dict):
        return (isinstance(answer, dict) and answer.keys() == expected.keys()
                and all(same_answer(answer[k], expected[k], tolerance) for k in expected))
    if isinstance(expected, list):
        return (isinstance(answer, list) and len(answer) == len(expected)
                and all(same_answer(a, e, tolerance) for a, e in zip(answer, expected)))
    if isinstance(expected, float) and isinstance(answer, (int, float)):
        return abs(answer - expected) <= tolerance
    return answer == expected


def start_server(model, options, log):
    """``skemo serve MODEL --port 0 -q OPTIONS`` in a subprocess; ``(process, port)`` once ready."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")])}
    with open(log, "wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "skemo.cli", "serve", model,
                                    "--port", "0", "-q", *options],
                                   stdout=subprocess.DEVNULL, stderr=stderr, env=env)
    port, deadline = None, time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited ({process.returncode}):\n{log.read_text()}")
        found = re.search(r"serving .* on http://127\.0\.0\.1:(\d+)", log.read_text())
        port = port or (found and int(found.group(1)))
        if port:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    return process, port
            except OSError:
                pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the server did not get ready:\n{log.read_text()}")


def server_memory_mb(pid):
    """The resident memory of process ``pid`` in MiB (Linux), or None."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    return found and round(int(found.group(1)) / 1024)


def run_clients(port, payloads, expected, n_requests, n_clients, time_limit):
    """Send ``n_requests`` requests from ``n_clients`` threads; latencies, errors, mismatches."""
    counter, lock = itertools.count(), threading.Lock()
    latencies, errors, mismatches, last_digit = [], [], [], []
    deadline = time.monotonic() + time_limit

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while time.monotonic() < deadline:
            with lock:
                i = next(counter)
            if i >= n_requests:
                break
            body = payloads[i % len(payloads)]
            start = time.perf_counter()
            try:
                connection.request("POST", "/predict", body=body,
                                   headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException) as error:
                errors.append(repr(error))
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                continue
            latencies.append(time.perf_counter() - start)
            if response.status != 200:
                errors.append(f"{response.status}: {answer[:200]!r}")
            elif (parsed := json.loads(answer)) != expected[i % len(payloads)]:
                (last_digit if same_answer(parsed, expected[i % len(payloads)])
                 else mismatches).append(i)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(n_clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, latencies, errors, mismatches, last_digit


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="goemotions",
                        help="what skemo serve takes: a saved directory or a bundled model "
                             "(default: goemotions)")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--texts-per-request", type=int, default=1)
    parser.add_argument("--distinct-texts", type=int, default=400,
                        help="distinct texts sent, from the bundled GoEmotions sample")
    parser.add_argument("--time-limit", type=float, default=1800,
                        help="stop sending after this many seconds (default: 1800)")
    parser.add_argument("--max-batch-size", type=int, default=32)
    parser.add_argument("--max-wait-ms", type=float, default=5.0)
    parser.add_argument("--max-queue", type=int, default=1024)
    parser.add_argument("--threads", type=int,
                        help="the server's torch threads (default: torch's)")
    parser.add_argument("--shared-cores", action="store_true",
                        help="mark the record: other work shared the cores")
    parser.add_argument("--no-record", action="store_true",
                        help="print the record without appending it (smoke runs)")
    args = parser.parse_args()

    sample = load_goemotions_sample()
    texts = list(dict.fromkeys(sample.data))[:args.distinct_texts]
    k = args.texts_per_request
    groups = [texts[i:i + k] for i in range(0, len(texts) - k + 1, k)]
    est = load_model(args.model)
    start = time.perf_counter()
    answers = offline_answers(est, texts)
    offline_s = time.perf_counter() - start
    precision = resolved_precision(est.precision, est.device_)
    payloads = [json.dumps({"texts": group}).encode() for group in groups]
    expected = [{"predictions": [answers[text] for text in group]} for group in groups]
    del est

    options = ["--max-batch-size", str(args.max_batch_size), "--max-wait-ms",
               str(args.max_wait_ms), "--max-queue", str(args.max_queue),
               "--max-texts", str(max(k, 128))]
    if args.threads:
        options += ["--threads", str(args.threads)]
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        process, port = start_server(args.model, options, log)
        try:
            wall, latencies, errors, mismatches, last_digit = run_clients(
                port, payloads, expected, args.requests, args.clients, args.time_limit)
            rss_mb = server_memory_mb(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                exit_status = process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                exit_status = "killed after 120 s"
        server_log = log.read_text()

    done = len(latencies)
    ms = np.array(latencies) * 1000
    record = {
        "benchmark": "serve_load", "model": args.model, "clients": args.clients,
        "precision": precision,
        "requests": args.requests, "requests_answered": done,
        "texts_per_request": k, "distinct_texts": len(texts),
        "server": {"max_batch_size": args.max_batch_size, "max_wait_ms": args.max_wait_ms,
                   "max_queue": args.max_queue, "threads": args.threads},
        "metrics": {
            "p50_ms": round(float(np.percentile(ms, 50)), 2) if done else None,
            "p99_ms": round(float(np.percentile(ms, 99)), 2) if done else None,
            "mean_ms": round(float(ms.mean()), 2) if done else None,
            "requests_per_s": round(done / wall, 1),
            "texts_per_s": round(done * k / wall, 1),
            "errors": len(errors), "mismatches": len(mismatches),
            "last_digit_differences": len(last_digit),
            "wall_s": round(wall, 1), "offline_s_per_text": round(offline_s / len(texts), 4),
            "exit_status": exit_status, "server_rss_mb": rss_mb,
        },
    }
    for error in errors[:5]:
        print("error:", error, file=sys.stderr)
    if "Traceback" in server_log:
        print(server_log, file=sys.stderr)
    if args.no_record:
        print(json.dumps(record, indent=2))
    else:
        print(json.dumps(append("serve_load", record, shared_cores=args.shared_cores), indent=2))
    failed = errors or mismatches or exit_status != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
