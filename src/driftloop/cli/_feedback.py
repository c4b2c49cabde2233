"""`driftloop feedback ENDPOINT FILE` and `driftloop predictions`: labels in bulk, log stats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from driftloop.cli._output import JsonOption, console, emit, table
from driftloop.errors import InvalidInputError


def _labels(path: Path, request_id: str, label: str, row_index: str | None) -> list[dict[str, Any]]:
    from driftloop._duckdb import cursor_of, file_relation, quote_identifier, translate_errors

    with cursor_of(None) as con:
        relation = file_relation(con, path, "the labels file")
        wanted = [request_id, label] + ([row_index] if row_index else [])
        missing = [c for c in wanted if c not in relation.columns]
        if missing:
            raise InvalidInputError(
                f"{path}: no column(s) {missing}; its columns are {relation.columns} "
                "(name yours with --request-id-column, --label-column, --row-index-column)"
            )
        with translate_errors(f"reading labels from {path}"):
            rows = relation.select(*(quote_identifier(c) for c in wanted)).fetchall()
    return [
        {"request_id": r[0], "label": r[1], **({"row_index": r[2]} if row_index else {})}
        for r in rows
    ]


def feedback(
    endpoint: str = typer.Argument(..., help="The endpoint the predictions were made by."),
    path: Path = typer.Argument(..., help="CSV or Parquet file of labels."),
    request_id_column: str = typer.Option("request_id", help="Column of request ids."),
    label_column: str = typer.Option("label", help="Column of true labels."),
    row_index_column: str | None = typer.Option(
        "row_index", help="Column of row indexes in batch requests (if the file has it)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Record ground-truth labels from a file; a later label of a row replaces the earlier."""
    from driftloop._duckdb import cursor_of, file_relation
    from driftloop._workspace import get_workspace
    from driftloop.serving._feedback import MAX_LABELS_PER_CALL

    with cursor_of(None) as con:
        columns = file_relation(con, path, "the labels file").columns
    index = row_index_column if row_index_column in columns else None
    labels = _labels(path, request_id_column, label_column, index)
    predictions = get_workspace(create=False).predictions
    accepted, unknown = 0, list[str]()
    for start in range(0, len(labels), MAX_LABELS_PER_CALL):
        result = predictions.log_feedback(
            endpoint, labels=labels[start : start + MAX_LABELS_PER_CALL]
        )
        accepted += result.accepted
        unknown.extend(result.unknown_request_ids)
    info = {"endpoint": endpoint, "accepted": accepted, "unknown_request_ids": unknown}

    def render() -> None:
        console.print(f"Stored {accepted:,} labels for endpoint {escape(endpoint)}.")
        if unknown:
            shown = ", ".join(escape(u) for u in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
            console.print(f"{len(unknown):,} request ids are not (yet) in the log: {shown}")

    emit(info, as_json, render)


def predictions(
    endpoint: str | None = typer.Argument(None, help="One endpoint (default: every one)."),
    as_json: bool = JsonOption,
) -> None:
    """What the prediction log holds per endpoint: segments, rows, time span, labels."""
    from driftloop._workspace import get_workspace

    stats = get_workspace(create=False).predictions.stats(endpoint)
    rows = [
        {
            "endpoint": s.endpoint,
            "segments": s.segments,
            "rows": s.rows,
            "first": s.first_ts,
            "last": s.last_ts,
            "labels": s.labels,
        }
        for s in stats
    ]

    def render() -> None:
        if not rows:
            console.print("The prediction log is empty.")
            return
        table(
            None,
            ["endpoint", "segments", "rows", "first", "last", "labels"],
            [list(r.values()) for r in rows],
        )

    emit(rows, as_json, render)
