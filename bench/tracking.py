"""Tracking benchmark: driftloop against MLflow (sqlite backend), in one run.

Two workloads, the same data for both tools:

(a) one run logging ``--values`` metric values, one ``log_metric`` call at a time; timed
    up to and including the end of the run (after which every value is durable), and
    the calls alone; then the whole history is read back and counted.
(b) ``--runs`` runs with 10 params and 10 metrics each, then a filtered, ordered search
    timed on its own (best of ``--repeats``); both tools must return the same runs in
    the same order.

driftloop runs in this interpreter; MLflow runs in a subprocess of ``--peer-python``
(default: this interpreter, which works after ``pip install -e '.[bench]'``). MLflow
takes ~3 ms a call, so it logs ``--mlflow-values`` values (default 5,000) and its rate is
extrapolated to ``--values``; the output says so.

    .venv/bin/python bench/tracking.py --peer-python /work/benchenv/bin/python
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXPERIMENT = "bench"
METRIC_KEY = "loss"
N_PARAMS = 10
N_METRICS = 10
FILTER = "metrics.m0 > 0.5 and params.p0 = 'a'"
ORDER_BY = "metrics.m1"  # descending
TARGET_VALUES_PER_S = 100_000
TARGET_SEARCH_RATIO = 10.0


def run_data(i: int) -> tuple[dict[str, str], dict[str, float]]:
    """Params and metrics of run ``i``: deterministic, so both tools store the same data."""
    rng = random.Random(i)
    params = {f"p{j}": rng.choice("abc") for j in range(N_PARAMS)}
    metrics = {f"m{j}": rng.random() for j in range(N_METRICS)}
    return params, metrics


def value(i: int) -> float:
    return 1.0 / (1.0 + i)


def best_of(repeats: int, search: Callable[[], list[str]]) -> tuple[float, float, list[str]]:
    """First and fastest wall time of ``repeats`` calls, and the run names returned."""
    times, names = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        names = search()
        times.append(time.perf_counter() - start)
    return times[0], min(times), names


def names_digest(names: list[str]) -> str:
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


# driftloop -----------------------------------------------------------------------------


def bench_driftloop(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    import driftloop as dl

    ws = dl.init_workspace(tmp / "ws")
    dl.set_workspace(ws)
    try:
        result = {"tool": "driftloop", "version": dl.__version__}
        result.update(_driftloop_log(args.values))
        result.update(_driftloop_search(args))
        return result
    finally:
        dl.set_workspace(None)


def _driftloop_log(n: int) -> dict[str, Any]:
    import driftloop as dl

    run = dl.start_run(experiment=f"{EXPERIMENT}-log", name="log-loop")
    log_metric = dl.log_metric
    start = time.perf_counter()
    for i in range(n):
        log_metric(METRIC_KEY, value(i), step=i)
    calls = time.perf_counter() - start
    run.end()
    total = time.perf_counter() - start
    history = dl.get_metric_history(run.id, METRIC_KEY)
    stored_ok = len(history) == n and all(
        m.step == i and m.value == value(i) for i, m in enumerate(history)
    )
    return _log_result(n, calls, total, len(history), stored_ok)


def _driftloop_search(args: argparse.Namespace) -> dict[str, Any]:
    import driftloop as dl

    start = time.perf_counter()
    for i in range(args.runs):
        params, metrics = run_data(i)
        with dl.start_run(experiment=EXPERIMENT, name=f"run-{i:05d}"):
            dl.log_params(params)
            dl.log_metrics(metrics)
    populate = time.perf_counter() - start

    def search() -> list[str]:
        frame = dl.search_runs(EXPERIMENT, filter=FILTER, order_by=[f"{ORDER_BY} desc"])
        return frame["run_name"].tolist()

    first, best, names = best_of(args.repeats, search)
    return _search_result(args, populate, first, best, names)


# MLflow (run in the peer interpreter) ----------------------------------------------------


def bench_mlflow(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    import logging

    import mlflow

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    mlflow.set_tracking_uri(f"sqlite:///{tmp / 'mlflow.db'}")
    for name in (f"{EXPERIMENT}-log", EXPERIMENT):
        mlflow.create_experiment(name, artifact_location=(tmp / "artifacts" / name).as_uri())
    result = {"tool": "mlflow", "version": mlflow.__version__}
    result.update(_mlflow_log(args.mlflow_values))
    result.update(_mlflow_search(args))
    return result


def _mlflow_log(n: int) -> dict[str, Any]:
    import mlflow

    mlflow.set_experiment(f"{EXPERIMENT}-log")
    run = mlflow.start_run(run_name="log-loop")
    log_metric = mlflow.log_metric
    start = time.perf_counter()
    for i in range(n):
        log_metric(METRIC_KEY, value(i), step=i)
    calls = time.perf_counter() - start
    mlflow.end_run()
    total = time.perf_counter() - start
    history = mlflow.MlflowClient().get_metric_history(run.info.run_id, METRIC_KEY)
    history = sorted(history, key=lambda m: m.step)
    stored_ok = len(history) == n and all(
        m.step == i and m.value == value(i) for i, m in enumerate(history)
    )
    return _log_result(n, calls, total, len(history), stored_ok)


def _mlflow_search(args: argparse.Namespace) -> dict[str, Any]:
    import mlflow

    mlflow.set_experiment(EXPERIMENT)
    start = time.perf_counter()
    for i in range(args.runs):
        params, metrics = run_data(i)
        with mlflow.start_run(run_name=f"run-{i:05d}"):
            mlflow.log_params(params)
            mlflow.log_metrics(metrics)
    populate = time.perf_counter() - start

    def search() -> list[str]:
        frame = mlflow.search_runs(
            experiment_names=[EXPERIMENT], filter_string=FILTER, order_by=[f"{ORDER_BY} DESC"]
        )
        return frame["tags.mlflow.runName"].tolist()

    first, best, names = best_of(args.repeats, search)
    return _search_result(args, populate, first, best, names)


# results ---------------------------------------------------------------------------------


def _log_result(n: int, calls: float, total: float, stored: int, stored_ok: bool) -> dict[str, Any]:
    return {
        "values": n,
        "log_calls_seconds": calls,
        "log_total_seconds": total,
        "values_per_s": n / total,
        "values_per_s_calls_only": n / calls,
        "values_stored": stored,
        "all_values_stored": stored_ok,
    }


def _search_result(
    args: argparse.Namespace, populate: float, first: float, best: float, names: list[str]
) -> dict[str, Any]:
    return {
        "runs": args.runs,
        "populate_seconds": populate,
        "search_first_seconds": first,
        "search_seconds": best,
        "search_repeats": args.repeats,
        "search_rows": len(names),
        "search_names_digest": names_digest(names),
    }


def run_peer(args: argparse.Namespace) -> dict[str, Any]:
    """Run the MLflow half under ``--peer-python``; it prints its result as JSON."""
    command = [
        args.peer_python,
        str(Path(__file__).resolve()),
        "--worker",
        "mlflow",
        "--runs",
        str(args.runs),
        "--repeats",
        str(args.repeats),
        "--mlflow-values",
        str(args.mlflow_values),
    ]
    env = {**os.environ, "MLFLOW_TRACKING_URI": "", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        sys.exit(
            f"the MLflow half failed under {args.peer_python} (exit {done.returncode}); is "
            f"mlflow installed there (pip install -e '.[bench]')?\n{done.stderr[-3000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(dl: dict[str, Any], ml: dict[str, Any] | None, values: int) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "values_target_met": dl["values_per_s"] >= TARGET_VALUES_PER_S and dl["all_values_stored"],
    }
    if ml is not None:
        summary.update(
            mlflow_values_extrapolated=ml["values"] != values,
            mlflow_seconds_for_values_extrapolated=values / ml["values_per_s"],
            values_per_s_ratio=dl["values_per_s"] / ml["values_per_s"],
            search_ratio=ml["search_seconds"] / dl["search_seconds"],
            search_first_call_ratio=ml["search_first_seconds"] / dl["search_first_seconds"],
            same_search_result=dl["search_names_digest"] == ml["search_names_digest"],
        )
        summary["search_target_met"] = summary["search_ratio"] >= TARGET_SEARCH_RATIO
    return summary


def print_table(dl: dict[str, Any], ml: dict[str, Any] | None, summary: dict[str, Any]) -> None:
    tools = [dl] + ([ml] if ml else [])
    rows = [
        ("values logged (one call each)", lambda r: f"{r['values']:,}"),
        ("seconds, calls only", lambda r: f"{r['log_calls_seconds']:.3f}"),
        ("seconds, incl. run end (durable)", lambda r: f"{r['log_total_seconds']:.3f}"),
        ("values/s, incl. run end", lambda r: f"{r['values_per_s']:,.0f}"),
        ("values/s, calls only", lambda r: f"{r['values_per_s_calls_only']:,.0f}"),
        ("µs a call, calls only", lambda r: f"{1e6 / r['values_per_s_calls_only']:.1f}"),
        ("all values stored (read back)", lambda r: str(r["all_values_stored"])),
        ("runs x 10 params x 10 metrics", lambda r: f"{r['runs']:,}"),
        ("seconds to log those runs", lambda r: f"{r['populate_seconds']:.2f}"),
        ("filtered search, s (first call)", lambda r: f"{r['search_first_seconds']:.4f}"),
        ("filtered search, s (best of)", lambda r: f"{r['search_seconds']:.4f}"),
        ("runs found", lambda r: str(r["search_rows"])),
    ]
    header = f"{'':34}" + "".join(f"{t['tool'] + ' ' + t['version']:>20}" for t in tools)
    print(header)
    for label, cell in rows:
        print(f"{label:34}" + "".join(f"{cell(t):>20}" for t in tools))
    print(f"\nsearch: {FILTER!r}, order by {ORDER_BY} desc; best of {dl['search_repeats']}")
    if ml is None:
        print(f"values/s target (>= {TARGET_VALUES_PER_S:,}): {_met(summary['values_target_met'])}")
        return
    if summary["mlflow_values_extrapolated"]:
        print(
            f"MLflow logged {ml['values']:,} values, not {dl['values']:,}: its rate is "
            f"extrapolated (~{summary['mlflow_seconds_for_values_extrapolated']:.0f} s for "
            f"{dl['values']:,})"
        )
    print(
        f"values/s: driftloop {summary['values_per_s_ratio']:,.0f}x MLflow; target >= "
        f"{TARGET_VALUES_PER_S:,}/s: {_met(summary['values_target_met'])}"
    )
    print(
        f"search: driftloop {summary['search_ratio']:.1f}x faster (best of; first call "
        f"{summary['search_first_call_ratio']:.1f}x); target >= {TARGET_SEARCH_RATIO:.0f}x: "
        f"{_met(summary['search_target_met'])}; same runs in the same order: "
        f"{summary['same_search_result']}"
    )


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--values", type=int, default=100_000, help="values driftloop logs")
    parser.add_argument("--mlflow-values", type=int, default=5_000, help="values MLflow logs")
    parser.add_argument("--runs", type=int, default=1_000, help="runs for the search")
    parser.add_argument("--repeats", type=int, default=10, help="search repeats (best taken)")
    parser.add_argument("--peer-python", default=sys.executable, help="interpreter with mlflow")
    parser.add_argument("--no-mlflow", action="store_true", help="driftloop only")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    parser.add_argument("--worker", choices=["mlflow"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="driftloop-bench-"))
    cwd = os.getcwd()
    os.chdir(tmp)  # no git repository around: neither tool spends time on git per run
    try:
        if args.worker == "mlflow":
            print(json.dumps(bench_mlflow(args, tmp)))
            return
        ml = None if args.no_mlflow else run_peer(args)
        dl = bench_driftloop(args, tmp)
    finally:
        os.chdir(cwd)
        shutil.rmtree(tmp, ignore_errors=True)
    results = {"driftloop": dl, "mlflow": ml, "summary": compare(dl, ml, args.values)}
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(dl, ml, results["summary"])


if __name__ == "__main__":
    main()
