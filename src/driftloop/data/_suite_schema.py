"""The parameters each expectation kind takes, checked by pydantic (``extra="forbid"``).

Suite files are user input: a parameter of the wrong type, an unknown key or an
unknown kind is refused with the key and the value named, before anything runs,
so a broken suite can never pass silently (``in_set`` given ``"abc"`` is refused,
not read as ``['a', 'b', 'c']``). Python :class:`~driftloop.data.Suite` builders go
through the same models.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
)
from pydantic import ValidationError as PydanticValidationError

from driftloop.errors import InvalidInputError

# int is accepted where a float is asked (1 means 1.0); bools and numeric strings are not.
Number = StrictInt | StrictFloat
Fraction = Annotated[Number, Field(ge=0, le=1)]
Bound = StrictInt | StrictFloat | datetime | date | StrictStr
Scalar = StrictStr | StrictInt | StrictFloat | bool | datetime | date


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Column(_Params):
    column: StrictStr


class ColumnExists(_Column):
    type: StrictStr | None = None


class NotNull(_Column):
    max_fraction: Fraction | None = None


class Unique(_Column):
    pass


class Between(_Column):
    min: Bound | None = None
    max: Bound | None = None


class InSet(_Column):
    values: Annotated[list[Scalar], Field(min_length=1)]

    @field_validator("values", mode="before")
    @classmethod
    def _a_list(cls, value: Any) -> Any:
        if isinstance(value, str | bytes | dict):
            raise ValueError("values must be a list such as ['EWR', 'JFK'], not one string")
        return list(value) if isinstance(value, tuple | set | frozenset) else value


class Matches(_Column):
    regex: StrictStr

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression ({exc})") from None
        return value


class RowCountBetween(_Params):
    min: Annotated[StrictInt, Field(ge=0)] | None = None
    max: Annotated[StrictInt, Field(ge=0)] | None = None


class MeanBetween(_Column):
    min: Number | None = None
    max: Number | None = None


class QuantileBetween(_Column):
    q: Fraction
    min: Number | None = None
    max: Number | None = None


class NoDrift(_Column):
    reference: StrictStr
    max_psi: Annotated[Number, Field(ge=0)] | None = None
    max_ks: Fraction | None = None


PARAMS: dict[str, type[_Params]] = {
    "column_exists": ColumnExists,
    "not_null": NotNull,
    "unique": Unique,
    "between": Between,
    "in_set": InSet,
    "matches": Matches,
    "row_count_between": RowCountBetween,
    "mean_between": MeanBetween,
    "quantile_between": QuantileBetween,
    "no_drift": NoDrift,
}


def _problem(error: Any) -> str:
    key = ".".join(str(part) for part in error["loc"][:1]) or "?"
    if error["type"] == "missing":
        return f"parameter {key!r} is missing"
    if error["type"] == "extra_forbidden":
        return f"unknown parameter {key!r} (value {error['input']!r})"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"parameter {key!r} got {error['input']!r}: {message}"


def check_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` checked against ``kind``; unset optional parameters dropped.

    Raises:
        InvalidInputError: unknown kind, unknown or missing parameter, or a wrong value;
            the message names each and lists what the kind takes.
    """
    model = PARAMS.get(kind)
    if model is None:
        raise InvalidInputError(
            f"unknown expectation kind {kind!r}; use one of {', '.join(sorted(PARAMS))}"
        )
    try:
        checked = model.model_validate(params)
    except PydanticValidationError as exc:
        problems = "; ".join(_problem(e) for e in exc.errors())
        raise InvalidInputError(
            f"expectation {kind!r}: {problems}. It takes {describe(kind)}"
        ) from None
    return {k: getattr(checked, k) for k in params if getattr(checked, k) is not None}


def describe(kind: str) -> str:
    """``column, values`` style list of a kind's parameters, optional ones marked."""
    fields = PARAMS[kind].model_fields
    return ", ".join(
        name if info.is_required() else f"{name} (optional)" for name, info in fields.items()
    )


class SuiteFile(BaseModel):
    """The top level of a suite file; expectations are checked one by one after this."""

    model_config = ConfigDict(extra="forbid")

    name: StrictStr | None = None
    expectations: list[dict[str, Any]]


def check_suite_file(data: Any, where: str) -> SuiteFile:
    """The top level of a suite file, or an error naming the file and the bad key."""
    try:
        return SuiteFile.model_validate(data)
    except PydanticValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]) or "the file"
            if error["type"] == "extra_forbidden":
                problems.append(f"unknown key {key!r}")
            elif error["type"] == "missing":
                problems.append(f"missing key {key!r}")
            else:
                problems.append(f"{key}: {error['msg']} (got {error['input']!r})")
        raise InvalidInputError(
            f"{where}: {'; '.join(problems)}; a suite file is a mapping with 'name' and a "
            "list 'expectations' of {kind: ..., <parameters>}"
        ) from None
