"""Datasets: content-addressed versions, profiles, diffs and validation suites.

A dataset version is immutable Parquet in the artifact store, named ``name@version``
and identified by the BLAKE3 digest of its bytes: logging the same content again
returns the existing version. Each version records its schema, size, profile, who
logged it and the run that did, so run and model lineage reach the exact data.
Profiles and suites run as DuckDB SQL over the Parquet files, streamed, so data
larger than memory is fine.
"""

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
