"""Approval requests and decisions go where alerts go: the scheduler's log and the
webhooks of the alert rules watching the endpoints concerned (a real local receiver)."""

from __future__ import annotations

import logging

import pytest

import driftloop as dl
from driftloop.monitoring import AlertRule, MonitorSpec


def test_requests_and_decisions_reach_the_alert_webhooks_and_the_log(
    team: dl.Workspace,
    webhook_receiver: tuple[str, list[dict[str, object]]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, received = webhook_receiver
    team.serving.deploy("churn", "churn@1")
    team.monitoring.define("churn-watch", MonitorSpec(endpoint="churn"))
    rule = AlertRule("churn-drift", "churn-watch", "drift.share", 0.3, webhook=url)
    team.monitoring.define_alert(rule)
    team.approvals.protect_alias("churn", "champion", {"subject_matter_expert": 1})
    with caplog.at_level(logging.INFO, logger="driftloop.scheduler"):
        team.acting_as("ana").approvals.request("churn", 2, reason="beats v1")
        team.acting_as("sam").approvals.approve("churn", 2, "meets the brief")
    assert [(m["kind"], m["event"], m["status"]) for m in received] == [
        ("approval", "requested", "pending"),
        ("approval", "approved", "approved"),
    ]
    assert received[0]["ref"] == "churn@2" and received[0]["requested_by"] == "ana"
    assert received[0]["summary"] == (
        "churn@2 requested: pending; still needs 1 subject_matter_expert"
    )
    assert received[1]["approvals"][0]["approver"] == "sam"  # type: ignore[index]
    lines = [r.getMessage() for r in caplog.records if r.name == "driftloop.scheduler.approvals"]
    assert lines == [
        "approval of churn@2 requested: pending; still needs 1 subject_matter_expert",
        "approval of churn@2 approved by sam (subject_matter_expert): approved",
    ]
