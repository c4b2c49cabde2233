"""Model URIs: models:/name@alias, models:/name/3, models:/name/latest, runs:/<id>/model.

The CLI also accepts the short forms ``name/3``, ``name@alias`` and ``name``
(the latest version).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from driftloop.errors import InvalidInputError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,255}$")
_ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,127}$")
RESERVED_ALIASES = ("latest",)


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A registered model version: exactly one of ``version``, ``alias`` or latest."""

    name: str
    version: int | None = None
    alias: str | None = None

    @property
    def is_latest(self) -> bool:
        return self.version is None and self.alias is None

    def __str__(self) -> str:
        if self.alias:
            return f"models:/{self.name}@{self.alias}"
        return f"models:/{self.name}/{self.version if self.version is not None else 'latest'}"


@dataclass(frozen=True, slots=True)
class RunModelRef:
    """A model logged in a run, registered or not."""

    run_id: str
    artifact_path: str

    def __str__(self) -> str:
        return f"runs:/{self.run_id}/{self.artifact_path}"


def check_model_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInputError(
            f"model name {name!r} is not allowed; use letters, digits, '.', '_' and '-' "
            "(starting with a letter or digit, at most 256 characters)"
        )
    return name


def check_alias(alias: str) -> str:
    if not isinstance(alias, str) or not _ALIAS.match(alias) or alias in RESERVED_ALIASES:
        raise InvalidInputError(
            f"alias {alias!r} is not allowed; use a name like 'champion' (letters, digits, '_' "
            "and '-', starting with a letter; not 'latest' and not a number)"
        )
    return alias


def parse_model_uri(uri: str) -> ModelRef | RunModelRef:
    """Parse a full URI or a short ``name/3`` / ``name@alias`` / ``name`` reference."""
    if not isinstance(uri, str) or not uri:
        raise InvalidInputError(f"model URI {uri!r} is empty; use e.g. models:/churn@champion")
    if uri.startswith("runs:/"):
        run_id, _, path = uri.removeprefix("runs:/").strip("/").partition("/")
        if not run_id:
            raise InvalidInputError(f"model URI {uri!r} names no run; use runs:/<run_id>/model")
        return RunModelRef(run_id, path.strip("/") or "model")
    body = uri.removeprefix("models:/").strip("/")
    if "@" in body:
        name, alias = body.split("@", 1)
        return ModelRef(check_model_name(name), alias=check_alias(alias))
    name, _, version = body.partition("/")
    check_model_name(name)
    if version in ("", "latest"):
        return ModelRef(name)
    if not version.isdigit() or int(version) < 1:
        raise InvalidInputError(
            f"model URI {uri!r} has version {version!r}; use a number from 1, 'latest', or @alias"
        )
    return ModelRef(name, version=int(version))
