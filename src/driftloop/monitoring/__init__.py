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
from driftloop.pipelines import register_scheduler_job

register_scheduler_job(MonitorJob.name, MonitorJob)
