from __future__ import annotations

from datetime import timedelta

import pytest

from driftloop.automation import LoopTrigger, parse_policy
from driftloop.errors import InvalidInputError

MINIMAL = {
    "endpoint": "flights",
    "model": "flight-delays",
    "pipeline": "demo:train",
    "triggers": [{"alert": "delay-drift"}],
}


def test_a_minimal_policy_gets_documented_defaults() -> None:
    policy = parse_policy(MINIMAL)
    assert policy.triggers == (LoopTrigger("alert", "delay-drift"),)
    assert policy.gate.metric == "roc_auc" and policy.gate.higher_is_better
    assert policy.rollout.canary_weight == 0.2
    assert policy.cooldown == timedelta(hours=24)
    assert not policy.require_approval


def test_a_full_policy_keeps_every_setting() -> None:
    policy = parse_policy(
        {
            **MINIMAL,
            "triggers": [{"alert": "a"}, {"dataset": "flights"}, {"schedule": "0 3 * * 1"}],
            "train_weeks": 8,
            "gate": {"metric": "log_loss", "min_improvement": 0.01, "max_latency_ms": 20},
            "rollout": {"canary_weight": 0.1, "observe_minutes": 30, "min_requests": 500},
            "cooldown_hours": 6,
            "require_approval": True,
        }
    )
    assert [t.kind for t in policy.triggers] == ["alert", "dataset", "schedule"]
    assert policy.data.weeks == 8
    assert not policy.gate.higher_is_better
    assert policy.rollout.observe == timedelta(minutes=30)
    assert policy.rollout.min_requests == 500
    assert policy.cooldown == timedelta(hours=6) and policy.require_approval


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"canary": 0.2}, "canary"),
        ({"triggers": []}, "triggers"),
        ({"triggers": [{"alert": "a", "dataset": "d"}]}, "exactly one"),
        ({"rollout": {"canary_weight": 1.5}}, "rollout.canary_weight"),
        ({"gate": {"metrc": "auc"}}, "gate.metrc"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_key(change: dict[str, object], named: str) -> None:
    with pytest.raises(InvalidInputError, match=named):
        parse_policy({**MINIMAL, **change}, where="driftloop.toml [[loop]] 1")
