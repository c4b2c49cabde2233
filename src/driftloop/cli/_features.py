"""`driftloop features`: apply, list, show, materialize, get-online, training-set, check-skew."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from driftloop.cli._lifecycle import (
    DeletedOption,
    deleted_columns,
    deleted_headers,
    each,
    emit_events,
)
from driftloop.cli._output import JsonOption, console, emit, err_console, format_value, table

if TYPE_CHECKING:
    from driftloop.features import FeatureService

app = typer.Typer(help="Feature views, training sets and online features.", no_args_is_help=True)


def _features(create: bool = False) -> FeatureService:
    from driftloop._workspace import get_workspace

    return get_workspace(create=create).features


def _time(value: str | None) -> datetime | None:
    if value is None:
        return None
    from driftloop.errors import InvalidInputError

    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInputError(f"{value!r} is not an ISO time, e.g. 2013-06-01T00:00:00Z") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command("apply")
def apply(
    path: Path = typer.Argument(Path("features.py"), help="Python file defining the views."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Apply breaking changes without asking."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would change."),
    as_json: bool = JsonOption,
) -> None:
    """Register the entities and feature views defined in a features.py (versioned)."""
    from driftloop.features import load_definitions

    # Like `data log`, a first command of a workspace: it may create one (a dry run not).
    service = _features(create=not dry_run)
    entities, views = load_definitions(path)
    plan = service.catalog.plan(views)
    warnings = [w for change in plan for w in change.warnings]
    for warning in warnings:
        err_console.print(f"warning: {escape(warning)}")
    if dry_run:
        emit(plan, as_json, lambda: _render_changes(plan, "would be"))
        return
    if warnings and not yes and not typer.confirm("Apply these breaking changes?", err=True):
        raise typer.Exit(1)
    changes = service.apply(views, entities)
    emit(changes, as_json, lambda: _render_changes(changes, ""))


def _render_changes(changes: list[Any], verb: str) -> None:
    rows = [(c.name, f"{verb} {c.action}".strip(), c.version) for c in changes]
    table("feature views", ["view", "change", "version"], rows)


@app.command("list")
def list_views(deleted: bool = DeletedOption, as_json: bool = JsonOption) -> None:
    """Every view with its version, freshness and whether it is stale beyond its TTL
    (--deleted: the deleted views, with who deleted each and when)."""
    service = _features()
    if deleted:
        gone = service.catalog.latest("deleted_only")
        rows = [(v.name, v.version, *deleted_columns(v)) for v in gone]
        listing = [
            {
                "name": v.name,
                "version": v.version,
                "deleted_by": v.deleted_by,
                "deleted_at": v.deleted_at,
            }
            for v in gone
        ]
        title = f"{len(gone)} deleted feature view(s)"
        emit(listing, as_json, lambda: table(title, ["view", "ver", *deleted_headers(True)], rows))
        return
    views = {v.name: v for v in service.catalog.latest()}
    records: list[dict[str, Any]] = []
    for state in service.freshness():
        view = views[state.name].view
        records.append(
            {
                "name": state.name,
                "version": state.version,
                "entities": list(view.join_keys),
                "features": view.feature_names,
                "source": view.source,
                "timestamp": view.timestamp,
                "ttl_seconds": None if view.ttl is None else view.ttl.total_seconds(),
                "last_materialized_at": state.last_materialized_at,
                "materialized_until": state.materialized_until,
                "source_watermark": state.source_watermark,
                "is_stale": state.is_stale,
            }
        )

    def render() -> None:
        rows = [
            (
                r["name"],
                r["version"],
                ",".join(r["entities"]),
                len(r["features"]),
                "" if r["ttl_seconds"] is None else str(timedelta(seconds=r["ttl_seconds"])),
                _short(r["last_materialized_at"]),
                _short(r["source_watermark"]),
                "STALE" if r["is_stale"] else "fresh",
            )
            for r in records
        ]
        cols = ["view", "ver", "keys", "features", "ttl", "materialized", "watermark", "state"]
        table(f"{len(records)} feature view(s)", cols, rows)

    emit(records, as_json, render)


def _short(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


@app.command("show")
def show(
    view: str = typer.Argument(..., help="VIEW (the latest) or VIEW@VERSION."),
    version: int | None = typer.Option(None, "--version", help="A given version (default latest)."),
    as_json: bool = JsonOption,
) -> None:
    """A view's definition and its versions."""
    from driftloop.errors import InvalidInputError
    from driftloop.features._models import parse_view_ref

    ref = parse_view_ref(view)
    if version is not None and ref.version not in (None, version):
        raise InvalidInputError(
            f"{view!r} and --version {version} name different versions; give one of them"
        )
    service = _features()
    found = service.catalog.get(ref.name, ref.version or version)
    history = service.catalog.versions(ref.name)
    data = {
        **found.view.to_spec(),
        "version": found.version,
        "digest": found.digest,
        "created_at": found.created_at,
        "created_by": found.created_by,
        "versions": [
            {"version": v.version, "created_at": v.created_at, "by": v.created_by} for v in history
        ],
    }

    def render() -> None:
        console.print(f"[bold]{escape(found.ref)}[/bold]  source: {escape(found.view.source)}")
        view_ = found.view
        console.print(
            f"keys: {escape(', '.join(view_.join_keys))}  "
            f"timestamp: {escape(view_.timestamp or 'none (static)')}  "
            f"ttl: {'none' if view_.ttl is None else view_.ttl}"
        )
        table("features", ["name", "dtype"], [(f.name, f.dtype) for f in found.view.features])
        table(
            "versions",
            ["version", "created", "by"],
            [(v.version, v.created_at, v.created_by) for v in history],
        )

    emit(data, as_json, render)


@app.command("materialize")
def materialize(
    views: list[str] = typer.Option(None, "--view", "-v", help="Only these views."),
    start: str | None = typer.Option(None, "--start", help="Earliest event time (ISO)."),
    end: str | None = typer.Option(None, "--end", help="Latest event time (ISO, default now)."),
    incremental: bool = typer.Option(
        False, "--incremental", help="Only what changed, late rows too."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Write the latest value per entity of each view to the online store.

    Each view is materialized on its own; the exit code is 1 if any view failed.
    """
    results = _features().materialize(
        views or None, start=_time(start), end=_time(end), incremental=incremental
    )
    rows = [
        (
            r.view,
            r.version,
            "ok" if r.ok else "FAILED",
            r.rows_written,
            r.source_watermark,
        )
        for r in results
    ]

    def render() -> None:
        table("materialized", ["view", "version", "outcome", "rows", "watermark"], rows)
        for r in results:
            if r.error is not None:
                err_console.print(f"[red]{escape(r.view)}[/red]: {escape(r.error)}")

    emit(results, as_json, render)
    failed = [r.view for r in results if not r.ok]
    if failed:
        err_console.print(f"{len(failed)} of {len(results)} view(s) failed: {', '.join(failed)}")
        raise typer.Exit(1)


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


@app.command("get-online")
def get_online(
    features: list[str] = typer.Argument(..., help="view:feature references."),
    entity: list[str] = typer.Option(..., "--entity", "-e", help="key=value (repeat per key)."),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help=(
            "Answer as the online store would have at this ISO time (naive: UTC), computed "
            "from the offline store; default: now, from the online store."
        ),
    ),
    as_json: bool = JsonOption,
) -> None:
    """Look up online features of one entity, e.g. `get-online weather:temp -e origin=JFK`.

    Values older than the view's TTL are empty. `--as-of T` answers as the online store
    would have at T: the latest value with feature time <= T within the TTL, computed
    from the offline store (the online store keeps only the newest value, which may be
    from after T), so historical data (the demo's 2013 weather) can be looked up.
    """
    from driftloop.errors import InvalidInputError

    row: dict[str, Any] = {}
    for item in entity:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidInputError(f"--entity {item!r} is not key=value")
        row[key] = _parse_value(value)
    values = _features().get_online_features(features, [row], as_of=_time(as_of))
    record = {k: v[0] for k, v in values.items()}
    emit(
        record,
        as_json,
        lambda: table(None, ["name", "value"], list(record.items())),
    )


@app.command("training-set")
def training_set(
    entities: str = typer.Argument(..., help="Parquet/CSV file of entity rows, or SQL."),
    features: list[str] = typer.Option(..., "--feature", "-f", help="view:feature (repeat)."),
    event_timestamp: str = typer.Option(
        "event_timestamp", "--event-timestamp", help="Event time column."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write Parquet here."),
    log: str | None = typer.Option(None, "--log", help="Log the result as this dataset."),
    as_json: bool = JsonOption,
) -> None:
    """Build a point-in-time correct training set."""
    import pyarrow.parquet as pq

    result = _features().get_training_set(
        entities,
        features,
        event_timestamp=event_timestamp,
        log=log is not None,
        name=log or "training-set",
    )
    if output is not None:
        pq.write_table(result.table, output)
    info = {
        "rows": len(result),
        "columns": result.table.column_names,
        "feature_views": result.feature_views,
        "output": output,
        "dataset": None if result.dataset is None else result.dataset.ref,
    }
    emit(
        info,
        as_json,
        lambda: console.print(
            f"{info['rows']:,} rows, features from {', '.join(result.feature_views)}"
            + (f"; written to {output}" if output else "")
            + (f"; logged as {info['dataset']}" if info["dataset"] else "")
        ),
    )


@app.command("check-skew")
def check_skew(
    view: str = typer.Argument(..., help="Feature view name."),
    sample: int = typer.Option(1000, "--sample", help="How many entities to compare."),
    seed: int = typer.Option(0, "--seed", help="Seed of the sample."),
    as_json: bool = JsonOption,
) -> None:
    """Compare online values with offline point-in-time values at the materialization time."""
    report = _features().check_skew(view, sample=sample, seed=seed)

    def render() -> None:
        console.print(
            f"{escape(report.view)}: {report.entities} entities at {format_value(report.at)}"
        )
        table(
            "skew",
            ["feature", "compared", "mismatches"],
            [(f, r.compared, r.mismatches) for f, r in report.features.items()],
        )

    emit(report, as_json, render)


@app.command("delete")
def delete(
    views: list[str] = typer.Argument(..., help="Feature view names."), as_json: bool = JsonOption
) -> None:
    """Delete feature views (every version): gone from training sets and lookups,
    restorable until `driftloop gc`, which also drops their online values.

    Refused while a live deployment looks one up online, naming the endpoint.
    """
    emit_events(each(views, _features().delete_view), as_json, "features")


@app.command("restore")
def restore(
    views: list[str] = typer.Argument(..., help="Deleted feature view names."),
    as_json: bool = JsonOption,
) -> None:
    """Restore deleted feature views."""
    emit_events(each(views, _features().restore_view), as_json, "features")
