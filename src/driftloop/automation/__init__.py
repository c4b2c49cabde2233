"""Automation: the closed loop of one endpoint.

A :class:`LoopPolicy` says what starts a retraining (an alert, a new dataset version, a
schedule), what the challenger trains on, the gate it must pass against the champion, and
how it is rolled out (a canary, watched, then promoted or rolled back). Each pass is an
:class:`Episode` whose every move is a recorded decision with its evidence. The decisions
themselves (:func:`evaluate_gate`, :func:`decide_canary`, :func:`advance`) are pure.
"""

from driftloop.automation._episode import Episode, EpisodeState, advance, is_cooling_down
from driftloop.automation._gate import GateCheck, GateResult, ModelEvidence, evaluate_gate
from driftloop.automation._policy import (
    DataWindow,
    GateSpec,
    LoopPolicy,
    LoopTrigger,
    RolloutSpec,
    parse_policy,
)
from driftloop.automation._rollout import RolloutDecision, RouteStats, decide_canary

__all__ = [
    "DataWindow",
    "Episode",
    "EpisodeState",
    "GateCheck",
    "GateResult",
    "GateSpec",
    "LoopPolicy",
    "LoopTrigger",
    "ModelEvidence",
    "RolloutDecision",
    "RolloutSpec",
    "RouteStats",
    "advance",
    "decide_canary",
    "evaluate_gate",
    "is_cooling_down",
    "parse_policy",
]
