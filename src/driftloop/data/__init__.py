"""Datasets: content-addressed versions, profiles, diffs and validation suites.

A dataset version is immutable Parquet in the artifact store, named ``name@version``
and identified by the BLAKE3 digest of its bytes: logging the same content again
returns the existing version. Each version records its schema, size, profile, who
logged it and the run that did, so run and model lineage reach the exact data.
Profiles and suites run as DuckDB SQL over the Parquet files, streamed, so data
larger than memory is fine.
"""

from typing import TYPE_CHECKING

from driftloop._lazy import lazy_exports

if TYPE_CHECKING:
    from driftloop.data._dataset import Dataset
    from driftloop.data._diff import ColumnDiff, DatasetDiff
    from driftloop.data._fluent import (
        diff_datasets,
        get_dataset,
        list_dataset_versions,
        log_dataset,
        log_input,
        validate_dataset,
    )
    from driftloop.data._models import ColumnProfile, DatasetVersion, Profile, parse_ref
    from driftloop.data._service import DatasetService
    from driftloop.data._suite import Expectation, ExpectationResult, Suite, ValidationResult

# Imported on first use (see driftloop/_lazy.py), so importing the package is cheap.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "driftloop.data._dataset": ("Dataset",),
        "driftloop.data._diff": (
            "ColumnDiff",
            "DatasetDiff",
        ),
        "driftloop.data._fluent": (
            "diff_datasets",
            "get_dataset",
            "list_dataset_versions",
            "log_dataset",
            "log_input",
            "validate_dataset",
        ),
        "driftloop.data._models": (
            "ColumnProfile",
            "DatasetVersion",
            "Profile",
            "parse_ref",
        ),
        "driftloop.data._service": ("DatasetService",),
        "driftloop.data._suite": (
            "Expectation",
            "ExpectationResult",
            "Suite",
            "ValidationResult",
        ),
    },
    globals(),
)

__all__ = [
    "ColumnDiff",
    "ColumnProfile",
    "Dataset",
    "DatasetDiff",
    "DatasetService",
    "DatasetVersion",
    "Expectation",
    "ExpectationResult",
    "Profile",
    "Suite",
    "ValidationResult",
    "diff_datasets",
    "get_dataset",
    "list_dataset_versions",
    "log_dataset",
    "log_input",
    "parse_ref",
    "validate_dataset",
]
