"""Suite parameters are checked (pydantic, extra="forbid") with the key and value named."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftloop.data import Suite
from driftloop.data._suite import Expectation
from driftloop.errors import InvalidInputError


def _suite_file(tmp_path: Path, expectation: str) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(f"name: s\nexpectations:\n  - {expectation}\n")
    return path


@pytest.mark.parametrize(
    ("expectation", "message"),
    [
        # A string is not a set of its characters.
        ("{kind: in_set, column: c, values: abc}", r"'values' got 'abc'.*a list"),
        ("{kind: not_null, column: c, max_fraction: lots}", r"'max_fraction' got 'lots'"),
        ("{kind: not_null, column: c, max_fraction: 1.5}", r"'max_fraction' got 1\.5"),
        ("{kind: no_drift, column: c, reference: d@1, max_psi: '0.2'}", r"'max_psi' got '0\.2'"),
        ("{kind: no_drift, column: c, reference: d@1, max_psi: true}", r"'max_psi' got True"),
        ("{kind: matches, column: c, regex: '(unclosed'}", r"'regex' got '\(unclosed'.*regular"),
        ("{kind: row_count_between, min: 1.5}", r"'min' got 1\.5"),
        ("{kind: quantile_between, column: c, min: 0}", r"'q' is missing"),
        ("{kind: unique, column: c, colour: red}", r"unknown parameter 'colour' \(value 'red'\)"),
        ("{kind: between, column: [a, b]}", r"'column' got \['a', 'b'\]"),
    ],
)
def test_a_wrong_parameter_is_named_with_its_value(
    tmp_path: Path, expectation: str, message: str
) -> None:
    path = _suite_file(tmp_path, expectation)
    with pytest.raises(
        InvalidInputError, match=r"suite\.yaml: item 1 of 'expectations': .*" + message
    ):
        Suite.from_yaml(path)


def test_the_message_lists_what_the_kind_takes(tmp_path: Path) -> None:
    path = _suite_file(tmp_path, "{kind: in_set, column: c, value: [a]}")
    with pytest.raises(InvalidInputError) as info:
        Suite.from_yaml(path)
    assert "unknown parameter 'value'" in str(info.value)
    assert "'values' is missing" in str(info.value)
    assert "It takes column, values" in str(info.value)


def test_an_unknown_kind_lists_the_kinds(tmp_path: Path) -> None:
    with pytest.raises(
        InvalidInputError, match=r"unknown expectation kind 'shiny'.*in_set.*no_drift"
    ):
        Suite.from_yaml(_suite_file(tmp_path, "{kind: shiny, column: c}"))


def test_unknown_and_missing_top_level_keys_are_named(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text("name: s\nexpectation: []\n")
    with pytest.raises(InvalidInputError) as info:
        Suite.from_yaml(path)
    assert "unknown key 'expectation'" in str(info.value)
    assert "missing key 'expectations'" in str(info.value)
    path.write_text("name: s\nexpectations: [1]\n")
    with pytest.raises(InvalidInputError, match=r"expectations\.0"):
        Suite.from_yaml(path)


def test_python_builders_are_checked_the_same_way() -> None:
    with pytest.raises(InvalidInputError, match=r"'values' got 'abc'"):
        Suite("s").in_set("c", "abc")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"'max_fraction' got 'lots'"):
        Suite("s").not_null("c", "lots")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"'max_psi' got '0.2'"):
        Suite("s").no_drift("c", "d@1", max_psi="0.2")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"unknown expectation kind 'shiny'"):
        Suite("s").expect("shiny", column="c")


def test_valid_suites_keep_their_values() -> None:
    suite = (
        Suite("s")
        .in_set("c", ("a", "b"))
        .not_null("d", 0)
        .between("e", "2020-01-01", None)
        .no_drift("f", "d@1")
    )
    assert suite.expectations[0].params == {"column": "c", "values": ["a", "b"]}
    assert suite.expectations[1].params == {"column": "d", "max_fraction": 0}
    assert suite.expectations[2].params == {"column": "e", "min": "2020-01-01"}
    assert Suite.from_dict(suite.to_dict()).to_dict() == suite.to_dict()
    assert Expectation("in_set", {"column": "c", "values": [1, 2.5, True]}).params["values"] == [
        1,
        2.5,
        True,
    ]
