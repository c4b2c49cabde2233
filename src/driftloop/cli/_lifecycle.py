"""What every delete, restore, disable, enable, cancel and abandon command prints.

One line a change for people (what, who, when, and the command that undoes it), and the
lifecycle events themselves for ``--json``. The commands live with their objects'
groups (``runs delete``, ``data restore``, ...); only the output is shared.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from driftloop.cli._output import console, emit, format_value

if TYPE_CHECKING:
    from driftloop.store._lifecycle import LifecycleEvent

# The inverse of each action, for the hint printed after it.
_UNDO = {"delete": "restore", "disable": "enable", "enable": "disable", "restore": "delete"}
_PAST = {
    "delete": "Deleted",
    "restore": "Restored",
    "disable": "Disabled",
    "enable": "Enabled",
    "cancel": "Cancelled",
    "abandon": "Abandoned",
}

_WHO = ("deleted_by", "deleted_at")

DeletedOption = typer.Option(
    False, "--deleted", help="Show the deleted ones (who deleted each, and when) instead."
)


def emit_events(events: Sequence[LifecycleEvent], as_json: bool, command: str) -> None:
    """Print each change with the command that undoes it: ``command`` is the group
    ("runs"), or a template with ``{undo}`` where the verb goes ("monitor {undo}-alert")."""

    def draw() -> None:
        for event in events:
            what = f"{event.kind.replace('_', ' ')} {event.name}"
            line = (
                f"{_PAST.get(event.action, event.action)} {what} "
                f"(by {event.actor} at {format_value(event.at)} UTC)"
            )
            if event.reason:
                line += f": {event.reason}"
            undo = _UNDO.get(event.action)
            if undo is not None:
                verb = command.format(undo=undo) if "{undo}" in command else f"{command} {undo}"
                line += f"; undo with `driftloop {verb} {event.name}`"
            console.print(escape(line), soft_wrap=True)

    emit(list(events), as_json, draw)


def each(names: Sequence[str], change: Callable[[str], LifecycleEvent]) -> list[LifecycleEvent]:
    """Apply ``change`` to every name in order (an error stops there, the rest untouched)."""
    return [change(name) for name in names]


def deleted_columns(item: Any, shown: bool = True) -> tuple[Any, ...]:
    """The cells of a deleted object in a ``--deleted`` listing (raw values, for the
    table helper): by whom, and when."""
    if not shown:
        return ()
    fields = item if isinstance(item, dict) else {k: getattr(item, k, None) for k in _WHO}
    return fields.get("deleted_by"), fields.get("deleted_at")


def deleted_headers(shown: bool) -> list[str]:
    """The headers of :func:`deleted_columns` (none when the listing shows live objects)."""
    return ["deleted by", "deleted at"] if shown else []
