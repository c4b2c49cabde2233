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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from rich import box
from rich.console import Console
from rich.table import Table

from driftloop.cli._output import console, format_value
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


@dataclass(frozen=True, slots=True)
class _Column:
    """One column of the table: its cells, and how narrow and wide it may be drawn."""

    header: str
    cells: list[str]
    narrowest: int
    widest: int
    numeric: bool = False


def _natural(header: str, cells: list[str]) -> int:
    # A list, not unpacked arguments: no run (an empty result) leaves the header alone.
    return max([len(header), *(len(c) for c in cells)])


def _text(header: str, cells: list[str], narrowest: int, widest: int = _MAX_CELL) -> _Column:
    natural = _natural(header, cells)
    return _Column(header, cells, min(narrowest, natural), min(widest, natural))


def _fixed(header: str, cells: list[str], numeric: bool = False) -> _Column:
    # Ids, times, numbers and their headers are never cut: a cut number misleads.
    width = _natural(header, cells)
    return _Column(header, cells, width, width, numeric)


def columns_for(
    records: list[dict[str, Any]], extra: Sequence[str], now: datetime, wide: bool = False
) -> list[_Column]:
    """The table's columns: the base ones (experiment only if several, or ``wide``), then
    ``extra`` in order."""
    several = wide or len({r["experiment"] for r in records}) > 1
    starts = [r.get("start_time") for r in records]
    took = [duration(s, r.get("end_time"), now) for s, r in zip(starts, records, strict=True)]
    columns = [
        _fixed("id", [r["run_id"][:8] for r in records]),
        _text("name", [r["run_name"] for r in records], 10),
        *([_text("experiment", [r["experiment"] for r in records], 8, 16)] if several else []),
        _fixed("status", [r["status"] for r in records]),
        _fixed("start", _starts(starts, now)),
        _fixed("duration", took),
    ]
    for name in extra:
        label = name.removeprefix("metrics.").removeprefix("params.")
        cells = [_cell(r.get(name)) for r in records]
        metric = name.startswith("metrics.")
        columns.append(_fixed(label, cells, numeric=True) if metric else _text(label, cells, 6))
    return columns


def fit(columns: list[_Column], budget: int, base: int) -> tuple[list[_Column], list[int]]:
    """Columns and widths that fit ``budget``: trailing extras that cannot fit even at their
    narrowest are dropped, then the widest cuttable column is narrowed, one step at a time."""
    kept = list(columns)
    while len(kept) > base and _table_width([c.narrowest for c in kept]) > budget:
        kept.pop()
    widths = [c.widest for c in kept]
    while _table_width(widths) > budget:
        cuttable = [i for i, c in enumerate(kept) if widths[i] > c.narrowest]
        if not cuttable:
            break
        widths[max(cuttable, key=lambda i: widths[i])] -= 1
    return kept, widths


def render(records: list[dict[str, Any]], extra: Sequence[str], *, wide: bool = False) -> None:
    """Draw the runs, one line each: compact (fits the terminal; long cells end in an
    ellipsis, columns that do not fit are counted below), or ``wide`` (every cell whole)."""
    now = datetime.now(UTC)
    columns = columns_for(records, extra, now, wide)
    if wide:
        full = {"id": [r["run_id"] for r in records]}
        columns = [
            _Column(c.header, full.get(c.header, c.cells), 0, 10**6, c.numeric) for c in columns
        ]
        kept, widths = columns, [_natural(c.header, c.cells) for c in columns]
    else:
        kept, widths = fit(columns, console.width, len(columns) - len(extra))
    grid = Table(
        title=f"{len(records)} run(s)",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    for column, width in zip(kept, widths, strict=True):
        justify: Literal["left", "right"] = "right" if column.numeric else "left"
        grid.add_column(
            column.header, width=width, no_wrap=True, overflow="ellipsis", justify=justify
        )
    for row in zip(*(c.cells for c in kept), strict=True):
        grid.add_row(*row)
    out = Console(width=_table_width(widths), highlight=False) if wide else console
    out.print(grid)
    if len(kept) < len(columns):
        console.print(
            f"{len(columns) - len(kept)} more column(s) do not fit; "
            "choose with --columns, or see all with --wide or --json."
        )


def _table_width(widths: Sequence[int]) -> int:
    # Between two columns: one space of padding and the (blank) divider.
    return sum(widths) + 2 * (len(widths) - 1)


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
    # NaT and NaN are what pandas puts where a run has no value.
    return value is None or value != value
