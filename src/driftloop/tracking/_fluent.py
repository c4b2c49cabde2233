"""The MLflow-shaped module API: ``with dl.start_run(...)``, ``dl.log_metric`` and friends.

The stack of active runs is a :mod:`contextvars` variable: each thread (and each
asyncio task, from the context it was created in) has its own, so two threads, or two
requests of a server, each run their own run without seeing the other's. A worker
thread that should log to a run started elsewhere is handed it explicitly::

    with dl.start_run() as run:
        def load():
            with dl.attach_run(run):       # this thread now logs to `run`
                dl.log_metric("rows", 1000)
        threading.Thread(target=load).start()

(``contextvars.copy_context().run(fn)`` hands over the whole context, seed included.)
"""

from __future__ import annotations

import atexit
import io
import json
import random
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from driftloop.errors import ConflictError, InvalidInputError
from driftloop.store._lifecycle import LifecycleEvent
from driftloop.tracking._models import Metric, Run, RunStatus
from driftloop.tracking._service import TrackingService, check_key

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_EXPERIMENT = "Default"
_stack: ContextVar[tuple[ActiveRun, ...]] = ContextVar("driftloop_active_runs", default=())
_seed: ContextVar[int | None] = ContextVar("driftloop_seed", default=None)
# Every run started and not yet ended, in any thread: ended at interpreter exit.
_open_runs: dict[int, ActiveRun] = {}
_open_lock = threading.Lock()


class ActiveRun:
    """A run being logged to. Use as a context manager; see :func:`start_run`."""

    def __init__(self, service: TrackingService, run_id: str, experiment: str) -> None:
        self.id = run_id
        self.experiment = experiment
        self._service = service
        self._writer = service.writer
        self._steps: dict[str, int] = {}
        # Threads attached to one run may log the same key: steps are handed out in turn.
        self._steps_lock = threading.Lock()
        self._ended = False

    @property
    def info(self) -> Run:
        """The run as stored now (params, latest metrics, tags, environment...)."""
        return self._service.get_run(self.id)

    def log_metric(
        self, key: str, value: float, step: int | None = None, timestamp: float | None = None
    ) -> None:
        """Buffer one value; ``step`` defaults to one past this key's last step (from 0)."""
        if step is not None and (not isinstance(step, int) or isinstance(step, bool)):
            raise InvalidInputError(f"step of metric {key!r} must be an integer, got {step!r}")
        with self._steps_lock:
            last = self._steps.get(key)
            if last is None:
                check_key("metric", key)
                last = -1
            if step is None:
                step = last + 1
            if step > last:
                self._steps[key] = step
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInputError(
                f"metric {key!r} must be a number, got {type(value).__name__} {value!r}"
            ) from None
        stamp = int(time.time() * 1000) if timestamp is None else int(timestamp * 1000)
        self._writer.append((self.id, key, number, step, stamp))

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        stamp = time.time()
        for key, value in metrics.items():
            self.log_metric(key, value, step, stamp)

    def log_param(self, key: str, value: Any) -> None:
        self._service.log_params(self.id, {key: value})

    def log_params(self, params: dict[str, Any]) -> None:
        self._service.log_params(self.id, params)

    def set_tag(self, key: str, value: Any) -> None:
        self._service.set_tags(self.id, {key: value})

    def set_tags(self, tags: dict[str, Any]) -> None:
        self._service.set_tags(self.id, tags)

    def log_artifact(self, local_path: str | Path, artifact_path: str | None = None) -> list[str]:
        """Store a file, or a folder with everything below it, in the run."""
        return self._service.log_artifact(self.id, Path(local_path), artifact_path)

    def log_text(self, text: str, artifact_file: str) -> str:
        return self._service.log_artifact_bytes(self.id, text.encode("utf-8"), artifact_file)

    def log_dict(self, data: dict[str, Any], artifact_file: str) -> str:
        """Store ``data`` as JSON, or YAML when ``artifact_file`` ends in .yaml/.yml."""
        if artifact_file.endswith((".yaml", ".yml")):
            import yaml

            text = yaml.safe_dump(data, sort_keys=False)
        else:
            text = json.dumps(data, indent=2, default=str)
        return self.log_text(text, artifact_file)

    def log_figure(self, figure: Any, artifact_file: str) -> str:
        """Store a matplotlib figure as an image (format from the file name, e.g. .png)."""
        buffer = io.BytesIO()
        suffix = Path(artifact_file).suffix.lstrip(".") or "png"
        figure.savefig(buffer, format=suffix, bbox_inches="tight")
        return self._service.log_artifact_bytes(self.id, buffer.getvalue(), artifact_file)

    def log_input(self, kind: str, ref: str, role: str = "") -> None:
        self._service.log_input(self.id, kind, ref, role)

    def end(self, status: RunStatus | str = RunStatus.FINISHED) -> None:
        if self._ended:
            return
        self._ended = True
        stack = _stack.get()
        if self in stack:
            _stack.set(tuple(r for r in stack if r is not self))
        with _open_lock:
            _open_runs.pop(id(self), None)
        self._service.end_run(self.id, RunStatus(status))

    @property
    def is_ended(self) -> bool:
        return self._ended

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.end(RunStatus.FINISHED)
            return
        status = RunStatus.KILLED if isinstance(exc, KeyboardInterrupt) else RunStatus.FAILED
        try:
            self.set_tag("driftloop.error", f"{type(exc).__name__}: {exc}"[:5000])
        finally:
            self.end(status)

    def __repr__(self) -> str:
        return f"ActiveRun(id={self.id!r}, experiment={self.experiment!r})"


def _service() -> TrackingService:
    from driftloop._workspace import get_workspace

    return get_workspace().tracking


def start_run(
    experiment: str | None = None,
    name: str | None = None,
    *,
    run_id: str | None = None,
    nested: bool = False,
    tags: dict[str, Any] | None = None,
) -> ActiveRun:
    """Start (or resume, with ``run_id``) a run and make it the active one.

    Args:
        experiment: experiment name, created on first use (default ``"Default"``).
        name: a readable run name (default ``run-<id prefix>``).
        run_id: resume this run instead of creating one.
        nested: start a child of the active run; without it, starting a run while
            one is active is refused, as in MLflow.
        tags: tags to set at once.

    Example::

        with dl.start_run(experiment="churn", name="rf-depth-8") as run:
            dl.log_param("max_depth", 8)
            dl.log_metric("auc", 0.91)
    """
    service = _service()
    parent = active_run()
    if parent is not None and not nested:
        raise ConflictError(
            f"run {parent.id} is already active; end it first, or pass nested=True to "
            "start a child run"
        )
    if run_id is not None:
        run = service.resume_run(service.resolve_run_id(run_id))
        active = ActiveRun(service, run.id, run.experiment)
    else:
        exp = experiment or (parent.experiment if parent else DEFAULT_EXPERIMENT)
        new_id = service.create_run(
            exp, name, parent_run_id=parent.id if parent else None, tags=tags, seed=_seed.get()
        )
        active = ActiveRun(service, new_id, exp)
    _stack.set((*_stack.get(), active))
    with _open_lock:
        _open_runs[id(active)] = active
    return active


def active_run() -> ActiveRun | None:
    """The run this thread or task logs to, or None."""
    stack = _stack.get()
    if stack and stack[-1].is_ended:  # ended from another thread it was attached to
        stack = tuple(r for r in stack if not r.is_ended)
        _stack.set(stack)
    return stack[-1] if stack else None


@contextmanager
def attach_run(run: ActiveRun) -> Iterator[ActiveRun]:
    """Make ``run`` the active run of this thread or task for the block (it is not ended).

    The way to let a data-loader or callback thread log to a run another thread started.

    Example::

        with dl.start_run() as run:
            def work():
                with dl.attach_run(run):
                    dl.log_metric("batch_loss", 0.3)
            threading.Thread(target=work).start()
    """
    token = _stack.set((*_stack.get(), run))
    try:
        yield run
    finally:
        _stack.reset(token)


def _current() -> ActiveRun:
    run = active_run()
    return run if run is not None else start_run()  # like MLflow: logging outside a run starts one


def end_run(status: RunStatus | str = RunStatus.FINISHED) -> None:
    run = active_run()
    if run is not None:
        run.end(status)


def log_metric(
    key: str, value: float, step: int | None = None, timestamp: float | None = None
) -> None:
    """Log one metric value to the active run (buffered; durable when the run ends)."""
    stack = _stack.get()  # the hot path of a training loop: one context read
    run = stack[-1] if stack and not stack[-1].is_ended else _current()
    run.log_metric(key, value, step, timestamp)


def log_metrics(metrics: dict[str, float], step: int | None = None) -> None:
    _current().log_metrics(metrics, step)


def log_param(key: str, value: Any) -> None:
    _current().log_param(key, value)


def log_params(params: dict[str, Any]) -> None:
    _current().log_params(params)


def set_tag(key: str, value: Any) -> None:
    _current().set_tag(key, value)


def set_tags(tags: dict[str, Any]) -> None:
    _current().set_tags(tags)


def log_artifact(local_path: str | Path, artifact_path: str | None = None) -> list[str]:
    return _current().log_artifact(local_path, artifact_path)


def log_artifacts(local_dir: str | Path, artifact_path: str | None = None) -> list[str]:
    """Store every file under ``local_dir`` (the folder's contents, not the folder itself)."""
    run = _current()
    names: list[str] = []
    for child in sorted(Path(local_dir).iterdir()):
        names += run.log_artifact(child, artifact_path)
    return names


def log_dict(data: dict[str, Any], artifact_file: str) -> str:
    return _current().log_dict(data, artifact_file)


def log_text(text: str, artifact_file: str) -> str:
    return _current().log_text(text, artifact_file)


def log_figure(figure: Any, artifact_file: str) -> str:
    return _current().log_figure(figure, artifact_file)


def get_run(run_id: str) -> Run:
    service = _service()
    return service.get_run(service.resolve_run_id(run_id))


def get_metric_history(run_id: str, key: str) -> list[Metric]:
    """Every logged value of ``key`` in the run, ordered by step then time."""
    service = _service()
    return service.metric_history(service.resolve_run_id(run_id), key)


def search_runs(
    experiment: str | list[str] | None = None,
    filter: str | None = None,
    order_by: list[str] | None = None,
    max_results: int | None = None,
    view_type: str = "active_only",
) -> pd.DataFrame:
    """Runs as a DataFrame: one column per param, metric (latest value) and tag.

    Deleted runs are left out; ``view_type="deleted_only"`` or ``"all"`` shows them,
    with ``deleted_at`` and ``deleted_by`` columns (as MLflow's ``run_view_type``).

    Example::

        dl.search_runs("churn", filter="metrics.auc > 0.8 and params.model = 'rf'",
                       order_by=["metrics.auc desc"])
    """
    experiments = [experiment] if isinstance(experiment, str) else experiment
    return _service().search_runs(experiments, filter, order_by or (), max_results, view_type)


def delete_run(run_id: str) -> LifecycleEvent:
    """Delete a run (and its nested runs): hidden from searches, restorable until
    ``driftloop gc`` purges it. Refused while a registered model version comes from it.

    Example::

        dl.delete_run(run.id)
        dl.restore_run(run.id)
    """
    service = _service()
    return service.delete_run(service.resolve_run_id(run_id))


def restore_run(run_id: str) -> LifecycleEvent:
    """Restore a deleted run (and the nested runs deleted with it)."""
    service = _service()
    return service.restore_run(service.resolve_run_id(run_id))


def delete_experiment(name: str) -> LifecycleEvent:
    """Delete an experiment and its runs; the name stays taken until ``driftloop gc``."""
    return _service().delete_experiment(name)


def restore_experiment(name: str) -> LifecycleEvent:
    """Restore a deleted experiment and the runs deleted with it."""
    return _service().restore_experiment(name)


def download_artifacts(run_id: str, path: str = "", destination: str | Path = ".") -> Path:
    service = _service()
    return service.download_artifacts(service.resolve_run_id(run_id), path, Path(destination))


def seed_everything(seed: int) -> int:
    """Seed Python, NumPy (and PyTorch if imported) and record the seed on runs.

    The seed is recorded on the active run and on runs started later in this thread
    or task (the random generators themselves are process-wide).
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InvalidInputError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(seed)
    import numpy as np

    np.random.seed(seed % 2**32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
    _seed.set(seed)
    run = active_run()
    if run is not None:
        run._service.set_seed(run.id, seed)
    return seed


@atexit.register
def _end_runs_at_exit() -> None:
    # A script that never closed its run (or logged outside one) still gets every
    # value written and the run marked finished, as in MLflow; newest first.
    with _open_lock:
        runs = list(_open_runs.values())[::-1]
    for run in runs:
        run.end(RunStatus.FINISHED)
