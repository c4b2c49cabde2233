"""Text encodings of CSV files: name the problem when a file is not UTF-8, read a given one.

DuckDB reads UTF-8 CSV only, and says "Invalid unicode" about the first bad line,
which does not tell a user that the file is in another encoding, nor what to do. A
file given with ``encoding=`` (any codec Python knows, as pandas' ``read_csv``
takes) is decoded here, streamed, into a UTF-8 copy that DuckDB then reads.
"""

from __future__ import annotations

import codecs
from contextlib import ExitStack
from pathlib import Path
from typing import IO

from driftloop.errors import InvalidInputError

_CHUNK = 1 << 20
_EXAMPLES = "'utf-8', 'latin-1', 'cp1252', 'utf-16', 'shift_jis'"


def check_encoding(encoding: str) -> str:
    """Python's name of the codec ``encoding`` names; InvalidInputError for an unknown one."""
    try:
        return codecs.lookup(encoding).name
    except (LookupError, TypeError):
        raise InvalidInputError(
            f"encoding {encoding!r} is not a known text encoding; give one such as {_EXAMPLES}"
        ) from None


def to_utf8(path: Path, encoding: str, out: Path) -> Path:
    """``path`` decoded from ``encoding`` into a UTF-8 copy at ``out``; returns ``out``."""
    bad = _first_undecodable(path, encoding, out)
    if bad is not None:
        offset, raw = bad
        raise InvalidInputError(
            f"{path}: cannot be read as {encoding} text (bytes {raw.hex(' ')} at byte offset "
            f"{offset:,} are not {encoding}); check the file's encoding and give the right "
            f"one, such as {_EXAMPLES}"
        )
    return out


def not_utf8(path: Path) -> InvalidInputError | None:
    """The error to raise if ``path`` is not UTF-8 text (naming where and what to do), else None."""
    bad = _first_undecodable(path, "utf-8", None)
    if bad is None:
        return None
    offset, raw = bad
    line = _line_of(path, offset)
    return InvalidInputError(
        f"{path}: the file is not UTF-8 text (bytes {raw.hex(' ')} on line {line:,}, byte "
        f"offset {offset:,}); give its encoding: log_dataset(..., encoding='cp1252') or "
        "`driftloop data log --encoding cp1252` (files saved by Excel on Windows are often "
        "'cp1252', older European ones 'latin-1')"
    )


def _first_undecodable(path: Path, encoding: str, out: Path | None) -> tuple[int, bytes] | None:
    """Decode ``path`` in chunks, writing UTF-8 to ``out``; the first bad bytes, at their offset."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    consumed = 0
    with ExitStack() as stack:
        source = stack.enter_context(open(path, "rb"))
        sink = None
        if out is not None:
            sink = stack.enter_context(open(out, "w", encoding="utf-8", newline=""))
        while True:
            chunk = source.read(_CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                # exc.object is what the decoder held back from the last chunk, then this one.
                held = len(exc.object) - len(chunk)
                return consumed - held + exc.start, bytes(exc.object[exc.start : exc.end])
            _write(sink, text)
            if not chunk:
                return None
            consumed += len(chunk)


def _write(sink: IO[str] | None, text: str) -> None:
    if sink is not None and text:
        sink.write(text)


def _line_of(path: Path, offset: int) -> int:
    """1-based line number of byte ``offset`` (newlines counted in the bytes before it)."""
    lines, seen = 1, 0
    with open(path, "rb") as source:
        while seen < offset and (chunk := source.read(min(_CHUNK, offset - seen))):
            lines += chunk.count(b"\n")
            seen += len(chunk)
    return lines
