"""Pipeline parameters: checked against the pipeline's annotations before anything runs.

Values from the command line (``-p key=value``) arrive as text and are converted to
the annotated type; values from Python must already have it (an int is a fine float).
A parameter annotated ``DatasetVersion`` or ``ModelVersion`` takes a reference
(``"flights"``, ``"flights@3"``, ``"churn@champion"``) resolved to one version when the
run starts, so the run records which version it used and the cache sees a new one.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from driftloop.errors import InvalidInputError, NotFoundError

# kind ("dataset_version" | "model_version") and ref -> the resolved version
Resolver = Callable[[str, str], Any]

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _version_kind(annotation: Any) -> str | None:
    name = getattr(annotation, "__name__", "")
    module = getattr(annotation, "__module__", "")
    if module.startswith("driftloop.data") and name == "DatasetVersion":
        return "dataset_version"
    if module.startswith("driftloop.registry") and name == "ModelVersion":
        return "model_version"
    return None


def _from_text(name: str, annotation: Any, text: str) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(options) < len(typing.get_args(annotation)) and text.lower() in ("none", "null"):
            return None
        return _from_text(name, options[0], text) if len(options) == 1 else text
    if annotation is bool:
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise InvalidInputError(f"parameter {name!r} must be true or false; got {text!r}")
    if annotation in (int, float):
        try:
            return annotation(text)
        except ValueError:
            raise InvalidInputError(
                f"parameter {name!r} must be {annotation.__name__}; got {text!r}"
            ) from None
    origin = typing.get_origin(annotation) or annotation
    if origin in (list, dict, tuple):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise InvalidInputError(
                f"parameter {name!r} must be JSON for {annotation}; got {text!r}"
            ) from None
    return text


def _accepts(annotation: Any, value: Any) -> bool:
    if annotation is Any or annotation is typing.Any:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return any(_accepts(a, value) for a in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    check = origin or annotation
    return isinstance(check, type) and isinstance(value, check)


def _describe(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation)


def check_params(
    fn: Callable[..., Any],
    pipeline: str,
    given: Mapping[str, Any] | None,
    resolve: Resolver,
    *,
    from_text: bool = False,
    partial: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The call arguments of ``fn`` and their JSON record, or a clear error naming the param.

    Returns (values to call with, values to record: versions as their refs). ``partial``
    checks the params given and lets required ones be missing (given later, e.g. by a
    webhook firing a trigger); they are then absent from both.
    """
    import inspect

    given = dict(given or {})
    signature = inspect.signature(fn)
    hints = typing.get_type_hints(fn)
    unknown = sorted(set(given) - set(signature.parameters))
    if unknown:
        known = ", ".join(signature.parameters) or "none"
        raise InvalidInputError(
            f"pipeline {pipeline!r} has no parameter {unknown[0]!r} (parameters: {known})"
        )
    values: dict[str, Any] = {}
    record: dict[str, Any] = {}
    for name, parameter in signature.parameters.items():
        if name in given:
            value = given[name]
        elif parameter.default is not inspect.Parameter.empty:
            value = parameter.default
        elif partial:
            continue
        else:
            raise InvalidInputError(
                f"pipeline {pipeline!r} needs parameter {name!r}; give it with -p {name}=VALUE "
                f"or params={{{name!r}: ...}}"
            )
        annotation = hints.get(name, Any)
        values[name], record[name] = _check_one(
            pipeline, name, annotation, value, resolve, from_text and name in given
        )
    return values, record


def _check_one(
    pipeline: str, name: str, annotation: Any, value: Any, resolve: Resolver, is_text: bool
) -> tuple[Any, Any]:
    kind = _version_kind(annotation)
    if kind is not None:
        if _version_kind(type(value)) == kind:
            return value, value.ref
        if not isinstance(value, str):
            raise InvalidInputError(
                f"parameter {name!r} of pipeline {pipeline!r} must be a {_describe(annotation)} "
                f"or a reference like 'name@3'; got {type(value).__name__}"
            )
        try:
            version = resolve(kind, value)
        except NotFoundError as exc:
            raise InvalidInputError(f"parameter {name!r}: {exc}") from None
        return version, version.ref
    if is_text and isinstance(value, str):
        value = _from_text(name, annotation, value)
    if not _accepts(annotation, value):
        raise InvalidInputError(
            f"parameter {name!r} of pipeline {pipeline!r} must be {_describe(annotation)}; "
            f"got {value!r} ({type(value).__name__})"
        )
    if isinstance(value, int | float) and annotation is float:
        value = float(value)
    return value, _jsonable(value)


def _jsonable(value: Any) -> Any:
    from driftloop._serialization import to_jsonable

    return to_jsonable(value)


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """``["a=1", "b=x"]`` (the CLI's ``-p``) as a mapping; a pair without ``=`` is refused."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"parameter {pair!r} must look like key=value")
        out[key.strip()] = value
    return out
