"""The `driftloop runs list` table: compact by default, so it reads in an 80-column terminal.

The default shows who and when (short id, name, status, start, duration) and the few
metrics that matter: those named in ``--filter``/``--order-by``, else the first by name.
``--columns`` names the params and metrics to show instead; ``--wide`` shows everything.
A cell never wraps: what does not fit ends in an ellipsis (``--json`` keeps every value).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from driftloop.cli._output import console, format_value
from driftloop.cli._table import Column, draw, fixed_column, text_column
from driftloop.errors import InvalidInputError

_DEFAULT_METRICS = 3
_MAX_CELL = 24  # the widest a name or value cell grows before its ellipsis
# `metrics.auc`, `params.model` (or a backquoted name) inside a filter or an order-by.
_REFERENCE = re.compile(r"\b((?:metrics|params)\.(?:`[^`]+`|[\w.\-/]+))")


def referenced_columns(texts: Sequence[str | None], available: Sequence[str]) -> list[str]:
    """The ``metrics.*``/``params.*`` columns that ``texts`` mention, in order of mention."""
    found: list[str] = []
    for text in texts:
        for match in _REFERENCE.finditer(text or ""):
            name = match.group(1).replace("`", "")
            if name in available and name not in found:
                found.append(name)
    return found


def chosen_columns(
    available: Sequence[str], requested: str | None, mentioned: Sequence[str]
) -> list[str]:
    """The param and metric columns the compact table shows.

    Raises:
        InvalidInputError: ``requested`` names a column no listed run has.
    """
    if requested is not None:
        names = [c.strip() for c in requested.split(",") if c.strip()]
        unknown = [c for c in names if c not in available]
        if unknown:
            known = [c for c in available if c.startswith(("metrics.", "params."))]
            raise InvalidInputError(
                f"--columns names {unknown}, which no listed run has; "
                f"available: {', '.join(known) or 'none'}"
            )
        return names
    metrics = sorted(c for c in available if c.startswith("metrics."))
    chosen = list(mentioned)
    for name in metrics:
        if sum(c.startswith("metrics.") for c in chosen) >= _DEFAULT_METRICS:
            break
        if name not in chosen:
            chosen.append(name)
    return chosen


def duration(start: Any, end: Any, now: datetime) -> str:
    """``"4.2s"``, ``"3m 05s"``, ``"2h 03m"``; a running run's time so far."""
    if not isinstance(start, datetime):
        return ""
    finished = end if isinstance(end, datetime) and not _missing(end) else now
    seconds = max((finished - start).total_seconds(), 0.0)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def _text(header: str, cells: list[str], narrowest: int, widest: int = _MAX_CELL) -> Column:
    # Compact even when there is room: a long name or param would push the metrics out.
    return text_column(header, cells, narrowest, widest)


def columns_for(
    records: list[dict[str, Any]], extra: Sequence[str], now: datetime, wide: bool = False
) -> list[Column]:
    """The table's columns: the base ones (experiment only if several, or ``wide``), then
    ``extra`` in order."""
    several = wide or len({r["experiment"] for r in records}) > 1
    starts = [r.get("start_time") for r in records]
    took = [duration(s, r.get("end_time"), now) for s, r in zip(starts, records, strict=True)]
    columns = [
        fixed_column("id", [r["run_id"][:8] for r in records]),
        _text("name", [r["run_name"] for r in records], 10),
        *([_text("experiment", [r["experiment"] for r in records], 8, 16)] if several else []),
        fixed_column("status", [r["status"] for r in records]),
        fixed_column("start", _starts(starts, now)),
        fixed_column("duration", took),
    ]
    for name in extra:
        label = name.removeprefix("metrics.").removeprefix("params.")
        cells = [_cell(r.get(name)) for r in records]
        if name.startswith("metrics."):
            columns.append(fixed_column(label, cells, numeric=True))
        elif name == "deleted_at":  # `runs list --deleted`: as narrow as the start column
            columns.append(fixed_column("deleted", _starts([r.get(name) for r in records], now)))
        elif name == "deleted_by":
            columns.append(_text("deleted by", cells, 8))
        else:
            columns.append(_text(label, cells, 6))
    return columns


def render(records: list[dict[str, Any]], extra: Sequence[str], *, wide: bool = False) -> None:
    """Draw the runs, one line each: compact (fits the terminal; long cells end in an
    ellipsis, columns that do not fit are counted below), or ``wide`` (every cell whole)."""
    columns = columns_for(records, extra, datetime.now(UTC), wide)
    if wide:
        ids = fixed_column("id", [r["run_id"] for r in records])
        columns = [ids if c.header == "id" else c for c in columns]
    draw(
        f"{len(records)} run(s)",
        columns,
        console,
        keep=len(columns) - len(extra),
        wide=wide,
        hint="choose with --columns, or see all with --wide or --json",
    )


def _starts(starts: list[Any], now: datetime) -> list[str]:
    # The year only when some run is from another year: the common case stays narrow.
    this_year = all(_missing(s) or s.year == now.year for s in starts)
    form = "%m-%d %H:%M" if this_year else "%Y-%m-%d %H:%M"
    return ["" if _missing(s) else s.strftime(form) for s in starts]


def _cell(value: Any) -> str:
    # None is a value the run never logged (blank); a logged NaN shows as NaN.
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else f"{value:.4g}"
    return format_value(value)


def _missing(value: Any) -> bool:
    return value is None
