"""Records of the datasets context: versions and references to them."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from driftloop._refs import Ref, without_alias
from driftloop._refs import parse_ref as _parse_ref
from driftloop.errors import InvalidInputError, NotFoundError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,255}$")


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    """One immutable version of a named dataset, stored as Parquet in the artifact store.

    ``digest`` identifies the content: logging the same bytes again returns this version.
    ``schema`` maps each column to its Arrow type string. ``profile_pending`` is true
    while the profile is still being computed (in the background, or on first use).
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
    # Not part of equality: the same version is pending, then not, as its profile lands.
    profile_pending: bool = field(default=False, compare=False)
    # Set while the version is deleted (``ws.datasets.delete``): who, and when.
    deleted_at: datetime | None = field(default=None, compare=False)
    deleted_by: str | None = field(default=None, compare=False)

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


@dataclass(frozen=True, slots=True)
class ColumnProfile:
    """The statistics of one column in a :class:`Profile` (``None`` where not computed)."""

    name: str
    kind: str  # numeric, categorical, temporal, boolean, other
    type: str
    count: int | None
    null_fraction: float
    distinct: int | None
    minimum: Any
    maximum: Any
    mean: float | None
    std: float | None


# eq=False: equality is Mapping's, so a Profile equals the stored dict it wraps.
@dataclass(frozen=True, slots=True, eq=False)
class Profile(Mapping[str, Any]):
    """A version's profile: typed access over the stored JSON, which keeps its shape.

    It is also a read-only mapping of that JSON (``profile["columns"]``), so code and
    scripts written against the stored form keep working; ``--json`` prints it as is.
    """

    data: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def num_rows(self) -> int:
        return int(self.data.get("num_rows", 0))

    @property
    def num_columns(self) -> int:
        return int(self.data.get("num_columns", len(self.data.get("columns", {}))))

    @property
    def null_fraction(self) -> float:
        return float(self.data.get("null_fraction", 0.0))

    @property
    def column_names(self) -> list[str]:
        return list(self.data.get("columns", {}))

    def column(self, name: str) -> ColumnProfile:
        """One column's statistics.

        Raises:
            NotFoundError: the profile has no column ``name``; the message lists them.
        """
        stats = self.data.get("columns", {}).get(name)
        if stats is None:
            raise NotFoundError(
                f"the profile has no column {name!r}; it has {', '.join(self.column_names)}"
            )
        return ColumnProfile(
            name=name,
            kind=str(stats.get("kind", "other")),
            type=str(stats.get("type", "")),
            count=stats.get("count"),
            null_fraction=float(stats.get("null_fraction", 0.0)),
            distinct=stats.get("distinct"),
            minimum=stats.get("min"),
            maximum=stats.get("max"),
            mean=stats.get("mean"),
            std=stats.get("std"),
        )
