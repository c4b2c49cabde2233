"""Records of the datasets context: versions and references to them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from driftloop._refs import Ref, without_alias
from driftloop._refs import parse_ref as _parse_ref
from driftloop.errors import InvalidInputError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,255}$")


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    """One immutable version of a named dataset, stored as Parquet in the artifact store.

    ``digest`` identifies the content: logging the same bytes again returns this version.
    ``schema`` maps each column to its Arrow type string.
    """

    name: str
    version: int
    digest: str
    num_rows: int
    num_bytes: int
    schema: dict[str, str]
    source: str | None
    parent_version: int | None
    created_by: str
    run_id: str | None
    created_at: datetime

    @property
    def ref(self) -> str:
        """The printable reference ``"name@version"``."""
        return f"{self.name}@{self.version}"


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or "@" in name:
        raise InvalidInputError(
            f"dataset name {name!r} is not valid; use letters, digits, '_', '-', '.', '/' "
            "(up to 256 characters, starting with a letter or digit)"
        )
    return name


def parse_ref(ref: str) -> tuple[str, int | None]:
    """``"name@3"`` -> ("name", 3); ``"name@latest"`` and ``"name"`` -> ("name", None).

    The grammar is :func:`driftloop._refs.parse_ref`'s; datasets have no alias but
    ``latest``, so any other alias is a :class:`NotFoundError`.
    """
    parsed = parse_dataset_ref(ref)
    return parsed.name, parsed.version


def parse_dataset_ref(ref: str) -> Ref:
    """``ref`` as a :class:`Ref` whose ``alias`` is always ``None``."""
    parsed = _parse_ref(ref, "dataset", check_name)
    return without_alias(parsed, "dataset", "datasets", "driftloop data versions")
