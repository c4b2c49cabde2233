"""The one reference grammar of datasets, feature views and models.

::

    name            the latest version
    name@3          version 3 (a number from 1)
    name@champion   what alias "champion" points at (models only, today)
    name@latest     the latest version: a reserved alias every kind has

The library, the CLI, the REST paths and the UI all parse references with
:func:`parse_ref`, and print them with ``str(ref)``, which gives the canonical form
above (``name@latest`` prints as ``name``). Contexts add their own name rules and
their own long forms (``models:/name/3``, kept for MLflow compatibility) on top.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from driftloop.errors import InvalidInputError, NotFoundError

LATEST = "latest"
GRAMMAR = "NAME (the latest), NAME@VERSION (a number from 1) or NAME@ALIAS"
# An alias starts with a letter or '_', so it can never be read as a version number.
ALIAS_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,127}$")
_VERSION = re.compile(r"^[1-9][0-9]*$")


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to one version: by ``version``, by ``alias``, or (neither) the latest.

    At most one of ``version`` and ``alias`` is set; ``alias`` is never ``"latest"``
    (that is the latest, both fields ``None``).
    """

    name: str
    version: int | None = None
    alias: str | None = None

    @property
    def is_latest(self) -> bool:
        return self.version is None and self.alias is None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}@{self.version}"
        if self.alias is not None:
            return f"{self.name}@{self.alias}"
        return self.name


def invalid_ref(text: object, kind: str, why: str, example: str = "churn@3") -> InvalidInputError:
    """The one error of a malformed reference: the value, what is wrong, and the grammar."""
    return InvalidInputError(
        f"{kind} reference {text!r} is not valid ({why}); use {GRAMMAR}, e.g. {example!r}"
    )


def parse_ref(text: str, kind: str, check_name: Callable[[str], object] | None = None) -> Ref:
    """Parse ``name``, ``name@<int>`` or ``name@<alias>`` into a :class:`Ref`.

    ``kind`` ("dataset", "feature view", "model") names the thing in error messages;
    ``check_name`` applies the context's name rules (it raises on a bad name).
    Raises :class:`InvalidInputError` for an empty reference, an empty name or
    suffix, more than one ``@``, a version below 1, or a suffix that is neither.
    """
    if not isinstance(text, str) or not text.strip():
        raise invalid_ref(text, kind, "it is empty")
    name, at, suffix = text.partition("@")
    if not name:
        raise invalid_ref(text, kind, "it has no name before '@'")
    if "@" in suffix:
        raise invalid_ref(text, kind, "it has more than one '@'")
    if at and not suffix:
        raise invalid_ref(text, kind, "nothing follows '@'")
    if check_name is not None:
        check_name(name)
    if not at or suffix == LATEST:
        return Ref(name)
    if _VERSION.match(suffix):
        return Ref(name, version=int(suffix))
    if suffix.lstrip("-+").isdigit():
        raise invalid_ref(text, kind, f"version {suffix!r} is not a number from 1")
    if not ALIAS_PATTERN.match(suffix):
        raise invalid_ref(
            text,
            kind,
            f"{suffix!r} is neither a version number nor an alias "
            "(letters, digits, '_' and '-', starting with a letter)",
        )
    return Ref(name, alias=suffix)


def without_alias(ref: Ref, kind: str, plural: str, listing: str) -> Ref:
    """``ref`` for a kind that has no aliases but ``latest`` (datasets, feature views).

    Raises :class:`NotFoundError` naming the alias asked for and the one that exists.
    """
    if ref.alias is None:
        return ref
    raise NotFoundError(
        f"{kind} {ref.name!r} has no alias {ref.alias!r}: {plural} have only the alias "
        f"'latest'; use {ref.name}@VERSION or {ref.name}@latest (see `{listing} {ref.name}`)"
    )
