"""The module API: ``dl.log_dataset``, ``dl.get_dataset``, ``dl.log_input`` and friends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from driftloop.data._dataset import Dataset
from driftloop.data._models import DatasetVersion
from driftloop.errors import ConflictError

if TYPE_CHECKING:
    from driftloop.data._diff import DatasetDiff
    from driftloop.data._service import DatasetService
    from driftloop.data._suite import Suite, ValidationResult


def _service() -> DatasetService:
    from driftloop._workspace import get_workspace

    return get_workspace().datasets


def _active_run_id() -> str | None:
    from driftloop.tracking._fluent import active_run

    run = active_run()
    return None if run is None else run.id


def log_dataset(
    name: str,
    data: Any,
    *,
    source: str | None = None,
    description: str | None = None,
    profile: bool = True,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> DatasetVersion:
    """Store ``data`` as a version of dataset ``name`` (same content: the existing version).

    ``data`` is a pandas or Polars DataFrame, a pyarrow Table, or the path of Parquet or
    CSV files (a file, a folder or a glob). If a run is active, the version is recorded
    as its input. Every file is checked before anything is registered; the profile (one
    DuckDB scan) then follows in the background, or with ``profile=False`` on first use;
    ``version.profile_pending`` says it is not stored yet. CSV files are read with
    ``delimiter`` if given, else with the one sniffed from the file's start, and as
    UTF-8 unless ``encoding`` names another (any Python codec, as in pandas'
    ``read_csv``: ``"cp1252"``, ``"latin-1"``, ``"utf-16"``...).

    Raises:
        InvalidInputError: the data or a file cannot be read or stored as Parquet
            (the message names the file and the problem); nothing is registered.

    Example::

        v = dl.log_dataset("flights", "data/flights/*.parquet")
        v.ref  # 'flights@1'
    """
    run_id = _active_run_id()
    version = _service().log(
        name,
        data,
        source=source,
        description=description,
        run_id=run_id,
        profile=profile,
        delimiter=delimiter,
        encoding=encoding,
    )
    if run_id is not None:
        log_input(version)
    return version


def get_dataset(ref: str | DatasetVersion) -> Dataset:
    """Open a version for reading: ``"name@3"``, ``"name@latest"`` or ``"name"`` (latest).

    Example::

        df = dl.get_dataset("flights@2").to_pandas()
    """
    return _service().get(ref)


def log_input(dataset: str | DatasetVersion, role: str = "") -> DatasetVersion:
    """Record a dataset version as an input of the active run (kind ``"dataset"``)."""
    from driftloop.tracking._fluent import active_run

    run = active_run()
    if run is None:
        raise ConflictError("no run is active; start one with dl.start_run() before dl.log_input")
    version = dataset if isinstance(dataset, DatasetVersion) else _service().get_version(dataset)
    run.log_input("dataset", version.ref, role)
    return version


def list_dataset_versions(name: str) -> list[DatasetVersion]:
    """Every version of dataset ``name``, oldest first."""
    return _service().versions(name)


def diff_datasets(old: str | DatasetVersion, new: str | DatasetVersion) -> DatasetDiff:
    """Schema, row-count, statistic and drift changes between two versions."""
    return _service().diff(old, new)


def validate_dataset(dataset: str | DatasetVersion, suite: Suite | str) -> ValidationResult:
    """Evaluate a suite (a :class:`Suite` or a YAML path) on a version; the result is stored."""
    from driftloop.data._suite import Suite

    loaded = suite if isinstance(suite, Suite) else Suite.from_yaml(suite)
    return _service().validate(dataset, loaded, run_id=_active_run_id())
