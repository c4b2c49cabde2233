"""Automation: the closed loop of one endpoint.

A :class:`LoopPolicy` says what starts a retraining (an alert, a new dataset version, a
schedule), what the challenger trains on, the gate it must pass against the champion, and
how it is rolled out (a canary, watched, then promoted or rolled back). Each pass is an
:class:`Episode` whose every move is a recorded decision with its evidence. The decisions
themselves (:func:`evaluate_gate`, :func:`decide_canary`, :func:`advance`) are pure.
"""

from typing import TYPE_CHECKING, Any

from driftloop._lazy import lazy_exports
from driftloop.pipelines import register_scheduler_job, register_trigger_target

if TYPE_CHECKING:
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

# Imported on first use (see driftloop/_lazy.py), so importing the package is cheap.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "driftloop.automation._episode": (
            "Episode",
            "EpisodeState",
            "advance",
            "is_cooling_down",
        ),
        "driftloop.automation._gate": (
            "GateCheck",
            "GateResult",
            "ModelEvidence",
            "evaluate_gate",
        ),
        "driftloop.automation._policy": (
            "DataWindow",
            "GateSpec",
            "LoopPolicy",
            "LoopTrigger",
            "RolloutSpec",
            "parse_policy",
        ),
        "driftloop.automation._rollout": (
            "RolloutDecision",
            "RouteStats",
            "decide_canary",
        ),
    },
    globals(),
)


def _loop_of(workspace: Any) -> Any:
    return workspace.loop


def _register() -> None:
    # Imported lazily by the scheduler (JOB_MODULES): the loop plugs into triggers and ticks.
    from driftloop.automation._scheduling import LoopJob, LoopTarget

    register_trigger_target("loop", lambda ws: LoopTarget(_loop_of(ws)))
    register_scheduler_job("loop", lambda ws: LoopJob(_loop_of(ws)))


_register()

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
