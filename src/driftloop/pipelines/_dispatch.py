"""What a fired trigger starts, looked up by the trigger's ``target_kind``.

A small registry instead of a hard-wired call, so later contexts add their own kinds
without this package importing them: pipelines start a pipeline run (built in), the
closed loop registers ``"loop"``. A factory takes the workspace and returns a
:class:`TargetDispatcher`; nothing here imports the workspace (it is typed as a protocol).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from driftloop.errors import InvalidInputError
from driftloop.pipelines._trigger_models import Trigger, TriggerEvent

__all__ = [
    "ChecksTarget",
    "RunStatusReader",
    "TargetDispatcher",
    "TargetFactory",
    "dispatcher_for",
    "register_trigger_target",
    "target_kinds",
]


class TargetDispatcher(Protocol):
    """Starts what a trigger points at, without waiting for it to finish.

    ``start`` returns the id of the run it started (recorded on the event) or None. It is
    called once per claimed event; an exception marks the event failed with its message.
    """

    def start(self, trigger: Trigger, event: TriggerEvent) -> str | None: ...


@runtime_checkable
class RunStatusReader(Protocol):
    """Optional: a dispatcher that can say how a run it started is doing (for status)."""

    def run_status(self, run_id: str) -> str | None: ...


@runtime_checkable
class ChecksTarget(Protocol):
    """Optional: a dispatcher that can tell, when a trigger is declared, whether its target
    would start, so a trigger naming what does not exist is refused then, not when it fires.

    ``check`` raises a driftloop error naming what is wrong; ``complete`` says the firing
    gives no params of its own (cron, dataset, alert), so the trigger's must be complete.
    """

    def check(self, target: str, params: dict[str, Any], complete: bool) -> None: ...


TargetFactory = Callable[[Any], TargetDispatcher]


class _PipelineTarget:
    """Target kind ``pipeline``: submit the pipeline run (detached) through the workspace."""

    def __init__(self, workspace: Any) -> None:
        self._workspace = workspace

    def start(self, trigger: Trigger, event: TriggerEvent) -> str | None:
        params = {**trigger.params, **_payload_params(event)}
        executor = str(trigger.spec.get("executor") or "local")
        run_id = self._workspace.pipelines.submit(
            trigger.target, params, executor=executor, trigger_event_id=event.id
        )
        return str(run_id)

    def check(self, target: str, params: dict[str, Any], complete: bool) -> None:
        self._workspace.pipelines.check_target(target, params, complete=complete)

    def run_status(self, run_id: str) -> str | None:
        run = self._workspace.pipelines.get_run(run_id)
        status = getattr(run, "status", None)
        return None if status is None else str(getattr(status, "value", status))


def _payload_params(event: TriggerEvent) -> dict[str, Any]:
    # A webhook body or a manual call may override the trigger's params under "params".
    params = event.payload.get("params")
    return dict(params) if isinstance(params, dict) else {}


_lock = threading.Lock()
_targets: dict[str, TargetFactory] = {"pipeline": _PipelineTarget}
# Contexts whose import registers their target kinds (by name: nothing here imports up),
# imported before the first lookup so a kind never depends on what was imported first.
TARGET_MODULES = ("driftloop.automation",)
_imported = False


def _import_target_modules() -> None:
    global _imported
    if not _imported:
        _imported = True
        for module in TARGET_MODULES:
            importlib.import_module(module)


def register_trigger_target(kind: str, factory: TargetFactory) -> None:
    """Make triggers with ``target_kind=kind`` start through ``factory(workspace)``.

    Registering a kind again replaces its factory (a reloaded module does this).
    """
    if not isinstance(kind, str) or not kind.isidentifier():
        raise InvalidInputError(f"target kind {kind!r} must be a short identifier like 'loop'")
    with _lock:
        _targets[kind] = factory


def target_kinds() -> list[str]:
    _import_target_modules()
    with _lock:
        return sorted(_targets)


def dispatcher_for(kind: str, workspace: Any) -> TargetDispatcher:
    """The dispatcher of ``kind`` for ``workspace``, or an error listing the known kinds."""
    _import_target_modules()
    with _lock:
        factory = _targets.get(kind)
    if factory is None:
        raise InvalidInputError(
            f"no trigger target kind {kind!r}; known kinds: {', '.join(target_kinds())}"
        )
    return factory(workspace)
