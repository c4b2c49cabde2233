"""Monitoring: drift and performance statistics of data and models over time.

The drift statistics are pure functions over arrays and counts with one home here,
shared with the datasets context (diffs and ``no_drift`` expectations):

- numeric columns: PSI and Jensen-Shannon over the reference's quantile bins, the
  exact two-sample Kolmogorov-Smirnov statistic, the normed Wasserstein distance;
- categorical columns: PSI, Jensen-Shannon, chi-squared and Cramér's V, with unseen
  categories and missing values as categories of their own.

Whether a column drifted is decided by an effect size over a threshold, guarded by a
test (see ``DriftThresholds``), never by a bare p-value.
"""

from typing import TYPE_CHECKING

from driftloop._lazy import lazy_exports
from driftloop.monitoring._job import MonitorJob as _MonitorJob
from driftloop.pipelines import register_scheduler_job

if TYPE_CHECKING:
    from driftloop.monitoring._categorical import (
        CategoricalDrift,
        categorical_drift,
        chi2_homogeneity,
        value_counts,
    )
    from driftloop.monitoring._compute import (
        ColumnDrift,
        DriftReference,
        DriftReport,
        compute_drift,
    )
    from driftloop.monitoring._delivery import WebhookSender
    from driftloop.monitoring._drift import (
        category_counts,
        histogram_counts,
        jensenshannon_distance,
        psi,
    )
    from driftloop.monitoring._job import MonitorJob
    from driftloop.monitoring._models import Alert, AlertRule, Monitor, MonitorSpec, MonitorWindow
    from driftloop.monitoring._numeric import (
        NumericDrift,
        NumericReference,
        SortedSample,
        ks_2samp,
        numeric_drift,
        quantile_edges,
        wasserstein_normed,
    )
    from driftloop.monitoring._service import MonitoringService
    from driftloop.monitoring._thresholds import DriftThresholds

# Imported on first use (see driftloop/_lazy.py), so importing the package is cheap.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "driftloop.monitoring._categorical": (
            "CategoricalDrift",
            "categorical_drift",
            "chi2_homogeneity",
            "value_counts",
        ),
        "driftloop.monitoring._compute": (
            "ColumnDrift",
            "DriftReference",
            "DriftReport",
            "compute_drift",
        ),
        "driftloop.monitoring._delivery": ("WebhookSender",),
        "driftloop.monitoring._drift": (
            "category_counts",
            "histogram_counts",
            "jensenshannon_distance",
            "psi",
        ),
        "driftloop.monitoring._job": ("MonitorJob",),
        "driftloop.monitoring._models": (
            "Alert",
            "AlertRule",
            "Monitor",
            "MonitorSpec",
            "MonitorWindow",
        ),
        "driftloop.monitoring._numeric": (
            "NumericDrift",
            "NumericReference",
            "SortedSample",
            "ks_2samp",
            "numeric_drift",
            "quantile_edges",
            "wasserstein_normed",
        ),
        "driftloop.monitoring._service": ("MonitoringService",),
        "driftloop.monitoring._thresholds": ("DriftThresholds",),
    },
    globals(),
)

__all__ = [
    "Alert",
    "AlertRule",
    "CategoricalDrift",
    "ColumnDrift",
    "DriftReference",
    "DriftReport",
    "DriftThresholds",
    "Monitor",
    "MonitorJob",
    "MonitorSpec",
    "MonitorWindow",
    "MonitoringService",
    "NumericDrift",
    "NumericReference",
    "SortedSample",
    "WebhookSender",
    "categorical_drift",
    "category_counts",
    "chi2_homogeneity",
    "compute_drift",
    "histogram_counts",
    "jensenshannon_distance",
    "ks_2samp",
    "numeric_drift",
    "psi",
    "quantile_edges",
    "value_counts",
    "wasserstein_normed",
]

# Every scheduler runs the monitors (the scheduler imports this package by name).
register_scheduler_job(_MonitorJob.name, _MonitorJob)
