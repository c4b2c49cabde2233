"""Module-level trigger helpers on the default workspace (``dl.define_trigger``, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftloop._workspace import get_workspace
from driftloop.pipelines._trigger_models import DefinedTrigger, TriggerEvent

__all__ = ["define_trigger", "fire_trigger"]


def define_trigger(
    name: str, *, target: str, kind: str = "manual", **options: Any
) -> DefinedTrigger:
    """Declare (or update) trigger ``name`` on the default workspace.

    Takes the arguments of :meth:`driftloop.pipelines.TriggerService.define`.

    Example::

        dl.define_trigger("nightly", kind="cron", cron="0 2 * * *",
                          timezone="Europe/Paris", target="flows:train")
        dl.define_trigger("on-flights", kind="dataset", dataset="flights",
                          target="flows:train")
    """
    return get_workspace().triggers.define(name, target=target, kind=kind, **options)


def fire_trigger(
    name: str, *, event_key: str | None = None, payload: Mapping[str, Any] | None = None
) -> TriggerEvent:
    """Fire trigger ``name`` now; a repeated ``event_key`` starts nothing again."""
    return get_workspace().triggers.fire(name, event_key=event_key, payload=payload)
