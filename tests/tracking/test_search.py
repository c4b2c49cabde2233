from __future__ import annotations

import pytest

import driftloop as dl


@pytest.fixture
def runs(workspace: dl.Workspace) -> dict[str, str]:
    ids = {}
    for name, model, lr, auc in [
        ("a", "rf", 0.1, 0.91),
        ("b", "rf", 0.01, 0.85),
        ("c", "lr", 0.1, 0.70),
        ("d", "rf", 0.5, None),
    ]:
        with dl.start_run(experiment="churn", name=name) as run:
            dl.log_params({"model": model, "lr": lr})
            if auc is not None:
                dl.log_metric("auc", auc)
            dl.set_tag("team", "growth" if name != "c" else "risk")
        ids[name] = run.id
    with dl.start_run(experiment="other", name="z"):
        dl.log_metric("auc", 0.99)
    return ids


def _names(frame) -> list[str]:  # type: ignore[no-untyped-def]
    return list(frame["run_name"])


def test_filter_on_metrics_and_params_with_order(runs: dict[str, str]) -> None:
    frame = dl.search_runs(
        "churn", filter="metrics.auc > 0.8 and params.model = 'rf'", order_by=["metrics.auc desc"]
    )
    assert _names(frame) == ["a", "b"]
    assert list(frame["metrics.auc"]) == [0.91, 0.85]
    assert {"run_id", "status", "params.lr", "params.model", "tags.team"} <= set(frame.columns)


def test_or_parentheses_in_and_like(runs: dict[str, str]) -> None:
    frame = dl.search_runs(
        "churn",
        filter="(params.model = 'lr' or metrics.auc >= 0.9) and tags.team like 'gr%'",
        order_by=["run_name"],
    )
    assert _names(frame) == ["a"]
    assert _names(dl.search_runs("churn", filter="params.model in ('lr', 'xx')")) == ["c"]
    assert sorted(_names(dl.search_runs("churn", filter="params.model not in ('lr')"))) == [
        "a",
        "b",
        "d",
    ]


def test_params_compare_numerically_with_a_number(runs: dict[str, str]) -> None:
    assert sorted(_names(dl.search_runs("churn", filter="params.lr >= 0.1"))) == ["a", "c", "d"]


def test_missing_metric_never_matches_and_sorts_last(runs: dict[str, str]) -> None:
    frame = dl.search_runs("churn", order_by=["metrics.auc asc"])
    assert _names(frame) == ["c", "b", "a", "d"]
    assert _names(dl.search_runs("churn", filter="metrics.auc is null")) == ["d"]
    assert len(dl.search_runs("churn", filter="metrics.auc < 2")) == 3


def test_attributes_experiments_and_max_results(runs: dict[str, str]) -> None:
    assert len(dl.search_runs()) == 5
    assert len(dl.search_runs(["churn", "other"], max_results=2)) == 2
    assert _names(dl.search_runs(filter="status = 'finished' and run_name = 'z'")) == ["z"]
    assert _names(dl.search_runs(filter=f"run_id = '{runs['b']}'")) == ["b"]
    assert len(dl.search_runs(filter="start_time > '2000-01-01'")) == 5


def test_no_match_gives_an_empty_frame_with_base_columns(runs: dict[str, str]) -> None:
    frame = dl.search_runs("churn", filter="metrics.auc > 5")
    assert frame.empty and "run_id" in frame.columns


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("metrics.auc >", "ends too early"),
        ("metrics.auc > 'high'", "compare it with a number"),
        ("colour = 'red'", "unknown run attribute 'colour'"),
        ("foo.bar = 1", "unknown field prefix 'foo'"),
        ("metrics.auc ~ 1", "unexpected character"),
        ("metrics.auc > 1 and", "ends too early"),
        ("(metrics.auc > 1", "ends too early"),
        ("metrics.auc > 1 metrics.x < 2", "unexpected"),
    ],
)
def test_bad_filters_are_explained(runs: dict[str, str], bad: str, message: str) -> None:
    with pytest.raises(dl.InvalidInputError, match=message):
        dl.search_runs("churn", filter=bad)


def test_max_results_over_nine_hundred_matches_keeps_order(sqlite_workspace: dl.Workspace) -> None:
    tracking = sqlite_workspace.tracking
    for i in range(950):
        run_id = tracking.create_run("many", name=f"r{i}")
        tracking.log_metric(run_id, "auc", i / 1000, 0, 0)
    frame = dl.search_runs("many", order_by=["metrics.auc desc"], max_results=920)
    assert len(frame) == 920
    assert list(frame["metrics.auc"]) == sorted(frame["metrics.auc"], reverse=True)
    assert frame["metrics.auc"].iloc[0] == 0.949


def test_records_tell_a_value_never_logged_from_a_logged_nan(workspace: dl.Workspace) -> None:
    with dl.start_run(experiment="churn", name="logged") as logged:
        dl.log_params({"model": "rf"})
        dl.log_metric("auc", float("nan"))
    with dl.start_run(experiment="churn", name="bare"):
        dl.set_tag("team", "risk")
    records = workspace.tracking.search_run_records(["churn"], order_by=["run_name"])
    frame = workspace.tracking.search_runs(["churn"], order_by=["run_name"])
    assert [r["run_name"] for r in records] == list(frame["run_name"]) == ["bare", "logged"]
    assert [list(r) for r in records] == [list(frame.columns)] * 2  # every key in every record
    bare, nan = records
    assert bare["params.model"] is None and bare["metrics.auc"] is None
    assert nan["run_id"] == logged.id and nan["metrics.auc"] != nan["metrics.auc"]  # NaN
    assert nan["tags.team"] is None and bare["tags.team"] == "risk"
    assert str(frame["metrics.auc"].dtype) == "float64"  # the frame keeps NaN for both
    assert workspace.tracking.search_run_records(["nope"]) == []
