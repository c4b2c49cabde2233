"""/metrics (Prometheus text from prometheus-client) and /health of a real server."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from tests.serving.conftest import Server

LABELS = {"endpoint": "churn", "model": "churn", "model_version": "1", "route": "primary"}


def _samples(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = server.client.get("/metrics").text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _key(name: str, **extra: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return name, tuple(sorted({**LABELS, **extra}.items()))


def test_requests_latency_errors_and_log_counters_are_exported(served: Server) -> None:
    before = _samples(served)
    for _ in range(3):
        ok = served.client.post(
            "/v1/endpoints/churn/predict", json={"records": [{"age": 1.0, "tenure": 1}] * 2}
        )
        assert ok.status_code == 200
    bad = served.client.post("/v1/endpoints/churn/predict", json={"records": [{"age": "x"}]})
    assert bad.status_code == 400
    after = _samples(served)

    def grew(key: tuple[str, tuple[tuple[str, str], ...]]) -> float:
        return after[key] - before.get(key, 0.0)

    assert grew(_key("driftloop_requests_total", status="200")) == 3
    assert grew(_key("driftloop_requests_total", status="400")) == 1
    assert grew(_key("driftloop_request_errors_total", code="INVALID_INPUT")) == 1
    assert grew(_key("driftloop_request_latency_seconds_count")) == 3
    assert grew(_key("driftloop_predicted_rows_total")) == 6
    assert ("driftloop_prediction_log_queue_depth", ()) in after
    assert ("driftloop_prediction_log_dropped_total", ()) in after


def test_health_lists_every_endpoint_and_its_readiness(served: Server) -> None:
    health = served.client.get("/health").json()
    assert health["status"] == "ok"
    assert [(e["name"], e["ready"]) for e in health["endpoints"]] == [("churn", True)]
