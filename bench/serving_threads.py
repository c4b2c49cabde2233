"""One-row predict latency through `driftloop serve` with and without the native thread limit.

A HistGradientBoosting classifier (native scikit-learn, no ONNX form) is deployed in a
temporary workspace and served by a real `driftloop serve` process, once per
``--predict-threads`` value (1: the default limit; 0: the libraries' default, a thread
per core); one client then sends one-row predicts on one kept-alive connection, one at
a time, and the latencies are printed. The peer is the server itself, unlimited.
``--busy N`` keeps N other processes spinning meanwhile (a machine shared with other
jobs, where the effect shows: idle OpenMP threads spin-wait for busy cores).

    python bench/serving_threads.py --requests 300 --rounds 3 --busy 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

BODY = {"records": [{f"x{i}": 0.1 * i for i in range(8)}]}
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _workspace(home: Path) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    import driftloop as dl

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(20_000, 8)), columns=[f"x{i}" for i in range(8)])
    label = (frame["x0"] + frame["x1"] * frame["x2"] > 0).astype(int)
    with dl.Workspace(home) as ws:
        run_id = ws.tracking.create_run("bench")
        model = HistGradientBoostingClassifier(max_iter=100).fit(frame, label)
        ws.registry.log_model(
            run_id, model, "hgb", register=True, input_example=frame.head(5), onnx=False
        )
        ws.tracking.end_run(run_id)
        ws.serving.deploy("hgb", "hgb@1")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _measure(home: Path, threads: int, requests: int) -> dict[str, float]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in _THREAD_VARIABLES}
    env["DRIFTLOOP_HOME"] = str(home)
    cli = Path(sys.executable).parent / "driftloop"
    command = [str(cli), "serve", "--port", str(port), "--predict-threads", str(threads)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            deadline = time.monotonic() + 240
            while True:
                try:
                    if client.get("/v2/health/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("driftloop serve did not come up")
                time.sleep(0.1)
            for _ in range(20):  # warm up: first calls load code paths
                client.post("/v1/endpoints/hgb/predict", json=BODY).raise_for_status()
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                client.post("/v1/endpoints/hgb/predict", json=BODY).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
            omp = [
                line
                for line in client.get("/metrics").text.splitlines()
                if line.startswith('driftloop_native_threads{api="openmp"}')
            ]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    times.sort()
    return {
        "openmp_threads": float(omp[0].rsplit(" ", 1)[1]) if omp else float("nan"),
        "mean_ms": statistics.fmean(times),
        "p50_ms": times[len(times) // 2],
        "p90_ms": times[int(len(times) * 0.9)],
        "p99_ms": times[int(len(times) * 0.99)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--busy", type=int, default=0, help="spinning processes meanwhile")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="driftloop-bench-threads-"))
    spin = [sys.executable, "-c", "while True: pass"]
    busy = [subprocess.Popen(spin) for _ in range(args.busy)]
    try:
        _workspace(home)
        results: dict[str, list[dict[str, float]]] = {"1": [], "0": []}
        for _ in range(args.rounds):  # interleaved, so both see the same machine load
            for threads in results:
                results[threads].append(_measure(home, int(threads), args.requests))
    finally:
        for process in busy:
            process.kill()
            process.wait()
        shutil.rmtree(home, ignore_errors=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"{'--predict-threads':>17} {'omp':>4} {'mean ms':>8} {'p50 ms':>7} {'p90':>7} {'p99':>7}"
    )
    for threads, rounds in results.items():
        for r in rounds:
            print(
                f"{threads:>17} {r['openmp_threads']:>4.0f} {r['mean_ms']:>8.2f} "
                f"{r['p50_ms']:>7.2f} {r['p90_ms']:>7.2f} {r['p99_ms']:>7.2f}"
            )


if __name__ == "__main__":
    main()
