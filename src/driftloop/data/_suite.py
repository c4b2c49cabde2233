"""Validation suites: expectations declared in Python or YAML, and their results.

A suite file looks like::

    name: flights
    expectations:
      - {kind: column_exists, column: origin, type: string}
      - {kind: not_null, column: dep_delay, max_fraction: 0.05}
      - {kind: between, column: distance, min: 0, max: 5000}
      - {kind: no_drift, column: distance, reference: flights@1, max_psi: 0.2}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftloop.data._suite_schema import PARAMS, check_params, check_suite_file
from driftloop.errors import InvalidInputError

KINDS = tuple(sorted(PARAMS))


@dataclass(frozen=True, slots=True)
class Expectation:
    """One check: a ``kind`` from :data:`KINDS` and its parameters."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Validated here so YAML and the Python builders share one set of rules.
        object.__setattr__(self, "params", check_params(self.kind, dict(self.params)))

    @property
    def column(self) -> str | None:
        return self.params.get("column")

    def describe(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.kind}({args})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.params}


@dataclass
class Suite:
    """A named list of expectations, built fluently or loaded from YAML.

    Example::

        suite = (dl.Suite("flights").not_null("origin").between("distance", 0, 5000)
                 .in_set("origin", ["EWR", "JFK", "LGA"]).row_count_between(1000))
        dl.validate_dataset("flights@latest", suite).success
    """

    name: str
    expectations: list[Expectation] = field(default_factory=list)

    def expect(self, kind: str, **params: Any) -> Suite:
        self.expectations.append(
            Expectation(kind, {k: v for k, v in params.items() if v is not None})
        )
        return self

    def column_exists(self, column: str, type: str | None = None) -> Suite:
        return self.expect("column_exists", column=column, type=type)

    def not_null(self, column: str, max_fraction: float | None = None) -> Suite:
        return self.expect("not_null", column=column, max_fraction=max_fraction)

    def unique(self, column: str) -> Suite:
        return self.expect("unique", column=column)

    def between(self, column: str, min: Any = None, max: Any = None) -> Suite:
        return self.expect("between", column=column, min=min, max=max)

    def in_set(self, column: str, values: list[Any]) -> Suite:
        return self.expect("in_set", column=column, values=values)

    def matches(self, column: str, regex: str) -> Suite:
        return self.expect("matches", column=column, regex=regex)

    def row_count_between(self, min: int | None = None, max: int | None = None) -> Suite:
        return self.expect("row_count_between", min=min, max=max)

    def mean_between(
        self, column: str, min: float | None = None, max: float | None = None
    ) -> Suite:
        return self.expect("mean_between", column=column, min=min, max=max)

    def quantile_between(
        self, column: str, q: float, min: float | None = None, max: float | None = None
    ) -> Suite:
        return self.expect("quantile_between", column=column, q=q, min=min, max=max)

    def no_drift(
        self, column: str, reference: str, max_psi: float | None = 0.2, max_ks: float | None = None
    ) -> Suite:
        return self.expect(
            "no_drift", column=column, reference=reference, max_psi=max_psi, max_ks=max_ks
        )

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "expectations": [e.to_dict() for e in self.expectations]}

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    @classmethod
    def from_dict(cls, data: Any, where: str = "suite") -> Suite:
        """A suite from its dict form (as read from YAML), every key and value checked.

        Raises:
            InvalidInputError: naming the file, the expectation, the key and the value.
        """
        checked = check_suite_file(data, where)
        items = []
        for i, item in enumerate(checked.expectations, start=1):
            if "kind" not in item:
                raise InvalidInputError(
                    f"{where}: expectation {i} needs a 'kind' (one of {', '.join(KINDS)}), "
                    f"got {item!r}"
                )
            params = {k: v for k, v in item.items() if k != "kind"}
            try:
                items.append(Expectation(str(item["kind"]), params))
            except InvalidInputError as exc:
                raise InvalidInputError(f"{where}: item {i} of 'expectations': {exc}") from None
        return cls(checked.name or Path(where).stem, items)

    @classmethod
    def from_yaml(cls, path: str | Path) -> Suite:
        """Load a suite file (see the module docstring for its shape)."""
        import yaml

        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidInputError(f"{path}: cannot read the suite: {exc}") from exc
        return cls.from_dict(data, str(path))

    def digest(self) -> str:
        from driftloop.artifacts import hash_bytes

        return hash_bytes(json.dumps(self.to_dict(), sort_keys=True, default=str).encode())


@dataclass(frozen=True, slots=True)
class ExpectationResult:
    """The outcome of one expectation: what was observed and, on failure, bad rows."""

    expectation: Expectation
    success: bool
    observed: Any
    failing_count: int | None = None
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def message(self) -> str:
        state = "ok" if self.success else "FAILED"
        failing = "" if self.failing_count is None else f", {self.failing_count} failing rows"
        return f"{state}: {self.expectation.describe()} observed {self.observed!r}{failing}"


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """A suite's outcome on one dataset version; stored and linked to the version."""

    dataset: str
    suite: str
    success: bool
    results: list[ExpectationResult]

    @property
    def failures(self) -> list[ExpectationResult]:
        return [r for r in self.results if not r.success]
