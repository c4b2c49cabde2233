"""Loop policies: what starts a retraining, what it trains on, how the challenger is judged
and rolled out, and how long the loop rests afterwards.

A policy is plain data (frozen dataclasses) so the decision functions that read it stay
pure; :func:`parse_policy` turns a ``[[loop]]`` table of ``driftloop.toml`` (or a dict
written in Python) into one, refusing unknown keys and naming the offending one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from driftloop.errors import InvalidInputError

TriggerKind = Literal["alert", "dataset", "schedule"]

# Metrics where a smaller value is the better model; every other gate metric is "higher wins".
LOWER_IS_BETTER = frozenset({"log_loss", "mae", "rmse", "mse", "brier"})


@dataclass(frozen=True, slots=True)
class LoopTrigger:
    """``alert``: an alert rule name; ``dataset``: a dataset name; ``schedule``: a cron line."""

    kind: TriggerKind
    source: str


@dataclass(frozen=True, slots=True)
class DataWindow:
    """What the challenger trains on: the latest ``weeks`` of labeled traffic, or a dataset."""

    weeks: int | None = None
    dataset: str | None = None


@dataclass(frozen=True, slots=True)
class GateSpec:
    """The challenger must beat the champion on ``metric`` by ``min_improvement`` (absolute)
    on the ``recent_rows`` latest labeled requests and, if given, on a fixed ``holdout``
    dataset (labels in ``holdout_label``); and pass the validation ``suite`` (a suite file,
    checked on the challenger's training data), the bound on the gap in positive rate
    between groups of ``fairness_attribute``, and the p99 latency bound that are set."""

    metric: str = "roc_auc"
    min_improvement: float = 0.0
    recent_rows: int = 5000
    holdout: str | None = None
    holdout_label: str = "label"
    suite: str | None = None
    fairness_attribute: str | None = None
    max_fairness_gap: float | None = None
    max_latency_ms: float | None = None

    @property
    def higher_is_better(self) -> bool:
        return self.metric not in LOWER_IS_BETTER


@dataclass(frozen=True, slots=True)
class RolloutSpec:
    """The canary gets ``canary_weight`` of traffic until it has answered ``min_requests``
    requests with at least ``min_labels`` labeled rows, no worse than the champion; it is
    rolled back at once on an error rate above ``max_error_rate``, a p99 latency above
    ``max_latency_ratio`` x the champion's, or a realized metric drop beyond
    ``max_metric_drop``; and rolled back unjudged if ``observe`` passes without
    ``min_requests`` requests, or ``label_wait`` more passes without ``min_labels`` labels."""

    canary_weight: float = 0.2
    min_requests: int = 200
    min_labels: int = 50
    observe: timedelta = timedelta(hours=1)
    label_wait: timedelta = timedelta(days=7)
    max_error_rate: float = 0.01
    max_latency_ratio: float = 1.5
    max_metric_drop: float = 0.01


@dataclass(frozen=True, slots=True)
class LoopPolicy:
    """The autopilot of one endpoint."""

    endpoint: str
    model: str
    pipeline: str
    triggers: tuple[LoopTrigger, ...]
    data: DataWindow = field(default_factory=DataWindow)
    params: dict[str, Any] = field(default_factory=dict)
    gate: GateSpec = field(default_factory=GateSpec)
    rollout: RolloutSpec = field(default_factory=RolloutSpec)
    cooldown: timedelta = timedelta(hours=24)
    require_approval: bool = False
    # An alert that stays firing (drift that a rejected challenger did not fix) starts
    # another retraining once the cooldown has passed, rather than never again.
    repeat_while_firing: bool = True


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _TriggerFile(_Strict):
    alert: str | None = None
    dataset: str | None = None
    schedule: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> _TriggerFile:
        given = [k for k in ("alert", "dataset", "schedule") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("a trigger names exactly one of alert, dataset or schedule")
        return self


class _GateFile(_Strict):
    metric: str = "roc_auc"
    min_improvement: float = 0.0
    recent_rows: int = Field(default=5000, ge=10)
    holdout: str | None = None
    holdout_label: str = "label"
    suite: str | None = None
    fairness_attribute: str | None = None
    max_fairness_gap: float | None = Field(default=None, ge=0)
    max_latency_ms: float | None = Field(default=None, gt=0)


class _RolloutFile(_Strict):
    canary_weight: float = Field(default=0.2, gt=0, lt=1)
    min_requests: int = Field(default=200, ge=1)
    min_labels: int = Field(default=50, ge=0)
    observe_minutes: float = Field(default=60.0, gt=0)
    label_wait_hours: float = Field(default=24.0 * 7, ge=0)
    max_error_rate: float = Field(default=0.01, ge=0, le=1)
    max_latency_ratio: float = Field(default=1.5, gt=0)
    max_metric_drop: float = Field(default=0.01, ge=0)


class _PolicyFile(_Strict):
    endpoint: str = Field(min_length=1)
    model: str = Field(min_length=1)
    pipeline: str = Field(min_length=1)
    triggers: list[_TriggerFile] = Field(min_length=1)
    train_weeks: int | None = Field(default=None, ge=1)
    train_dataset: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    gate: _GateFile = Field(default_factory=_GateFile)
    rollout: _RolloutFile = Field(default_factory=_RolloutFile)
    cooldown_hours: float = Field(default=24.0, ge=0)
    require_approval: bool = False
    repeat_while_firing: bool = True


def parse_policy(raw: dict[str, Any], where: str = "loop policy") -> LoopPolicy:
    """Build a :class:`LoopPolicy` from a ``driftloop.toml`` ``[[loop]]`` table or a dict.

    Raises:
        InvalidInputError: naming ``where``, the key and what is allowed.
    """
    try:
        parsed = _PolicyFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'policy'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInputError(f"{where} is invalid: {problems}") from None
    return LoopPolicy(
        endpoint=parsed.endpoint,
        model=parsed.model,
        pipeline=parsed.pipeline,
        triggers=tuple(_trigger(t) for t in parsed.triggers),
        data=DataWindow(weeks=parsed.train_weeks, dataset=parsed.train_dataset),
        params=dict(parsed.params),
        gate=GateSpec(**parsed.gate.model_dump()),
        rollout=_rollout(parsed.rollout),
        cooldown=timedelta(hours=parsed.cooldown_hours),
        require_approval=parsed.require_approval,
        repeat_while_firing=parsed.repeat_while_firing,
    )


def _trigger(raw: _TriggerFile) -> LoopTrigger:
    if raw.alert:
        return LoopTrigger("alert", raw.alert)
    if raw.dataset:
        return LoopTrigger("dataset", raw.dataset)
    assert raw.schedule  # _exactly_one guarantees one of the three
    return LoopTrigger("schedule", raw.schedule)


def _rollout(raw: _RolloutFile) -> RolloutSpec:
    values = raw.model_dump()
    observe = timedelta(minutes=values.pop("observe_minutes"))
    label_wait = timedelta(hours=values.pop("label_wait_hours"))
    return RolloutSpec(observe=observe, label_wait=label_wait, **values)


def policy_to_dict(policy: LoopPolicy) -> dict[str, Any]:
    """The ``[[loop]]`` table :func:`parse_policy` reads back into the same policy."""
    rollout = policy.rollout
    return {
        "endpoint": policy.endpoint,
        "model": policy.model,
        "pipeline": policy.pipeline,
        "triggers": [{t.kind: t.source} for t in policy.triggers],
        "train_weeks": policy.data.weeks,
        "train_dataset": policy.data.dataset,
        "params": dict(policy.params),
        "gate": {
            "metric": policy.gate.metric,
            "min_improvement": policy.gate.min_improvement,
            "recent_rows": policy.gate.recent_rows,
            "holdout": policy.gate.holdout,
            "holdout_label": policy.gate.holdout_label,
            "suite": policy.gate.suite,
            "fairness_attribute": policy.gate.fairness_attribute,
            "max_fairness_gap": policy.gate.max_fairness_gap,
            "max_latency_ms": policy.gate.max_latency_ms,
        },
        "rollout": {
            "canary_weight": rollout.canary_weight,
            "min_requests": rollout.min_requests,
            "min_labels": rollout.min_labels,
            "observe_minutes": rollout.observe.total_seconds() / 60,
            "label_wait_hours": rollout.label_wait.total_seconds() / 3600,
            "max_error_rate": rollout.max_error_rate,
            "max_latency_ratio": rollout.max_latency_ratio,
            "max_metric_drop": rollout.max_metric_drop,
        },
        "cooldown_hours": policy.cooldown.total_seconds() / 3600,
        "require_approval": policy.require_approval,
        "repeat_while_firing": policy.repeat_while_firing,
    }
