"""Model URIs and short references."""

from __future__ import annotations

import pytest

from driftloop.errors import InvalidInputError
from driftloop.registry import ModelRef, RunModelRef, parse_model_uri


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("models:/churn@champion", ModelRef("churn", alias="champion")),
        ("models:/churn/3", ModelRef("churn", version=3)),
        ("models:/churn/latest", ModelRef("churn")),
        ("churn/3", ModelRef("churn", version=3)),
        ("churn", ModelRef("churn")),
        ("runs:/abc123/model", RunModelRef("abc123", "model")),
        ("runs:/abc123/nested/clf", RunModelRef("abc123", "nested/clf")),
    ],
)
def test_uris_parse(uri: str, expected: object) -> None:
    assert parse_model_uri(uri) == expected


@pytest.mark.parametrize(
    "uri", ["models:/churn/0", "models:/churn/x", "models:/bad name/1", "churn@latest", "churn@1"]
)
def test_bad_uris_are_refused_with_the_form_to_use(uri: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_model_uri(uri)


def test_uri_round_trips_through_str() -> None:
    for uri in (
        "models:/churn@champion",
        "models:/churn/2",
        "models:/churn/latest",
        "runs:/r1/model",
    ):
        assert str(parse_model_uri(uri)) == uri
