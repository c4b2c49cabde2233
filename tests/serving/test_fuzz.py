"""A schemathesis fuzz of the server's own OpenAPI document finds no 5xx answer, and no
status the document does not list for the route that answered it."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, status_code_conformance
from tests.serving.conftest import Server


@pytest.mark.slow
def test_no_generated_request_gets_a_server_error(served: Server) -> None:
    schema = schemathesis.openapi.from_url(f"{served.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20  # every route of the app is described and fuzzed
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def answer_is_not_a_server_error(case: schemathesis.Case) -> None:
            # Aim at the served endpoint and model version: a made-up name is only a 404.
            if case.path_parameters and "name" in case.path_parameters:
                case.path_parameters["name"] = "churn"
                if "version" in case.path_parameters:
                    case.path_parameters["version"] = "1"
            response = case.call_and_validate(
                base_url=served.url, checks=[not_a_server_error, status_code_conformance]
            )
            if case.method.upper() == "DELETE" and response.status_code == 200:
                # The fuzz deleted the endpoint it aims at: bring it back for the next cases.
                served.state.workspace.serving.restore_endpoint("churn")
                served.state.runtime.refresh()

        answer_is_not_a_server_error()
    counts = served.client.get("/metrics").text
    # The fuzz reached the model (the endpoint's own path is described by its signature).
    assert 'model_version="1",route="primary",status="200"' in counts
    still_up = served.client.post(
        "/v1/endpoints/churn/predict", json={"records": [{"age": 1.0, "tenure": 1}]}
    )
    assert still_up.status_code == 200
