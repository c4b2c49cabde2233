"""Cron schedules: which due time, if any, a trigger owes now (pure, time given).

croniter computes the times; this module only decides which one is owed. A scheduler
that was down while several times passed owes only the latest of them: missed times
fire once, not once per missed tick (like Airflow's ``catchup=False``). A time before
the trigger existed is never owed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import CroniterError, croniter

from driftloop.errors import InvalidInputError

__all__ = ["check_cron", "check_timezone", "due_time", "event_key_of", "next_time"]


def check_timezone(name: str) -> ZoneInfo:
    """The zone named ``name`` (IANA, e.g. ``Europe/Paris``), or a clear error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        near = sorted(z for z in available_timezones() if name.lower() in z.lower())[:5]
        hint = f"; did you mean {', '.join(near)}?" if near else " (e.g. 'UTC', 'Europe/Paris')"
        message = f"unknown time zone {name!r}; give an IANA zone name{hint}"
        raise InvalidInputError(message) from None


def check_cron(expression: str) -> str:
    """``expression`` if croniter accepts it (5 fields, or 6 with seconds last), else an error."""
    if not isinstance(expression, str) or not croniter.is_valid(expression.strip()):
        raise InvalidInputError(
            f"cron expression {expression!r} is not valid; give 5 fields "
            "'minute hour day-of-month month day-of-week', e.g. '0 2 * * *' (02:00 daily)"
        )
    return expression.strip()


def _iterator(expression: str, timezone: str, start: datetime) -> croniter:
    try:
        return croniter(expression, start.astimezone(check_timezone(timezone)))
    except CroniterError as exc:
        raise InvalidInputError(f"cron expression {expression!r} is not valid: {exc}") from exc


def due_time(
    expression: str, timezone: str, now: datetime, *, not_before: datetime | None
) -> datetime | None:
    """The latest time of the schedule at or before ``now`` (UTC), or None if not owed.

    ``not_before`` is when the trigger was declared: a time before it is not owed.
    """
    # croniter's get_prev is strictly before its start; a time equal to now is due now.
    latest = _iterator(expression, timezone, now).get_prev(datetime)
    following = _iterator(expression, timezone, latest).get_next(datetime)
    if following <= now:
        latest = following
    latest_utc = latest.astimezone(UTC)
    if not_before is not None and latest_utc < not_before:
        return None
    return latest_utc


def next_time(expression: str, timezone: str, now: datetime) -> datetime:
    """The first time of the schedule strictly after ``now`` (UTC)."""
    return _iterator(expression, timezone, now).get_next(datetime).astimezone(UTC)


def event_key_of(due: datetime) -> str:
    """The claim key of a due time: ISO 8601 in UTC, the same from every process."""
    return due.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
