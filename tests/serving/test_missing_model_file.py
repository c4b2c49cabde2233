"""A served model whose file was deleted from the artifact store: the answer names both."""

from __future__ import annotations

from tests.serving.conftest import log_churn_model, running

import driftloop as dl
from driftloop.serving import ServeSettings
from driftloop.serving._app import create_app

ROW = {"records": [{"age": 30.0, "tenure": 2}]}


def test_an_endpoint_whose_model_file_is_gone_names_the_file_and_the_model(
    sqlite_workspace: dl.Workspace,
) -> None:
    version = log_churn_model(sqlite_workspace, 1.0, onnx=False)
    digest = sqlite_workspace.registry.manifest(version.uri).files["model.pkl"].digest
    path = sqlite_workspace.blobs.local_path(digest)
    assert path is not None
    path.unlink()
    sqlite_workspace.serving.deploy("churn", version.ref)
    with running(create_app(sqlite_workspace, ServeSettings(poll_interval_s=0.02))) as server:
        refused = server.client.post("/v1/endpoints/churn/predict", json=ROW)
        error = refused.json()["error"]
        assert f"{version.uri}: its file 'model.pkl' is missing" in error, error
        assert digest in error and "not ready" in error
        assert refused.status_code == 503  # not ready, as for a model failing its check
