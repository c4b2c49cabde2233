"""Records of monitoring: monitor specs, computed windows, alert rules and alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from driftloop.errors import InvalidInputError
from driftloop.monitoring._thresholds import DriftThresholds

SEVERITIES = ("info", "warning", "critical")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str, what: str = "window") -> timedelta:
    """``"15m"``, ``"1h"``, ``"7d"``, ``"2w"`` as a timedelta; ``what`` names it in errors."""
    unit = text[-1:] if isinstance(text, str) else ""
    if unit not in _UNITS or not text[:-1].isdigit() or int(text[:-1]) <= 0:
        raise InvalidInputError(
            f"{what} {text!r} is not a duration; write a positive number and a unit of "
            f"{list(_UNITS)}, like '1h' or '7d'"
        )
    return timedelta(seconds=int(text[:-1]) * _UNITS[unit])


@dataclass(frozen=True, slots=True)
class MonitorSpec:
    """What a monitor watches and how: its reference, windows and options.

    ``reference`` is a dataset version (``flights@3``); None means the training set of
    the model version that served each window, found through the registry's lineage.
    Windows are by time (``window="1d"``, aligned to the epoch) or by count
    (``window_rows=10000`` consecutive logged rows).
    """

    endpoint: str
    reference: str | None = None
    window: str | None = "1d"
    window_rows: int | None = None
    features: tuple[str, ...] | None = None
    categorical: tuple[str, ...] = ()
    target: str | None = None
    group_by: str | None = None
    positive: Any = None
    max_rows: int = 1_000_000
    thresholds: DriftThresholds = field(default_factory=DriftThresholds)

    def __post_init__(self) -> None:
        if (self.window is None) == (self.window_rows is None):
            raise InvalidInputError("give a monitor either window='1d' or window_rows=N, not both")
        if self.window is not None:
            parse_duration(self.window)
        if self.window_rows is not None and self.window_rows <= 0:
            raise InvalidInputError(f"window_rows must be positive; got {self.window_rows}")
        if self.max_rows <= 0:
            raise InvalidInputError(f"max_rows must be positive; got {self.max_rows}")

    def to_dict(self) -> dict[str, Any]:
        t = self.thresholds
        return {
            "endpoint": self.endpoint,
            "reference": self.reference,
            "window": self.window,
            "window_rows": self.window_rows,
            "features": list(self.features) if self.features is not None else None,
            "categorical": list(self.categorical),
            "target": self.target,
            "group_by": self.group_by,
            "positive": self.positive,
            "max_rows": self.max_rows,
            "thresholds": {k: getattr(t, k) for k in t.__slots__},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MonitorSpec:
        values = dict(data)
        values["thresholds"] = DriftThresholds(**values.get("thresholds", {}))
        if values.get("features") is not None:
            values["features"] = tuple(values["features"])
        values["categorical"] = tuple(values.get("categorical", ()))
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Monitor:
    name: str
    spec: MonitorSpec
    is_enabled: bool
    created_by: str
    created_at: datetime
    # Set while the monitor is deleted (``ws.monitoring.delete``): who, and when.
    deleted_at: datetime | None = None
    deleted_by: str | None = None


@dataclass(frozen=True, slots=True)
class MonitorWindow:
    """One computed window of one model version and route."""

    monitor: str
    endpoint: str
    model_name: str
    model_version: int
    route: str
    start: datetime
    end: datetime
    rows: int
    labeled_rows: int
    metrics: dict[str, float]
    summary: dict[str, Any]
    computed_at: datetime


@dataclass(frozen=True, slots=True)
class AlertRule:
    """Fire when ``metric`` is beyond ``threshold`` for ``for_windows`` windows in a row.

    ``metric`` names a series of the monitor (``drift.share``, ``drift.distance``,
    ``accuracy``, ``estimated.accuracy``, ``latency_p95``, ``error_rate``...);
    ``above=True`` fires on values over the threshold, False on values under it.
    Alerts go to the log always, to ``webhook`` (POST, retried) and, as an ``alert``
    event, to every pipeline trigger listening to this rule.
    """

    name: str
    monitor: str
    metric: str
    threshold: float
    above: bool = True
    for_windows: int = 1
    severity: str = "warning"
    webhook: str | None = None
    # Set on a stored rule while it is deleted: who deleted it, and when.
    deleted_at: datetime | None = field(default=None, compare=False)
    deleted_by: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise InvalidInputError(f"severity {self.severity!r} is not one of {list(SEVERITIES)}")
        if self.for_windows < 1:
            raise InvalidInputError(f"for_windows must be at least 1; got {self.for_windows}")
        if self.webhook is not None and not self.webhook.startswith(("http://", "https://")):
            raise InvalidInputError(f"webhook {self.webhook!r} must be an http(s) URL")

    def breached(self, value: float) -> bool:
        return value > self.threshold if self.above else value < self.threshold


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert of a rule: firing until ``resolved_at``; ``deliveries`` says where it went."""

    id: str
    rule: str
    monitor: str
    endpoint: str
    model_version: int
    route: str
    severity: str
    metric: str
    value: float
    threshold: float
    window_start: datetime
    fired_at: datetime
    resolved_at: datetime | None
    deliveries: list[dict[str, Any]]

    @property
    def state(self) -> str:
        return "firing" if self.resolved_at is None else "resolved"
