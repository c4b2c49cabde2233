"""Model references: ``name@3``, ``name@alias``, ``name`` and the MLflow-compatible URIs.

The short forms follow the one grammar of :mod:`driftloop._refs` (``name@latest`` is
the latest). For MLflow compatibility ``models:/name@alias``, ``models:/name/3``,
``models:/name/latest`` and ``runs:/<id>/model`` are accepted too, and so is the
older short form ``name/3`` (deprecated, accepted silently). References print in the
canonical short form (``str(ref)``); :func:`model_uri` gives the ``models:/`` URI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from driftloop._refs import ALIAS_PATTERN, LATEST, Ref, invalid_ref, parse_ref
from driftloop.errors import InvalidInputError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,255}$")
RESERVED_ALIASES = (LATEST,)

# A model reference is the shared Ref; the name is kept for the public API.
ModelRef = Ref


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
    if not isinstance(alias, str) or not ALIAS_PATTERN.match(alias) or alias in RESERVED_ALIASES:
        raise InvalidInputError(
            f"alias {alias!r} is not allowed; use a name like 'champion' (letters, digits, '_' "
            "and '-', starting with a letter; not 'latest' and not a number)"
        )
    return alias


def model_uri(ref: Ref) -> str:
    """The MLflow-style URI of ``ref``: ``models:/name/3``, ``models:/name@alias``, ..."""
    if ref.alias is not None:
        return f"models:/{ref.name}@{ref.alias}"
    return f"models:/{ref.name}/{ref.version if ref.version is not None else LATEST}"


def parse_model_uri(uri: str) -> Ref | RunModelRef:
    """Parse ``name``, ``name@3``, ``name@alias``, ``name/3`` or a ``models:/``/``runs:/`` URI."""
    if isinstance(uri, str) and uri.startswith("runs:/"):
        run_id, _, path = uri.removeprefix("runs:/").strip("/").partition("/")
        if not run_id:
            raise InvalidInputError(f"model URI {uri!r} names no run; use runs:/<run_id>/model")
        return RunModelRef(run_id, path.strip("/") or "model")
    if not isinstance(uri, str):
        return parse_ref(uri, "model")  # raises: not a reference
    body = uri.removeprefix("models:/")
    body = body.rstrip("/") if body != uri else body
    if "/" in body and "@" not in body:
        return _slash_form(uri, body)
    return parse_ref(body, "model", check_model_name)


def _slash_form(uri: str, body: str) -> Ref:
    """``name/3`` and ``name/latest``: MLflow's version path (and the old short form)."""
    name, _, version = body.partition("/")
    if not name:
        raise invalid_ref(uri, "model", "it has no name", "churn@3")
    check_model_name(name)
    if version == LATEST:
        return Ref(name)
    if not version.isdigit() or int(version) < 1 or version != str(int(version)):
        raise invalid_ref(uri, "model", f"version {version!r} is not a number from 1", "churn@3")
    return Ref(name, version=int(version))
