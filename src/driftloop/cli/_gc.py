"""What `driftloop gc` does and prints: purge deleted objects, then unreferenced blobs.

The command itself is registered with `driftloop data`'s module (``_data.gc``); this
module holds its work and output, so the data commands stay about data.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import typer
from rich.markup import escape

from driftloop.cli._output import console, emit, format_value, to_jsonable
from driftloop.errors import InvalidInputError
from driftloop.store._purge import PurgedObject, PurgeReport

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
_UNIT = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``1d12h``, ``90m``, ``45s`` or ``0`` as a timedelta."""
    cleaned = text.strip().lower()
    if cleaned == "0":
        return timedelta(0)
    parts = _DURATION.findall(cleaned)
    if not parts or "".join(a + b for a, b in parts) != cleaned:
        raise InvalidInputError(
            f"--older-than {text!r} is not a duration; give e.g. 30d, 12h, 1d12h, 90m or 0"
        )
    total = timedelta(0)
    for amount, unit in parts:
        total += timedelta(**{_UNIT[unit]: float(amount)})
    return total


def collect(
    *, dry_run: bool, older_than: str, grace_minutes: float, yes: bool, as_json: bool
) -> None:
    """Purge the deleted objects (asking first unless ``yes``), then collect the blobs."""
    from driftloop._workspace import get_workspace
    from driftloop.artifacts._gc import GarbageCollector

    ws, age = get_workspace(create=False), parse_duration(older_than)
    plan = ws.trash.purge(older_than=age, dry_run=True)
    if not dry_run and plan.purged and not yes:
        kinds = _counts(plan.purged)
        if not typer.confirm(
            f"Permanently remove {len(plan.purged)} deleted object(s) ({kinds}) and their "
            "rows? This cannot be undone.",
            err=True,
        ):
            raise InvalidInputError("nothing was removed; run with --yes to confirm, or --dry-run")
    purged = plan if dry_run else ws.trash.purge(older_than=age)
    blobs = GarbageCollector(ws.store, ws.blobs).collect(
        dry_run=dry_run, grace=timedelta(minutes=grace_minutes)
    )

    def render() -> None:
        _print_purge(purged)
        verb = "Would remove" if blobs.dry_run else "Removed"
        for item in blobs.removed:
            console.print(f"  {item.kind} {escape(item.name)} ({item.size:,} bytes)")
        console.print(
            f"{verb} {len(blobs.removed)} unreferenced file(s), {blobs.removed_bytes:,} bytes; "
            f"kept {blobs.kept_referenced} referenced blob(s) and {blobs.kept_recent} "
            f"unreferenced blob(s) younger than {grace_minutes:g} minutes"
        )

    emit(_summary(purged, blobs), as_json, render)


def _counts(items: tuple[PurgedObject, ...]) -> str:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    return ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(counts.items()))


def _print_purge(report: PurgeReport) -> None:
    verb = "Would purge" if report.dry_run else "Purged"
    for item in report.purged:
        console.print(
            f"  {item.kind.replace('_', ' ')} {escape(item.name)} (deleted by "
            f"{escape(item.deleted_by)} at {format_value(item.deleted_at)} UTC)",
            soft_wrap=True,
        )
    console.print(f"{verb} {len(report.purged)} deleted object(s)")
    for item in report.kept:
        what = f"{item.kind.replace('_', ' ')} {item.name}"
        console.print(f"  kept {escape(what)}: {escape(item.why)}", soft_wrap=True)


def _summary(purged: PurgeReport, blobs: Any) -> dict[str, Any]:
    return {
        "dry_run": blobs.dry_run,
        "purged": [to_jsonable(item) for item in purged.purged],
        "kept_deleted": [to_jsonable(item) for item in purged.kept],
        "removed": [to_jsonable(item) for item in blobs.removed],
        "removed_bytes": blobs.removed_bytes,
        "kept_referenced": blobs.kept_referenced,
        "kept_recent": blobs.kept_recent,
    }
