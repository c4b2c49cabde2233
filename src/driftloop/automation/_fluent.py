"""``dl.set_loop_policy``: the loop of an endpoint from Python, on the default workspace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftloop.automation._policy import LoopPolicy, parse_policy


def set_loop_policy(policy: LoopPolicy | Mapping[str, Any]) -> LoopPolicy:
    """Store the loop policy of an endpoint and declare its triggers.

    ``policy`` is a :class:`LoopPolicy` or a dict shaped like a ``[[loop]]`` table of
    ``driftloop.toml``.

    Example::

        dl.set_loop_policy({
            "endpoint": "flights", "model": "flight-delays",
            "pipeline": "flights.training:train",
            "triggers": [{"alert": "flights-drift"}],
            "gate": {"metric": "roc_auc", "min_improvement": 0.005},
        })
    """
    from driftloop._workspace import get_workspace

    checked = policy if isinstance(policy, LoopPolicy) else parse_policy(dict(policy))
    get_workspace().loop.set_policy(checked)
    return checked
