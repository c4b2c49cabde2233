"""Registry benchmark: single-row prediction latency, ONNX vs native, driftloop vs MLflow.

For a scikit-learn random forest, an XGBoost and a LightGBM classifier (100 trees
each, ``n_jobs=1``) trained on the same synthetic data, it measures the latency of
``predict_proba`` on one row (a one-row pandas DataFrame, ``--iterations`` calls
over 200 different rows; median and 99th percentile):

- the fitted object itself (no registry),
- driftloop's loaded model, native flavor (signature enforced on every call),
- driftloop's loaded model, ONNX form (``dl.log_model(..., onnx=True)``, run by ONNX Runtime),
- MLflow's ``mlflow.pyfunc.load_model`` of the same kind of model (in ``--peer-python``),

plus the time to load each model and the largest ONNX-vs-native difference over
1,000 rows. The peer trains the same models on the same data file and skips the
flavors its interpreter lacks (the output says so).

    .venv/bin/python bench/registry.py --peer-python /work/benchenv/bin/python
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FLAVORS = ("sklearn", "xgboost", "lightgbm")
N_TREES = 100
SEED = 7


def make_data(rows: int, features: int) -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(SEED)
    frame = pd.DataFrame(
        rng.normal(size=(rows, features)), columns=[f"f{i}" for i in range(features)]
    )
    logits = frame["f0"] * 1.5 - frame["f1"] + 0.5 * frame["f2"] * frame["f3"]
    frame["label"] = (logits + rng.normal(scale=0.5, size=rows) > 0).astype(int)
    return frame


def train(flavor: str, x: Any, y: Any) -> Any:
    if flavor == "sklearn":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(
            n_estimators=N_TREES, max_depth=8, random_state=SEED, n_jobs=1
        ).fit(x, y)
    if flavor == "xgboost":
        import xgboost

        return xgboost.XGBClassifier(
            n_estimators=N_TREES, max_depth=6, n_jobs=1, random_state=SEED
        ).fit(x, y)
    import lightgbm

    return lightgbm.LGBMClassifier(
        n_estimators=N_TREES, num_leaves=31, n_jobs=1, random_state=SEED, verbose=-1
    ).fit(x, y)


def latency(predict: Any, rows: list[Any], iterations: int) -> dict[str, float]:
    """Median and p99 microseconds of ``predict(row)``, after a warm-up call."""
    predict(rows[0])
    times = []
    for i in range(iterations):
        row = rows[i % len(rows)]
        start = time.perf_counter()
        predict(row)
        times.append(time.perf_counter() - start)
    times.sort()
    return {
        "median_us": times[len(times) // 2] * 1e6,
        "p99_us": times[int(len(times) * 0.99)] * 1e6,
    }


def timed(call: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


# driftloop -------------------------------------------------------------------------------


def bench_driftloop(args: argparse.Namespace, data_path: Path, tmp: Path) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    import driftloop as dl

    frame = pd.read_parquet(data_path)
    x, y = frame.drop(columns="label"), frame["label"]
    rows = [x.iloc[[i]] for i in range(200)]
    dl.set_workspace(dl.init_workspace(tmp / "ws"))
    results: dict[str, Any] = {}
    try:
        for flavor in FLAVORS:
            model = train(flavor, x, y)
            with dl.start_run(experiment="bench"):
                logged = dl.log_model(
                    model, name=flavor, input_example=x.head(100), register=True, onnx=True
                )
            native, load_native = timed(lambda f=flavor: dl.load_model(f"models:/{f}/1"))
            exported, load_onnx = timed(lambda f=flavor: dl.load_model(f"models:/{f}/1", onnx=True))
            check = x.head(1000)
            diff = float(
                np.max(np.abs(exported.predict_proba(check) - native.predict_proba(check)))
            )
            results[flavor] = {
                "object": latency(model.predict_proba, rows, args.iterations),
                "driftloop_native": latency(native.predict_proba, rows, args.iterations),
                "driftloop_onnx": latency(exported.predict_proba, rows, args.iterations),
                "onnxruntime_session": latency(
                    exported.native.predict_proba, rows, args.iterations
                ),
                "load_native_s": load_native,
                "load_onnx_s": load_onnx,
                "onnx_check_at_log": logged.onnx.to_dict() if logged.onnx else None,
                "onnx_max_abs_diff_1000_rows": diff,
            }
    finally:
        dl.set_workspace(None)
    return {"tool": "driftloop", "version": dl.__version__, "flavors": results}


# MLflow (run in the peer interpreter; never imports driftloop) -----------------------------


def bench_mlflow(args: argparse.Namespace, data_path: Path, tmp: Path) -> dict[str, Any]:
    import importlib
    import logging
    import warnings

    import mlflow
    import pandas as pd

    warnings.filterwarnings("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    mlflow.set_tracking_uri(f"sqlite:///{tmp / 'mlflow.db'}")
    # Artifacts in the temp folder too: the default ./mlruns would land in the caller's folder.
    mlflow.create_experiment("bench", artifact_location=(tmp / "artifacts").as_uri())
    mlflow.set_experiment("bench")
    frame = pd.read_parquet(data_path)
    x, y = frame.drop(columns="label"), frame["label"]
    rows = [x.iloc[[i]] for i in range(200)]
    results: dict[str, Any] = {}
    for flavor in FLAVORS:
        try:
            importlib.import_module({"sklearn": "sklearn"}.get(flavor, flavor))
        except ImportError:
            results[flavor] = {"skipped": f"{flavor} is not installed in the peer interpreter"}
            continue
        model = train(flavor, x, y)
        with mlflow.start_run():
            # MLflow 3 saves scikit-learn models with skops and asks which types to trust.
            extra = (
                {"skops_trusted_types": ["sklearn.tree._tree.Tree"]} if flavor == "sklearn" else {}
            )
            info = getattr(mlflow, flavor).log_model(
                model, name="model", input_example=x.head(100), **extra
            )
        loaded, load_s = timed(lambda uri=info.model_uri: mlflow.pyfunc.load_model(uri))
        # pyfunc predict returns classes for these flavors; predict_proba is not in its API.
        results[flavor] = {
            "pyfunc_predict": latency(loaded.predict, rows, args.iterations),
            "load_s": load_s,
        }
    return {"tool": "mlflow", "version": mlflow.__version__, "flavors": results}


# orchestration ---------------------------------------------------------------------------


def run_peer(args: argparse.Namespace, data_path: Path, tmp: Path) -> dict[str, Any]:
    command = [
        args.peer_python,
        __file__,
        "--as-peer",
        "--data",
        str(data_path),
        "--tmp",
        str(tmp),
        "--iterations",
        str(args.iterations),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"tool": "mlflow", "error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_table(result: dict[str, Any]) -> None:
    ours, peer = result["driftloop"]["flavors"], result["mlflow"].get("flavors", {})
    print(
        "\nSingle-row predict latency, microseconds (median / p99), "
        f"{result['iterations']} calls each"
    )
    titles = ["object", "dl native", "dl ONNX", "ORT session", "MLflow pyfunc"]
    header = f"{'flavor':<9} " + " ".join(f"{t:>15}" for t in titles)
    print(header)
    print("-" * len(header))
    for flavor, r in ours.items():
        cells = [r["object"], r["driftloop_native"], r["driftloop_onnx"], r["onnxruntime_session"]]
        mlflow = peer.get(flavor, {}).get("pyfunc_predict")
        texts = [f"{c['median_us']:.0f} / {c['p99_us']:.0f}" for c in cells]
        texts.append(f"{mlflow['median_us']:.0f} / {mlflow['p99_us']:.0f}" if mlflow else "n/a")
        print(f"{flavor:<9} " + " ".join(f"{t:>15}" for t in texts))
    print("\nONNX vs native (driftloop loaded models)")
    for flavor, r in ours.items():
        speedup = r["driftloop_native"]["median_us"] / r["driftloop_onnx"]["median_us"]
        peer_load = peer.get(flavor, {}).get("load_s")
        print(
            f"  {flavor:<9} ONNX {speedup:5.1f}x faster; max |diff| over 1,000 rows "
            f"{r['onnx_max_abs_diff_1000_rows']:.2e}; "
            f"load native {r['load_native_s'] * 1000:.0f} ms, "
            f"ONNX {r['load_onnx_s'] * 1000:.0f} ms"
            + (f", MLflow {peer_load * 1000:.0f} ms" if peer_load else "")
        )
    for flavor, r in peer.items():
        if "skipped" in r:
            print(f"  MLflow {flavor}: skipped ({r['skipped']})")
    if "error" in result["mlflow"]:
        print(f"  MLflow failed: {result['mlflow']['error']}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=5_000, help="training rows")
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument(
        "--iterations", type=int, default=1_000, help="single-row calls per variant"
    )
    parser.add_argument("--peer-python", default=sys.executable, help="interpreter with mlflow")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--out", type=Path, help="also write the results as JSON to this file")
    parser.add_argument("--as-peer", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--tmp", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.as_peer:
        print(json.dumps(bench_mlflow(args, args.data, args.tmp)))
        return
    tmp = Path(tempfile.mkdtemp(prefix="driftloop-bench-registry-"))
    try:
        data_path = tmp / "data.parquet"
        make_data(args.rows, args.features).to_parquet(data_path)
        (tmp / "peer").mkdir()
        result = {
            "rows": args.rows,
            "features": args.features,
            "iterations": args.iterations,
            "driftloop": bench_driftloop(args, data_path, tmp),
            "mlflow": run_peer(args, data_path, tmp / "peer"),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)


if __name__ == "__main__":
    main()
