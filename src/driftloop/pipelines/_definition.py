"""``@step`` and ``@pipeline``: plain functions whose calls draw the DAG.

Calling a pipeline's function while it is being *defined* does not run any step: each
step call records a node and returns a :class:`StepOutput` placeholder, and passing a
placeholder to another step is what draws an edge (as in ZenML or Prefect). Outside a
definition a step is just its function, so it can be tested directly.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, ParamSpec, TypeVar, overload

from driftloop.errors import InvalidInputError

P = ParamSpec("P")
R = TypeVar("R")


def code_ref(fn: Callable[..., Any]) -> str:
    """``module:qualname`` of ``fn``; for a script's ``__main__``, the script's path instead,
    so a worker process can load it (as a module, so its ``__main__`` block does not run)."""
    module = fn.__module__
    if module == "__main__" or module.startswith("driftloop_script_"):
        path = getattr(sys.modules.get(module), "__file__", None)
        if path:
            module = os.path.abspath(path)
    return f"{module}:{fn.__qualname__}"


_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "KIB": 2**10, "MIB": 2**20}
_UNITS |= {"GIB": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}


def parse_memory(value: str | int | None) -> int | None:
    """Bytes from ``"1GB"``, ``"512MiB"`` or a number of bytes."""
    if value is None or isinstance(value, int):
        return value
    text = value.strip().upper().replace(" ", "")
    digits = text.rstrip("KMGIB")
    unit = text[len(digits) :]
    try:
        return int(float(digits) * _UNITS[unit])
    except (ValueError, KeyError):
        raise InvalidInputError(
            f"memory {value!r} is not a size; give bytes or a size like '512MB' or '1GB'"
        ) from None


@dataclass(frozen=True, slots=True)
class StepOptions:
    """How a step runs: retries with exponential backoff, timeout, caching, resources."""

    retries: int = 0
    retry_delay_s: float = 1.0
    backoff: float = 2.0
    timeout_s: float | None = None
    cache: bool = True
    cpus: float | None = None
    memory: int | None = None
    gpus: float | None = None
    outputs: int = 1

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before ``attempt`` (2 is the first retry)."""
        return float(self.retry_delay_s * self.backoff ** max(attempt - 2, 0))


class Step(Generic[P, R]):
    """A function made a pipeline step by :func:`step`."""

    def __init__(self, fn: Callable[P, R], name: str, options: StepOptions) -> None:
        self.fn = fn
        self.name = name
        self.options = options
        self.signature = inspect.signature(fn)
        functools.update_wrapper(self, fn)

    @property
    def function_ref(self) -> str:
        return code_ref(self.fn)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        graph = _building.get()
        if graph is None:
            return self.fn(*args, **kwargs)
        return graph.add(self, args, kwargs)  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"<driftloop step {self.name} ({self.function_ref})>"


@overload
def step(fn: Callable[P, R], /) -> Step[P, R]: ...


@overload
def step(
    *,
    name: str | None = None,
    retries: int = 0,
    retry_delay: float = 1.0,
    backoff: float = 2.0,
    timeout: float | None = None,
    cache: bool = True,
    cpus: float | None = None,
    memory: str | int | None = None,
    gpus: float | None = None,
    outputs: int = 1,
) -> Callable[[Callable[P, R]], Step[P, R]]: ...


def step(
    fn: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    retries: int = 0,
    retry_delay: float = 1.0,
    backoff: float = 2.0,
    timeout: float | None = None,
    cache: bool = True,
    cpus: float | None = None,
    memory: str | int | None = None,
    gpus: float | None = None,
    outputs: int = 1,
) -> Step[P, R] | Callable[[Callable[P, R]], Step[P, R]]:
    """Make a plain function a pipeline step.

    Args:
        retries: extra attempts after a failure, waiting ``retry_delay`` seconds, then
            ``backoff`` times longer before each next one.
        timeout: seconds one attempt may take; a slower one is stopped and failed.
        cache: False runs the step every time (its outputs are still recorded).
        cpus, memory, gpus: resources the step asks for (``memory="1GB"``); the Ray
            executor passes them to Ray.
        outputs: how many values the step returns as a tuple; the call then gives one
            placeholder each (``train, test = split(data)``), stored and cached apart.

    Example::

        @dl.step(retries=2, timeout=600)
        def train(data: pd.DataFrame, max_depth: int) -> Model: ...
    """
    if retries < 0 or retry_delay < 0 or backoff < 1:
        raise InvalidInputError(
            f"retries={retries}, retry_delay={retry_delay}, backoff={backoff} are not allowed; "
            "retries and retry_delay must be >= 0 and backoff >= 1"
        )
    if outputs < 1:
        raise InvalidInputError(f"outputs={outputs} is not allowed; give 1 or more")
    if timeout is not None and timeout <= 0:
        raise InvalidInputError(f"timeout={timeout} is not allowed; give seconds > 0 or None")
    options = StepOptions(
        retries, retry_delay, backoff, timeout, cache, cpus, parse_memory(memory), gpus, outputs
    )

    def wrap(f: Callable[P, R]) -> Step[P, R]:
        return Step(f, name or f.__name__, options)

    return wrap(fn) if fn is not None else wrap


class StepOutput:
    """The placeholder a step call returns while a pipeline is being defined."""

    __slots__ = ("index", "node")

    def __init__(self, node: str, index: int | None = None) -> None:
        self.node = node
        self.index = index  # which output of a step with several

    def __bool__(self) -> bool:
        raise InvalidInputError(
            f"the output of step {self.node!r} has no value while the pipeline is defined; "
            "pass it to another step instead of testing or computing with it"
        )

    def __iter__(self) -> Any:
        raise InvalidInputError(
            f"the output of step {self.node!r} cannot be unpacked while the pipeline is "
            "defined; declare the step with @dl.step(outputs=N) to get N outputs"
        )

    def __repr__(self) -> str:
        which = "" if self.index is None else f"[{self.index}]"
        return f"<output of step {self.node}{which}>"


@dataclass(frozen=True, slots=True)
class Node:
    """One call of a step in the DAG: its unique name, the step, and its arguments."""

    name: str
    step: Step[..., Any]
    # argument -> (upstream node name, which of its outputs or None for the whole)
    upstream_args: Mapping[str, tuple[str, int | None]]
    literals: Mapping[str, Any]

    @property
    def upstream(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(node for node, _ in self.upstream_args.values()))


@dataclass
class Graph:
    """The DAG drawn by one definition of a pipeline, nodes in call (topological) order."""

    nodes: dict[str, Node] = field(default_factory=dict)

    def add(
        self, step: Step[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> StepOutput | tuple[StepOutput, ...]:
        try:
            bound = step.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise InvalidInputError(f"step {step.name!r} was called wrongly: {exc}") from None
        bound.apply_defaults()
        name = self._unique(step.name)
        upstream: dict[str, tuple[str, int | None]] = {}
        literals: dict[str, Any] = {}
        for arg, value in bound.arguments.items():
            if isinstance(value, StepOutput):
                upstream[arg] = (value.node, value.index)
            else:
                _no_nested_outputs(step.name, arg, value)
                literals[arg] = value
        self.nodes[name] = Node(name, step, upstream, literals)
        if step.options.outputs > 1:
            return tuple(StepOutput(name, i) for i in range(step.options.outputs))
        return StepOutput(name)

    def _unique(self, base: str) -> str:
        if base not in self.nodes:
            return base
        number = 2
        while f"{base}_{number}" in self.nodes:
            number += 1
        return f"{base}_{number}"

    def dependents(self, name: str) -> list[str]:
        return [n.name for n in self.nodes.values() if name in n.upstream]


def _no_nested_outputs(step: str, arg: str, value: Any) -> None:
    items: list[Any] = []
    if isinstance(value, list | tuple | set):
        items = list(value)
    elif isinstance(value, dict):
        items = list(value.values())
    if any(isinstance(v, StepOutput) for v in items):
        raise InvalidInputError(
            f"argument {arg!r} of step {step!r} holds step outputs inside a container; pass "
            "each output as its own argument so the pipeline can draw the edge"
        )


_building: contextvars.ContextVar[Graph | None] = contextvars.ContextVar(
    "driftloop_pipeline_graph", default=None
)


class Pipeline(Generic[P]):
    """A function made a pipeline by :func:`pipeline`: its parameters are the run's params."""

    def __init__(self, fn: Callable[P, Any], name: str) -> None:
        self.fn = fn
        self.name = name
        self.signature = inspect.signature(fn)
        functools.update_wrapper(self, fn)

    @property
    def target(self) -> str:
        """``module:attr`` (or ``path/script.py:attr``) where this pipeline is found again."""
        return code_ref(self.fn)

    def build(self, params: Mapping[str, Any]) -> Graph:
        """Draw the DAG for checked ``params`` (no step runs)."""
        graph = Graph()
        token = _building.set(graph)
        try:
            self.fn(**params)  # type: ignore[call-arg]
        finally:
            _building.reset(token)
        if not graph.nodes:
            raise InvalidInputError(
                f"pipeline {self.name!r} called no step; decorate its steps with @dl.step"
            )
        return graph

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Any:
        from driftloop.errors import InvalidInputError as _Invalid

        raise _Invalid(
            f"pipeline {self.name!r} is started with dl.run_pipeline({self.name}, params) or "
            f"`driftloop pipelines run {self.target}`, not called"
        )

    def __repr__(self) -> str:
        return f"<driftloop pipeline {self.name} ({self.target})>"


@overload
def pipeline(fn: Callable[P, Any], /) -> Pipeline[P]: ...


@overload
def pipeline(*, name: str | None = None) -> Callable[[Callable[P, Any]], Pipeline[P]]: ...


def pipeline(
    fn: Callable[P, Any] | None = None, /, *, name: str | None = None
) -> Pipeline[P] | Callable[[Callable[P, Any]], Pipeline[P]]:
    """Make a plain function a pipeline; the steps it calls and the values it passes
    between them are the DAG. Its typed parameters are checked before anything runs.

    Example::

        @dl.pipeline
        def training(max_depth: int = 6):
            data = load()
            model = train(data, max_depth=max_depth)
            evaluate(model, data)
    """

    def wrap(f: Callable[P, Any]) -> Pipeline[P]:
        return Pipeline(f, name or f.__name__)

    return wrap(fn) if fn is not None else wrap
