"""Start-up benchmark: `import driftloop` and the `driftloop` command, against `python -c pass`.

Each command is started as a fresh process ``--runs`` times (after one warm-up run,
not counted), in turn with the others, so a change of the machine's load touches all
of them alike:

- ``python -c pass``: the interpreter alone, the floor every command stands on;
- ``python -c "import driftloop"``: the public API's import;
- ``driftloop --help``: the command's start-up, with every sub-command registered;
- ``driftloop runs list``: a read in a workspace holding ``--workspace-runs`` runs (10).

Wall time is read around each process; CPU time (user + system) from the kernel's
accounting of the finished child, which a busy machine moves much less than wall time.
The table gives the median and the range of each, and each command's median minus the
floor's. The target (issue 18): under 0.5 s for `driftloop --help` and `runs list` on a
quiet machine. The load average is printed with the figures: quote it with them.

    .venv/bin/python bench/startup.py
    .venv/bin/python bench/startup.py --runs 20 --json --out startup.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_S = 0.5


def make_workspace(folder: Path, runs: int) -> None:
    """A workspace with ``runs`` finished runs, each with a few params and metrics."""
    import driftloop as dl

    dl.set_workspace(dl.init_workspace(folder))
    for i in range(runs):
        with dl.start_run(experiment="startup", name=f"run-{i}"):
            dl.log_params({"model": "gbm", "max_depth": 3 + i % 4})
            dl.log_metrics({"auc": 0.8 + i / 1000, "log_loss": 0.4 - i / 1000})
    dl.set_workspace(None)


def driftloop_command() -> list[str]:
    """The console script beside this interpreter, as a user runs it (else ``-m``)."""
    script = Path(sys.executable).with_name("driftloop")
    return [str(script)] if script.exists() else [sys.executable, "-m", "driftloop"]


def commands(workspace: Path) -> dict[str, tuple[list[str], Path]]:
    here = Path.cwd()
    cli = driftloop_command()
    return {
        "python -c pass": ([sys.executable, "-c", "pass"], here),
        'python -c "import driftloop"': ([sys.executable, "-c", "import driftloop"], here),
        "driftloop --help": ([*cli, "--help"], here),
        "driftloop runs list": ([*cli, "runs", "list"], workspace),
    }


def time_once(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``argv``; its output is discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(todo: dict[str, tuple[list[str], Path]], runs: int) -> dict[str, dict[str, Any]]:
    walls: dict[str, list[float]] = {name: [] for name in todo}
    cpus: dict[str, list[float]] = {name: [] for name in todo}
    for argv, cwd in todo.values():  # the warm-up: files in the page cache
        time_once(argv, cwd)
    for _ in range(runs):
        for name, (argv, cwd) in todo.items():
            wall, cpu = time_once(argv, cwd)
            walls[name].append(wall)
            cpus[name].append(cpu)
    return {
        name: {
            "wall_median_s": statistics.median(walls[name]),
            "wall_min_s": min(walls[name]),
            "wall_max_s": max(walls[name]),
            "cpu_median_s": statistics.median(cpus[name]),
            "cpu_min_s": min(cpus[name]),
            "cpu_max_s": max(cpus[name]),
        }
        for name in todo
    }


def report(results: dict[str, dict[str, Any]], load: tuple[float, ...]) -> str:
    floor = results["python -c pass"]
    lines = [
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs; "
        f"median (min-max) of each",
        f"{'command':<30} {'wall s':>22} {'cpu s':>22} {'- floor (wall/cpu)':>19}",
    ]
    for name, r in results.items():
        wall = f"{r['wall_median_s']:.3f} ({r['wall_min_s']:.3f}-{r['wall_max_s']:.3f})"
        cpu = f"{r['cpu_median_s']:.3f} ({r['cpu_min_s']:.3f}-{r['cpu_max_s']:.3f})"
        extra = (
            f"{r['wall_median_s'] - floor['wall_median_s']:+.3f}/"
            f"{r['cpu_median_s'] - floor['cpu_median_s']:+.3f}"
        )
        lines.append(f"{name:<30} {wall:>22} {cpu:>22} {extra:>19}")
    lines.append(f"target: `driftloop --help` and `runs list` under {TARGET_S} s (quiet machine)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="Counted runs of each command.")
    parser.add_argument(
        "--workspace-runs", type=int, default=10, help="Runs in the listed workspace."
    )
    parser.add_argument("--json", action="store_true", help="Print the results as JSON.")
    parser.add_argument("--out", type=Path, help="Also write the results (JSON) here.")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="driftloop-startup-"))
    try:
        make_workspace(folder, args.workspace_runs)
        results = measure(commands(folder), args.runs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    load = os.getloadavg()
    document = {"load_average": load, "runs": args.runs, "results": results}
    if args.out is not None:
        args.out.write_text(json.dumps(document, indent=2), encoding="utf-8")
    print(json.dumps(document, indent=2) if args.json else report(results, load))


if __name__ == "__main__":
    main()
