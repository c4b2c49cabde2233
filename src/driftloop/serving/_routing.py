"""Routing decisions: pure functions from a deployment, a request key and a draw to a route.

No I/O and no randomness inside: the caller passes the uniform draw, so tests state
exactly which request goes where, and a sticky key maps to the same point of [0, 1)
in every process and server (BLAKE2b of the key, not Python's salted ``hash``).
"""

from __future__ import annotations

from hashlib import blake2b

from driftloop.serving._models import Deployment, DeploymentRoute

_SCALE = float(1 << 64)


def key_point(key: str) -> float:
    """A stable point in [0, 1) for a request key: one user always lands on one side."""
    digest = blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


def choose_route(deployment: Deployment, key: str | None, draw: float) -> DeploymentRoute:
    """The route that answers: the canary for a ``canary_weight`` share, else the primary.

    ``key`` (the sticky request key, when the request gives one) decides instead of
    ``draw``, so the same key always gets the same route while the weight stays.
    """
    canary = deployment.canary
    if canary is None or deployment.canary_weight <= 0.0:
        return deployment.primary
    point = key_point(key) if key is not None else draw
    return canary if point < deployment.canary_weight else deployment.primary


def route_for_version(deployment: Deployment, version: int) -> DeploymentRoute | None:
    """The answering route serving model version ``version`` (V2 ``versions/{v}`` paths)."""
    for route in (deployment.primary, deployment.canary):
        if route is not None and route.model_version == version:
            return route
    return None
