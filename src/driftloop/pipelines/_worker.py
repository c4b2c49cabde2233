"""One attempt of one step, inside a worker (a pool process or a Ray task).

The worker opens the workspace once (``task.open_workspace``, cached per process),
imports the step's function (again if its file changed since), loads the inputs from
the artifact store, calls the function with stdout and stderr captured at the file
descriptor level (so prints of C code and subprocesses are kept too), and stores the
output and the logs. Whatever the step raises comes back as a failed result.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
import tempfile
import traceback
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from driftloop._observe import observe
from driftloop.pipelines._imports import import_module_name, script_path
from driftloop.pipelines._models import OutputRef, StepResult, StepTask
from driftloop.pipelines._outputs import load_output, store_outputs

LOG_TAIL_LINES = 20

_workspaces: dict[str, Any] = {}
_module_stamps: dict[str, tuple[float, int]] = {}


def _workspace(opener: Callable[[], Any]) -> Any:
    key = repr(opener)
    found = _workspaces.get(key)
    if found is None or getattr(found.resources, "is_closed", False):
        found = _workspaces[key] = opener()
    return found


def close_workspaces() -> None:
    """Close what the worker opened (flushes buffered metrics) before it exits."""
    for ws in _workspaces.values():
        ws.close()
    _workspaces.clear()


def _stamp(module: Any) -> tuple[float, int] | None:
    path = getattr(module, "__file__", None)
    if not path:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime, stat.st_size)


def import_fresh(module_name: str, roots: Sequence[Path] = ()) -> Any:
    """The module, imported again if its source file changed since this process imported it.

    A long-lived worker or scheduler must run the code as it is now, as a new process would.
    A module or script not found is looked for in the current folder and ``roots`` (the
    workspace root), as ``python -m`` would (see ``_imports.py``); NotFoundError if absent.
    """
    if module_name.endswith(".py"):
        module_name = str(script_path(module_name, roots))
    module = sys.modules.get(_module_key(module_name))
    if module is None:
        module = _import(module_name, roots)
        _module_stamps[module_name] = _stamp(module) or (0.0, 0)
        return module
    stamp = _stamp(module)
    known = _module_stamps.setdefault(module_name, stamp or (0.0, 0))
    if stamp is not None and stamp != known:
        importlib.invalidate_caches()
        module = (
            _import(module_name, roots) if module_name.endswith(".py") else importlib.reload(module)
        )
        _module_stamps[module_name] = stamp
    return module


def _module_key(module_name: str) -> str:
    if not module_name.endswith(".py"):
        return module_name
    return "driftloop_script_" + hashlib.blake2b(module_name.encode(), digest_size=8).hexdigest()


def _import(module_name: str, roots: Sequence[Path]) -> Any:
    """Import a module by name, or a script by path (under a private name, not __main__)."""
    if not module_name.endswith(".py"):
        return import_module_name(module_name, roots)
    key = _module_key(module_name)
    spec = importlib.util.spec_from_file_location(key, module_name)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {module_name}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    _module_stamps[module_name] = _stamp(module) or (0.0, 0)
    return module


def resolve_function(ref: str, roots: Sequence[Path] = ()) -> Callable[..., Any]:
    """The plain function behind ``module:qualname`` (a ``@step`` object is unwrapped)."""
    module_name, _, qualname = ref.partition(":")
    found: Any = import_fresh(module_name, roots)
    for part in qualname.split("."):
        found = getattr(found, part)
    return getattr(found, "fn", found)  # type: ignore[no-any-return]


@contextmanager
def captured_output(directory: Path) -> Iterator[tuple[Path, Path]]:
    """Send fds 1 and 2 (and sys.stdout/err) to files for the block; restore them after."""
    paths = (directory / "stdout.log", directory / "stderr.log")
    sys.stdout.flush()
    sys.stderr.flush()
    saved = (os.dup(1), os.dup(2))
    files = [open(p, "wb") for p in paths]  # noqa: SIM115 - closed below
    try:
        os.dup2(files[0].fileno(), 1)
        os.dup2(files[1].fileno(), 2)
        yield paths
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
        for f in files:
            f.close()


def _resolver(ws: Any) -> Callable[[str, str], Any]:
    def resolve(kind: str, ref: str) -> Any:
        if kind == "dataset_version":
            return ws.datasets.get_version(ref)
        return ws.registry.resolve(ref)

    return resolve


def _tail(text: str) -> str:
    return "\n".join(text.splitlines()[-LOG_TAIL_LINES:])


def _user_frames(tb: types.TracebackType | None) -> types.TracebackType | None:
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return tb


def _call_step(ws: Any, task: StepTask) -> tuple[OutputRef, list[tuple[str, str, str]]]:
    fn = resolve_function(task.function, [ws.root])
    resolve = _resolver(ws)
    kwargs = dict(task.literals)
    for arg, ref in task.inputs.items():
        kwargs[arg] = load_output(ws.blobs, ref, resolve)
    with observe() as made:
        try:
            value = fn(**kwargs)
        finally:  # a run that failed read its data too
            _record_run_inputs(ws, made, task.lineage)
    links = [(kind, ref, "created") for kind, ref in made]
    output = store_outputs(ws.blobs, task.step_name, value, task.outputs)
    links += [(p.kind, p.ref, "output") for p in (output, *output.parts) if p.ref]
    return output, links


def _record_run_inputs(
    ws: Any, made: list[tuple[str, str]], lineage: Sequence[tuple[str, str, str]]
) -> None:
    """Each tracking run the step made gets the versions that reached the step as inputs.

    An input the step logged itself keeps its own role: the first record of one wins.
    """
    for run_id in dict.fromkeys(ref for kind, ref in made if kind == "run"):
        for kind, ref, role in lineage:
            ws.tracking.log_input(run_id, kind, ref, role)


def execute_task(task: StepTask) -> StepResult:
    """Run one attempt of ``task`` here and store what it made; never raises for the step."""
    ws = _workspace(task.open_workspace)
    error: BaseException | None = None
    output: OutputRef | None = None
    links: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="driftloop-step-") as tmp:
        with captured_output(Path(tmp)) as (out_path, err_path):
            try:
                output, links = _call_step(ws, task)
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # sys.exit() in a step is the step's failure too
                error = exc
                # Into the captured stderr, like a crash of the step itself: without this
                # worker's own frame, which says nothing about the step.
                traceback.print_exception(type(exc), exc, _user_frames(exc.__traceback__))
        (stdout, out_text), (stderr, err_text) = _keep_logs(ws, out_path, err_path)
    if error is None:
        return StepResult(task.step_run_id, True, output, stdout, stderr, links=tuple(links))
    return StepResult(
        task.step_run_id,
        False,
        None,
        stdout,
        stderr,
        log_tail="\n".join(t for t in (_tail(out_text), _tail(err_text)) if t),
        error_type=type(error).__name__,
        error_message=str(error),
        traceback="".join(traceback.format_exception(error)),
        links=tuple(links),
    )


def _keep_logs(ws: Any, *paths: Path) -> list[tuple[str | None, str]]:
    kept: list[tuple[str | None, str]] = []
    for path in paths:
        data = path.read_bytes()
        digest = ws.blobs.put_bytes(data).digest if data else None
        kept.append((digest, data.decode("utf-8", errors="replace")))
    return kept
