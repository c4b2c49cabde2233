"""Serving benchmark: driftloop serve vs a bare Starlette app (the floor) vs mlflow models serve.

One model (a scikit-learn pipeline, StandardScaler + LogisticRegression, on 8 numeric
columns, trained here), three servers on 127.0.0.1, one worker each, the same load
generator (wrk, one thread) and the same JSON body (``{"dataframe_records": [...]}``,
which all three read):

- **driftloop**: ``driftloop serve`` with the model deployed from the registry; the
  signature check and the prediction log are on (as by default); ONNX Runtime runs
  the version's ONNX form.
- **floor**: Starlette + uvicorn calling the same fitted model's ``predict`` on a
  DataFrame made from the records, and nothing else.
- **batched**: the same driftloop server on an endpoint deployed with adaptive
  micro-batching (``max_batch_size=16``, ``max_batch_wait_ms=2``).
- **mlflow**: ``mlflow models serve`` of the same fitted model (``--peer-python``, the
  interpreter that has MLflow; ``--env-manager local``).

Scenarios: single-row requests at concurrency 16 and 1,000-row requests at
concurrency 4, each ``--seconds`` long after a warm-up, run ``--rounds`` times
interleaved (the best round of each server counts, to damp a shared machine's noise).
Requests/s, rows/s and p50/p99 latency are wrk's. Needs ``wrk`` (``apt-get install wrk``).

    .venv/bin/python bench/serving.py --peer-python /work/venvs/peers/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FEATURES = [f"x{i}" for i in range(8)]
FLOOR_APP = """
import os, pickle
import pandas as pd
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

with open(os.path.join(os.path.dirname(__file__), "model.pkl"), "rb") as f:
    MODEL = pickle.load(f)

async def predict(request: Request) -> JSONResponse:
    body = await request.json()
    frame = pd.DataFrame(body["dataframe_records"])
    return JSONResponse({"predictions": MODEL.predict(frame).tolist()})

app = Starlette(routes=[Route("/invocations", predict, methods=["POST"])])
"""
MLFLOW_SAVE = """
import pickle, sys, mlflow.sklearn
with open(sys.argv[1], "rb") as f:
    model = pickle.load(f)
mlflow.sklearn.save_model(model, sys.argv[2])
"""
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "rb")
wrk.body = f:read("*all")
f:close()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_model(folder: Path) -> tuple[Any, Any]:
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(7)
    frame = pd.DataFrame(rng.normal(size=(5000, len(FEATURES))), columns=FEATURES)
    label = (frame["x0"] + frame["x1"] * frame["x2"] > 0).astype(int)
    model = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())])
    model.fit(frame, label)
    import pickle

    (folder / "model.pkl").write_bytes(pickle.dumps(model))
    return model, frame


def make_workspace(folder: Path, model: Any, frame: Any) -> Path:
    import driftloop as dl

    home = folder / "ws"
    ws = dl.init_workspace(home)
    run_id = ws.tracking.create_run("bench")
    logged = ws.registry.log_model(
        run_id,
        model,
        "bench",
        register=True,
        input_example=frame.head(20),
        training_data=frame,
        onnx=True,
    )
    ws.tracking.end_run(run_id)
    assert logged.version is not None and logged.onnx is not None and logged.onnx.file
    ws.serving.deploy("bench", logged.version.ref)
    ws.serving.deploy("batched", logged.version.ref, max_batch_size=16, max_batch_wait_ms=2.0)
    ws.close()
    return home


def wait_up(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def bodies(folder: Path, frame: Any) -> dict[str, Path]:
    found = {}
    for rows in (1, 1000):
        records = frame.sample(rows, random_state=rows).to_dict(orient="records")
        path = folder / f"body-{rows}.json"
        path.write_text(json.dumps({"dataframe_records": records}))
        found[str(rows)] = path
    return found


def run_wrk(url: str, body: Path, connections: int, seconds: int) -> dict[str, float]:
    script = body.with_suffix(".lua")
    script.write_text(WRK_SCRIPT.format(body=body))
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50_ms": _latency(out, "50%"),
        "p99_ms": _latency(out, "99%"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def _latency(out: str, label: str) -> float:
    match = re.search(rf"^\s+{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    assert match, out
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


Spec = tuple[list[str], str, dict[str, str]]  # command, URL to load, environment


def servers(folder: Path, home: Path, peer: str | None) -> dict[str, Spec]:
    env = {**os.environ, "DRIFTLOOP_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
    python = sys.executable
    found: dict[str, Spec] = {}
    port = free_port()
    found["driftloop"] = (
        [str(Path(python).parent / "driftloop"), "serve", "--port", str(port)],
        f"http://127.0.0.1:{port}/v1/endpoints/bench/predict",
        env,
    )
    port = free_port()
    found["batched"] = (  # the same server with adaptive micro-batching on its endpoint
        [str(Path(python).parent / "driftloop"), "serve", "--port", str(port)],
        f"http://127.0.0.1:{port}/v1/endpoints/batched/predict",
        env,
    )
    (folder / "floor.py").write_text(FLOOR_APP)
    port = free_port()
    found["floor"] = (
        [
            python,
            "-m",
            "uvicorn",
            "floor:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--app-dir",
            str(folder),
        ],
        f"http://127.0.0.1:{port}/invocations",
        {**os.environ, "PYTHONPATH": str(folder)},
    )
    if peer:
        mlflow_dir = folder / "mlflow-model"
        (folder / "mlflow_save.py").write_text(MLFLOW_SAVE)
        subprocess.run(
            [peer, str(folder / "mlflow_save.py"), str(folder / "model.pkl"), str(mlflow_dir)],
            check=True,
            capture_output=True,
        )
        port = free_port()
        mlflow = str(Path(peer).parent / "mlflow")
        found["mlflow"] = (
            [
                mlflow,
                "models",
                "serve",
                "-m",
                str(mlflow_dir),
                "-p",
                str(port),
                "-h",
                "127.0.0.1",
                "-w",
                "1",
                "--env-manager",
                "local",
            ],
            f"http://127.0.0.1:{port}/invocations",
            # mlflow starts `uvicorn` from PATH: the peer interpreter's own.
            {**os.environ, "PATH": f"{Path(peer).parent}{os.pathsep}{os.environ['PATH']}"},
        )
    return found


def bench_server(
    name: str,
    spec: tuple[list[str], str, dict[str, str]],
    body: dict[str, Path],
    folder: Path,
    seconds: int,
) -> dict[str, dict[str, float]]:
    command, url, env = spec
    log = (folder / f"{name}.log").open("wb")
    process = subprocess.Popen(command, env=env, cwd=folder, stdout=log, stderr=log)
    try:
        wait_up(url, process)  # any answer (a GET is a 405) means it is listening
        run_wrk(url, body["1"], 16, 2)  # warm-up
        single = run_wrk(url, body["1"], 16, seconds)
        batch = run_wrk(url, body["1000"], 4, seconds)
        batch["rows_per_s"] = batch["rps"] * 1000
        return {"single": single, "batch": batch}
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--peer-python", help="Python with MLflow installed (else MLflow is skipped)"
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="Print the results as JSON.")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/serving.py needs wrk: apt-get install -y wrk")
    folder = Path(tempfile.mkdtemp(prefix="driftloop-bench-serving-"))
    model, frame = make_model(folder)
    home = make_workspace(folder, model, frame)
    body = bodies(folder, frame)
    specs = servers(folder, home, args.peer_python)
    results: dict[str, list[dict[str, dict[str, float]]]] = {name: [] for name in specs}
    for _ in range(args.rounds):
        for name, spec in specs.items():
            results[name].append(bench_server(name, spec, body, folder, args.seconds))
    best = {name: _best(rounds) for name, rounds in results.items()}
    report(best, args.json)
    _check_log(home)
    shutil.rmtree(folder, ignore_errors=True)


def _best(rounds: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    return {
        scenario: max((r[scenario] for r in rounds), key=lambda x: x["rps"])
        for scenario in ("single", "batch")
    }


def _check_log(home: Path) -> None:
    import driftloop as dl

    with dl.Workspace(home) as ws:
        rows = ws.predictions.relation("bench").aggregate("count(*)").fetchall()[0]
    print(f"prediction log rows written by driftloop during the run: {rows[0] if rows else 0}")


def report(best: dict[str, dict[str, dict[str, float]]], as_json: bool) -> None:
    if as_json:
        print(json.dumps(best, indent=2))
        return
    floor = best["floor"]
    print(
        f"{'server':<10} {'1-row req/s':>12} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'1000-row rows/s':>16} {'p99 ms':>8}"
    )
    for name, row in best.items():
        s, b = row["single"], row["batch"]
        print(
            f"{name:<10} {s['rps']:>12.0f} {s['p50_ms']:>8.2f} {s['p99_ms']:>8.2f} "
            f"{b['rows_per_s']:>16.0f} {b['p99_ms']:>8.2f}"
        )
    d = best["driftloop"]
    print(
        f"driftloop / floor: {d['single']['rps'] / floor['single']['rps']:.2f}x req/s "
        f"(needs >= 0.8), p99 {d['single']['p99_ms'] / floor['single']['p99_ms']:.2f}x "
        f"(needs <= 1.5), {d['batch']['rows_per_s'] / floor['batch']['rows_per_s']:.2f}x "
        "rows/s (needs >= 1.0)"
    )
    if "batched" in best:
        ratio = best["batched"]["single"]["rps"] / floor["single"]["rps"]
        print(f"driftloop with micro-batching / floor: {ratio:.2f}x req/s (1-row)")
    if "mlflow" in best:
        print(
            f"driftloop / mlflow: {d['single']['rps'] / best['mlflow']['single']['rps']:.1f}x req/s"
        )
    failed = {n: r["single"]["non_2xx"] + r["batch"]["non_2xx"] for n, r in best.items()}
    print(f"non-2xx answers: {failed}")


if __name__ == "__main__":
    main()
