"""Model URIs and short references: the shared grammar plus MLflow's URI forms."""

from __future__ import annotations

import pytest

from driftloop.errors import InvalidInputError
from driftloop.registry import ModelRef, RunModelRef, parse_model_uri
from driftloop.registry._uri import model_uri


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("models:/churn@champion", ModelRef("churn", alias="champion")),
        ("models:/churn/3", ModelRef("churn", version=3)),
        ("models:/churn/latest", ModelRef("churn")),
        ("models:/churn@3", ModelRef("churn", version=3)),
        ("models:/churn@latest", ModelRef("churn")),
        ("churn@3", ModelRef("churn", version=3)),
        ("churn@champion", ModelRef("churn", alias="champion")),
        ("churn@latest", ModelRef("churn")),
        ("churn/3", ModelRef("churn", version=3)),  # the deprecated short form still works
        ("churn", ModelRef("churn")),
        ("runs:/abc123/model", RunModelRef("abc123", "model")),
        ("runs:/abc123/nested/clf", RunModelRef("abc123", "nested/clf")),
    ],
)
def test_uris_parse(uri: str, expected: object) -> None:
    assert parse_model_uri(uri) == expected


@pytest.mark.parametrize(
    "uri",
    [
        "models:/churn/0",
        "models:/churn/x",
        "models:/bad name/1",
        "churn@",
        "@3",
        "churn@-1",
        "churn@0",
        "a@b@c",
        "",
        "churn/",
        "churn/-1",
        "models:/",
    ],
)
def test_bad_uris_are_refused_with_the_form_to_use(uri: str) -> None:
    with pytest.raises(InvalidInputError, match=r"NAME@VERSION|model name 'bad name'"):
        parse_model_uri(uri)


def test_refs_print_canonically_and_uris_round_trip() -> None:
    assert [str(parse_model_uri(u)) for u in ("models:/churn/2", "churn/2", "churn@latest")] == [
        "churn@2",
        "churn@2",
        "churn",
    ]
    assert str(parse_model_uri("runs:/r1/model")) == "runs:/r1/model"
    for uri in ("models:/churn@champion", "models:/churn/2", "models:/churn/latest"):
        ref = parse_model_uri(uri)
        assert isinstance(ref, ModelRef) and model_uri(ref) == uri
