"""The one reference grammar: name, name@<int>, name@<alias>, name@latest."""

from __future__ import annotations

import pytest

from driftloop._refs import Ref, parse_ref
from driftloop.data import parse_ref as parse_dataset_ref
from driftloop.errors import InvalidInputError, NotFoundError
from driftloop.features._models import parse_view_ref
from driftloop.registry import parse_model_uri


@pytest.mark.parametrize(
    ("text", "expected", "canonical"),
    [
        ("churn", Ref("churn"), "churn"),
        ("churn@3", Ref("churn", version=3), "churn@3"),
        ("churn@12", Ref("churn", version=12), "churn@12"),
        ("churn@champion", Ref("churn", alias="champion"), "churn@champion"),
        ("churn@latest", Ref("churn"), "churn"),
        ("churn@_b-2", Ref("churn", alias="_b-2"), "churn@_b-2"),
    ],
)
def test_the_grammar_parses_and_prints_canonically(
    text: str, expected: Ref, canonical: str
) -> None:
    parsed = parse_ref(text, "model")
    assert parsed == expected and str(parsed) == canonical
    assert parse_ref(str(parsed), "model") == parsed


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("name@", "nothing follows"),
        ("@3", "no name"),
        ("name@-1", "not a number from 1"),
        ("name@0", "not a number from 1"),
        ("name@007", "not a number from 1"),
        ("a@b@c", "more than one '@'"),
        ("a@b c", "neither a version number nor an alias"),
    ],
)
def test_malformed_refs_name_the_value_and_show_the_grammar(text: str, why: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_ref(text, "dataset")
    message = str(caught.value)
    assert f"dataset reference {text!r}" in message and why in message
    assert "NAME@VERSION (a number from 1) or NAME@ALIAS" in message


def test_every_context_parses_with_the_same_grammar() -> None:
    assert parse_dataset_ref("flights@2") == ("flights", 2)
    assert parse_dataset_ref("flights@latest") == parse_dataset_ref("flights") == ("flights", None)
    assert parse_view_ref("weather@2") == Ref("weather", version=2)
    assert parse_model_uri("churn@2") == Ref("churn", version=2)
    for parse in (parse_dataset_ref, parse_view_ref, parse_model_uri):
        for bad in ("x@", "@3", "x@-1", "x@0", "a@b@c", ""):
            with pytest.raises(InvalidInputError, match=r"NAME@VERSION"):
                parse(bad)


def test_kinds_without_aliases_say_which_aliases_exist() -> None:
    with pytest.raises(NotFoundError, match=r"dataset 'flights' has no alias 'prod'.*'latest'"):
        parse_dataset_ref("flights@prod")
    with pytest.raises(NotFoundError, match=r"feature view 'weather' has no alias 'prod'"):
        parse_view_ref("weather@prod")
    assert parse_model_uri("churn@prod") == Ref("churn", alias="prod")  # models have aliases


def test_context_name_rules_still_apply() -> None:
    with pytest.raises(InvalidInputError, match="model name 'bad name'"):
        parse_model_uri("bad name@2")
    with pytest.raises(InvalidInputError, match="feature view name 'bad-name'"):
        parse_view_ref("bad-name@2")
    with pytest.raises(InvalidInputError, match="dataset name"):
        parse_dataset_ref("-x@2")
