"""Tables that fit the terminal: one line per row, never wrapped, long text cut with "…".

Every table of the CLI is drawn here. A column is classified by its printed cells:
numbers (``0.8612``, ``109,119``, ``NaN``) and times (``2026-06-01 12:00:00``) are
never cut (a cut number or date misleads) and numbers are right-aligned; text is
narrowed when the terminal is too narrow, the widest column first, down to a floor,
and ends in an ellipsis. Columns that still do not fit are left out from the right and
counted under the table; ``--json`` always has every value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["Column", "draw", "fit", "fixed_column", "table_width", "text_column", "to_columns"]

TEXT_FLOOR = 8  # the narrowest a text column is cut to before columns are left out
_NUMBER = re.compile(r"[-+]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?%?|[-+]?(?:nan|inf)", re.I)
_TIME = re.compile(
    r"(?:\d{4}-)?\d\d-\d\d(?:[ T]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[-+]\d\d(?::?\d\d)?)?)?"
)


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a table: its cells, and how narrow and wide it may be drawn."""

    header: str
    cells: list[Text]
    narrowest: int
    widest: int
    numeric: bool = False

    @property
    def natural(self) -> int:
        return _natural(self.header, self.cells)


def _natural(header: str, cells: Sequence[Text]) -> int:
    # A list, not unpacked arguments: a table with no row sizes to its header.
    return max([cell_len(header), *(c.cell_len for c in cells)])


def _texts(cells: Sequence[str | Text]) -> list[Text]:
    # Text, not markup: a name holding "[red]" is shown as written.
    return [c if isinstance(c, Text) else Text(c) for c in cells]


def text_column(
    header: str, cells: Sequence[str | Text], narrowest: int = TEXT_FLOOR, widest: int | None = None
) -> Column:
    """A column that may be cut, to ``narrowest`` at most (its header included)."""
    texts = _texts(cells)
    natural = _natural(header, texts)
    return Column(header, texts, min(narrowest, natural), min(widest or natural, natural))


def fixed_column(header: str, cells: Sequence[str | Text], numeric: bool = False) -> Column:
    """A column never cut: numbers, times, short ids, and their headers."""
    texts = _texts(cells)
    width = _natural(header, texts)
    return Column(header, texts, width, width, numeric)


def _format(value: Any) -> Text:
    from driftloop.cli._output import format_value

    return value if isinstance(value, Text) else Text(format_value(value))


def _is_number(cell: Text) -> bool:
    return bool(_NUMBER.fullmatch(cell.plain))


def _is_time(cell: Text) -> bool:
    return bool(_TIME.fullmatch(cell.plain))


def to_columns(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[Column]:
    """Columns of values (formatted by ``format_value``; ``None`` is blank), each cut
    or not by what its cells are: a number or a time is never cut, even among text."""
    listed = [list(row) for row in rows]
    columns = []
    for i, header in enumerate(headers):
        cells = [_format(row[i]) for row in listed]
        present = [c for c in cells if c.plain]
        if present and all(_is_number(c) for c in present):
            columns.append(fixed_column(header, cells, numeric=True))
        elif present and all(_is_time(c) for c in present):
            columns.append(fixed_column(header, cells))
        else:
            whole = [c.cell_len for c in present if _is_number(c) or _is_time(c)]
            column = text_column(header, cells)
            columns.append(replace(column, narrowest=max([column.narrowest, *whole])))
    return columns


def table_width(widths: Sequence[int]) -> int:
    """The printed width: between two columns one space of padding and a blank divider."""
    return sum(widths) + 2 * (len(widths) - 1)


def fit(columns: list[Column], budget: int, keep: int = 1) -> tuple[list[Column], list[int]]:
    """Columns and widths that fit ``budget``: trailing columns (beyond the first ``keep``)
    that cannot fit even at their narrowest are dropped, then the widest cuttable column
    is narrowed, one character at a time."""
    kept = list(columns)
    while len(kept) > keep and table_width([c.narrowest for c in kept]) > budget:
        kept.pop()
    widths = [c.widest for c in kept]
    while table_width(widths) > budget:
        cuttable = [i for i, c in enumerate(kept) if widths[i] > c.narrowest]
        if not cuttable:
            break
        widths[max(cuttable, key=lambda i: widths[i])] -= 1
    return kept, widths


def draw(
    title: str | None,
    columns: list[Column],
    out: Console,
    *,
    keep: int = 1,
    wide: bool = False,
    hint: str = "see all with --json",
) -> None:
    """Print ``columns`` on ``out`` fitted to its width (``wide``: every cell whole, the
    lines as long as they need), then how many columns were left out and ``hint``."""
    if wide:
        kept, widths = columns, [c.natural for c in columns]
        out = Console(width=table_width(widths), highlight=False, soft_wrap=False)
    else:
        kept, widths = fit(columns, out.width, keep)
    if title:  # a line of its own: a table title wraps when it is wider than the table
        out.print(Text(title), no_wrap=True, overflow="ellipsis")
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    for column, width in zip(kept, widths, strict=True):
        justify: Literal["left", "right"] = "right" if column.numeric else "left"
        grid.add_column(
            Text(column.header), width=width, no_wrap=True, overflow="ellipsis", justify=justify
        )
    for row in zip(*(c.cells for c in kept), strict=True):
        grid.add_row(*row)
    out.print(grid)
    left_out = columns[len(kept) :]
    if left_out:
        names = ", ".join(c.header for c in left_out)
        out.print(Text(f"{len(left_out)} more column(s) do not fit ({names}); {hint}."))
