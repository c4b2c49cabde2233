"""Batch scoring: chunks streamed, predictions a new dataset version, lineage both ways."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import driftloop as dl
from driftloop.testing import invoke_cli


def flights(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "id": np.arange(rows),
            "distance": rng.normal(1000, 300, rows).round(1),
            "hour": rng.integers(5, 23, rows).astype("float64"),
        }
    )
    frame["late"] = ((frame["hour"] > 15) ^ (frame["distance"] > 1100)).astype(int)
    return frame


@pytest.fixture
def champion(workspace: dl.Workspace) -> Iterator[LogisticRegression]:
    train = flights(300)
    features = train[["distance", "hour"]]
    model = LogisticRegression().fit(features, train["late"])
    with dl.start_run(experiment="train"):
        dl.log_model(model, name="late", input_example=features.head(5), register=True)
    dl.set_model_alias("late", "champion", 1)
    dl.log_dataset("to-score", flights(1_000, seed=1).drop(columns=["late"]))
    yield model


def test_scoring_in_chunks_writes_the_predictions_as_a_new_version(
    workspace: dl.Workspace, champion: LogisticRegression
) -> None:
    done: list[int] = []
    result = workspace.scoring.score(
        "models:/late@champion", "to-score@1", "late-scores", chunk_rows=256, progress=done.append
    )
    assert (result.rows, result.output.ref, result.model) == (
        1_000,
        "late-scores@1",
        "models:/late/1",
    )
    assert result.chunks == len(done) >= 4 and sum(done) == 1_000
    scored = dl.get_dataset("late-scores@1").to_pandas().sort_values("id")
    source = flights(1_000, seed=1)
    expected = champion.predict_proba(source[["distance", "hour"]])[:, 1]
    assert list(scored.columns) == ["id", "distance", "hour", "prediction", "proba.0", "proba.1"]
    np.testing.assert_allclose(scored["proba.1"].to_numpy(), expected, rtol=1e-12)
    assert (scored["prediction"].to_numpy() == champion.predict(source[["distance", "hour"]])).all()


def test_the_output_links_to_the_model_version_and_the_input_and_back(
    workspace: dl.Workspace, champion: LogisticRegression
) -> None:
    result = workspace.scoring.score("late@champion", "to-score", "late-scores")
    run = dl.get_run(workspace.datasets.get_version("late-scores@1").run_id or "")
    assert {(i.kind, i.ref) for i in run.inputs} == {
        ("model_version", "models:/late/1"),
        ("dataset", "to-score@1"),
    }
    assert workspace.datasets.used_by("to-score@1") == [result.run_id]
    graph = dl.lineage("models:/late/1")
    scored = [e for e in graph.edges if e.relation == "scored_into"]
    assert [e.target for e in scored] == ["dataset:late-scores@1"]


def test_bad_requests_are_refused_before_anything_is_written(
    workspace: dl.Workspace, champion: LogisticRegression
) -> None:
    with pytest.raises(dl.NotFoundError, match="no alias 'gold'"):
        workspace.scoring.score("late@gold", "to-score@1", "out")
    with pytest.raises(dl.NotFoundError, match="no version 9"):
        workspace.scoring.score("late@champion", "to-score@9", "out")
    with pytest.raises(dl.InvalidInputError, match="executor 'spark'"):
        workspace.scoring.score("late@champion", "to-score@1", "out", executor="spark")
    dl.log_dataset("clash", flights(20).rename(columns={"late": "prediction"}))
    with pytest.raises(dl.InvalidInputError, match=r"\['prediction'\]"):
        workspace.scoring.score("late@champion", "clash", "out")
    dl.log_dataset("missing-hour", flights(20).drop(columns=["hour"]))
    with pytest.raises(dl.InvalidInputError, match="hour"):
        workspace.scoring.score("late@champion", "missing-hour", "out")
    assert [d["name"] for d in workspace.datasets.list_datasets()] == [
        "clash",
        "missing-hour",
        "to-score",
    ]


def test_the_cli_scores_and_answers_json(sqlite_workspace: dl.Workspace) -> None:
    train = flights(200)
    model = LogisticRegression().fit(train[["distance", "hour"]], train["late"])
    with dl.start_run(experiment="train"):
        dl.log_model(
            model, name="late", input_example=train[["distance", "hour"]].head(), register=True
        )
    dl.log_dataset("to-score", flights(500, seed=2))
    result = invoke_cli("score", "late", "--input", "to-score@1", "--output", "scores", "--json")
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert (answer["rows"], answer["output"], answer["executor"]) == (500, "scores@1", "local")
