"""Parameters are checked against the annotations before anything runs."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import driftloop as dl
from driftloop.pipelines._params import check_params, parse_assignments


def typed(
    depth: int,
    rate: float = 0.1,
    name: str = "x",
    flag: bool = False,
    grid: list[int] | None = None,
) -> None:
    """A pipeline function's signature."""


def _no_versions(kind: str, ref: str) -> Any:
    raise AssertionError("no version parameter here")


def test_values_of_the_annotated_types_pass_and_ints_are_fine_floats() -> None:
    values, record = check_params(typed, "p", {"depth": 3, "rate": 1}, _no_versions)
    assert values == {"depth": 3, "rate": 1.0, "name": "x", "flag": False, "grid": None}
    assert record["rate"] == 1.0


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({}, "needs parameter 'depth'"),
        ({"depth": "3"}, "parameter 'depth' of pipeline 'p' must be int; got '3'"),
        ({"depth": True}, "must be int"),
        ({"depth": 1, "rate": "fast"}, "'rate' of pipeline 'p' must be float"),
        ({"depth": 1, "colour": "red"}, "has no parameter 'colour'"),
    ],
)
def test_a_wrong_or_missing_parameter_is_named(given: dict[str, Any], message: str) -> None:
    with pytest.raises(dl.InvalidInputError, match=message):
        check_params(typed, "p", given, _no_versions)


def test_text_from_the_command_line_converts_to_the_annotated_type() -> None:
    texts = parse_assignments(["depth=4", "rate=0.5", "flag=yes", "grid=[1, 2]", "name=a=b"])
    values, _ = check_params(typed, "p", texts, _no_versions, from_text=True)
    assert values == {"depth": 4, "rate": 0.5, "name": "a=b", "flag": True, "grid": [1, 2]}
    with pytest.raises(dl.InvalidInputError, match="must be int; got 'four'"):
        check_params(typed, "p", {"depth": "four"}, _no_versions, from_text=True)
    with pytest.raises(dl.InvalidInputError, match="key=value"):
        parse_assignments(["depth"])


def test_a_dataset_parameter_resolves_to_one_version_when_the_run_starts(
    sqlite_workspace: dl.Workspace,
) -> None:
    def training(data: dl.DatasetVersion = "flights") -> None: ...  # type: ignore[assignment]

    resolve = sqlite_workspace.pipelines._resolve
    with pytest.raises(dl.InvalidInputError, match=r"parameter 'data'.*no dataset 'flights'"):
        check_params(training, "t", None, resolve)
    first = dl.log_dataset("flights", pd.DataFrame({"a": [1]}))
    dl.log_dataset("flights", pd.DataFrame({"a": [2]}))
    values, record = check_params(training, "t", {"data": "flights"}, resolve)
    assert record == {"data": "flights@2"}
    assert values["data"].version == 2
    values, record = check_params(training, "t", {"data": first}, resolve)
    assert record == {"data": "flights@1"}
