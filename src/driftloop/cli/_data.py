"""`driftloop data log | list | versions | show | profile | diff | validate | suggest-suite |
delete | restore`.

Also `driftloop gc` (registered at the top level by ``cli/_app.py``).
"""

from __future__ import annotations

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
from driftloop.cli._output import (
    EXIT_FAILED,
    JsonOption,
    console,
    emit,
    format_value,
    gate,
    hidden_output_option,
    output_file,
    output_option,
    print_json,
    table,
    to_jsonable,
)

if TYPE_CHECKING:
    from driftloop.data import DatasetService

app = typer.Typer(
    help="Dataset versions: log, profile, diff and validate data.", no_args_is_help=True
)


def _datasets() -> DatasetService:
    from driftloop._workspace import get_workspace

    return get_workspace(create=False).datasets


def _version_rows(versions: list[Any]) -> list[list[Any]]:
    return [
        [
            v.ref,
            f"{v.num_rows:,}",
            f"{v.num_bytes:,}",
            str(len(v.schema)),
            v.created_by,
            (v.run_id or "")[:12],
            v.created_at,
            v.digest[:19],
        ]
        for v in versions
    ]


_VERSION_COLUMNS = ["version", "rows", "bytes", "columns", "by", "run", "created", "digest"]


@app.command("log")
def log(
    name: str = typer.Argument(..., help="Dataset name."),
    path: str = typer.Argument(..., help="Parquet or CSV: a file, a folder or a glob."),
    description: str | None = typer.Option(
        None, "--description", "-d", help="What this version holds, kept with it."
    ),
    profile: bool = typer.Option(
        True,
        "--profile/--no-profile",
        help="Start the profile in the background now, or leave it to the first use.",
    ),
    delimiter: str | None = typer.Option(
        None, "--delimiter", help="CSV field delimiter (default: sniffed from the file)."
    ),
    encoding: str | None = typer.Option(
        None,
        "--encoding",
        help="CSV text encoding, e.g. cp1252, latin-1, utf-16 (default: UTF-8).",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Log files as a new version of NAME (the same content returns its existing version).

    The files are checked before the version is registered; the profile is computed
    after (`data profile` computes it if it is still pending).
    """
    from driftloop.data._fluent import log_dataset

    version = log_dataset(
        name,
        path,
        description=description,
        profile=profile,
        delimiter=delimiter,
        encoding=encoding,
    )
    emit(
        version,
        as_json,
        lambda: console.print(
            f"Logged {escape(version.ref)}: {version.num_rows:,} rows, "
            f"{len(version.schema)} columns, "
            f"{version.num_bytes:,} bytes ({version.digest[:19]})"
            + (f"; {_PENDING}" if version.profile_pending else "")
        ),
    )


_PENDING = "profile pending (computed on first use; `driftloop data profile` computes it now)"


@app.command("list")
def list_datasets(deleted: bool = DeletedOption, as_json: bool = JsonOption) -> None:
    """List datasets with their number of versions and latest version (--deleted: the
    deleted datasets, with who deleted each and when)."""
    rows = _datasets().list_datasets("deleted_only" if deleted else "active_only")
    emit(
        rows,
        as_json,
        lambda: table(
            f"{len(rows)} dataset(s)",
            ["name", "versions", "latest", "description", *deleted_headers(deleted)],
            [
                [
                    r["name"],
                    r["versions"],
                    r["latest"],
                    r["description"],
                    *deleted_columns(r, deleted),
                ]
                for r in rows
            ],
        ),
    )


@app.command("versions")
def versions(
    name: str = typer.Argument(..., help="Dataset name."),
    deleted: bool = DeletedOption,
    as_json: bool = JsonOption,
) -> None:
    """List the versions of a dataset, oldest first (--deleted: the deleted ones)."""
    found = _datasets().versions(name, "deleted_only" if deleted else "active_only")
    cells = zip(_version_rows(found), found, strict=True)
    rows = [row + list(deleted_columns(v, deleted)) for row, v in cells]
    emit(found, as_json, lambda: table(name, _VERSION_COLUMNS + deleted_headers(deleted), rows))


@app.command("delete")
def delete(
    refs: list[str] = typer.Argument(
        ..., help="NAME (the dataset, every version) or NAME@VERSION."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Delete datasets or versions: they no longer read, NAME means the newest version kept,
    numbers are never reused; restorable until `driftloop gc`.

    Refused while a feature view reads the dataset (or its last version kept), or a
    monitor's reference or a loop policy's holdout pins the version, naming which.
    """
    emit_events(each(refs, _datasets().delete), as_json, "data")


@app.command("restore")
def restore(
    refs: list[str] = typer.Argument(..., help="NAME or NAME@VERSION of deleted ones."),
    as_json: bool = JsonOption,
) -> None:
    """Restore deleted datasets (with the versions deleted with them) or versions."""
    emit_events(each(refs, _datasets().restore), as_json, "data")


@app.command("show")
def show(
    ref: str = typer.Argument(..., help="name@version or name@latest"), as_json: bool = JsonOption
) -> None:
    """Show one version: metadata, schema, validation results and the runs that used it."""
    service = _datasets()
    version = service.get_version(ref)
    validations = service.validations(version)
    runs = service.used_by(version)

    def render() -> None:
        table(version.ref, _VERSION_COLUMNS, _version_rows([version]))
        console.print(f"source: {escape(version.source or '(in-memory data)')}")
        console.print(f"profile: {_PENDING if version.profile_pending else 'stored'}")
        table("schema", ["column", "type"], list(version.schema.items()))
        table(
            "validations",
            ["suite", "result", "failed", "run", "created"],
            [
                [
                    v["suite"],
                    "passed" if v["success"] else "FAILED",
                    f"{v['failed']}/{v['expectations']}",
                    (v["run_id"] or "")[:12],
                    v["created_at"],
                ]
                for v in validations
            ],
        )
        console.print("used by runs: " + (", ".join(r[:12] for r in runs) or "none"))

    emit(
        {**to_jsonable(version), "validations": validations, "used_by_runs": runs}, as_json, render
    )


@app.command("profile")
def profile(
    ref: str = typer.Argument(..., help="name@version, or name for the latest."),
    output: Path | None = output_option("Also write an HTML report with plots to this file."),
    html: Path | None = hidden_output_option("--html"),
    as_json: bool = JsonOption,
) -> None:
    """Print a version's profile (computed when it was logged)."""
    html = output_file(output, html, "--html")
    service = _datasets()
    version = service.get_version(ref)
    data = service.profile(version)
    if html is not None:
        from driftloop.data._report import render_profile_html

        html.write_text(render_profile_html(version.ref, data), encoding="utf-8")

    def render() -> None:
        console.print(
            f"{escape(version.ref)}: {data['num_rows']:,} rows, {data['num_columns']} columns, "
            f"{data['null_cells']:,} null cells"
        )
        # Two tables, so each reads in 80 columns: what every column is, then the ranges
        # of the numeric and temporal ones.
        columns = data["columns"].items()
        table(
            "columns",
            ["column", "type", "kind", "nulls", "distinct", "top values"],
            [
                [name, *(s.get(f) for f in ("type", "kind", "nulls", "distinct")), _top(s)]
                for name, s in columns
            ],
        )
        ranges = [
            [name, *(s.get(f) for f in ("min", "max", "mean", "std"))]
            for name, s in columns
            if s.get("kind") in ("numeric", "temporal")
        ]
        if ranges:
            table("ranges", ["column", "min", "max", "mean", "std"], ranges)
        if html is not None:
            console.print(f"Wrote {escape(str(html))}")

    emit(data, as_json, render)


def _top(stats: dict[str, Any]) -> str:
    return ", ".join(f"{value}: {count:,}" for value, count in (stats.get("top") or [])[:3])


@app.command("diff")
def diff(
    old: str = typer.Argument(..., help="The version to compare from, e.g. flights@1."),
    new: str = typer.Argument(..., help="The version to compare to, e.g. flights@2."),
    as_json: bool = JsonOption,
) -> None:
    """Schema, row count, statistic and drift changes from OLD to NEW.

    Drift per column is what `dl.compute_drift` gives on the two versions (PSI over
    OLD's deciles, exact KS; all categories for text), with why it is flagged or not.
    """
    result = _datasets().diff(old, new)

    def render() -> None:
        console.print(
            f"{result.old} -> {result.new}: rows {result.rows[0]:,} -> {result.rows[1]:,} "
            f"({result.row_change:+,})"
        )
        for label, cols in (("added", result.added), ("removed", result.removed)):
            for column, kind in cols.items():
                console.print(f"  {label}: {escape(column)} ({kind})")
        for column, (a, b) in result.retyped.items():
            console.print(f"  retyped: {escape(column)} {a} -> {b}")
        rows = [
            [
                c.column,
                c.psi,
                c.ks,
                "" if c.drift is None else c.drift.reason,
                "; ".join(
                    f"{k} {format_value(a)} -> {format_value(b)}" for k, (a, b) in c.changes.items()
                ),
            ]
            for c in result.columns
        ]
        table("columns", ["column", "psi", "ks", "drift", "changes"], rows)

    emit(result, as_json, render)


@app.command("validate")
def validate(
    ref: str = typer.Argument(..., help="The version to check, e.g. flights@2."),
    suite: Path = typer.Option(..., "--suite", "-s", help="Suite YAML file."),
    as_json: bool = JsonOption,
) -> None:
    """Evaluate a suite: exit 0 if it passes, 1 if an expectation fails, 2 on misuse.

    Misuse is anything that stops the check from running (a missing or broken suite
    file, an unknown kind, parameter or dataset, a bad regex), so a CI gate can tell
    bad data from a broken gate.
    """
    from driftloop.data._fluent import validate_dataset
    from driftloop.data._validate import result_dict

    with gate():
        result = validate_dataset(ref, str(suite))
    if as_json:
        print_json(
            {
                "dataset": result.dataset,
                "suite": result.suite,
                "success": result.success,
                "results": [result_dict(r) for r in result.results],
            }
        )
    else:
        _render_validation(result)
    if not result.success:
        raise typer.Exit(EXIT_FAILED)


def _render_validation(result: Any) -> None:
    # Plain lines, never wrapped: CI logs are read and grepped line by line.
    for r in result.results:
        typer.echo(r.message)
        for example in r.examples:
            typer.echo(f"    e.g. {example}")
    state = (
        "passed" if result.success else f"FAILED ({len(result.failures)} of {len(result.results)})"
    )
    typer.echo(f"Suite {result.suite} on {result.dataset}: {state}")


@app.command("suggest-suite")
def suggest_suite(
    ref: str = typer.Argument(..., help="The version to profile, e.g. flights@1."),
    output: Path | None = output_option("Write the YAML to this file (default: print it)."),
    out: Path | None = hidden_output_option("--out"),
    as_json: bool = JsonOption,
) -> None:
    """Write a starting suite from a version's profile, to edit and keep."""
    out = output_file(output, out, "--out")
    suite = _datasets().suggest_suite(ref)
    if out is not None:
        out.write_text(suite.to_yaml(), encoding="utf-8")
    if as_json:
        print_json(suite.to_dict())
    elif out is None:
        typer.echo(suite.to_yaml(), nl=False)
    else:
        console.print(f"Wrote {len(suite.expectations)} expectations to {escape(str(out))}")


def gc(
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="List what would be purged and removed, with bytes; change nothing.",
    ),
    older_than: str = typer.Option(
        "0",
        "--older-than",
        help="Purge only objects deleted at least this long ago: 30d, 12h, 1d12h, 0 (all).",
    ),
    grace_minutes: float = typer.Option(
        60.0,
        "--grace-minutes",
        help="Never remove a blob written less than this long ago (writers put blobs "
        "before their rows).",
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Purge deleted objects without asking."),
    as_json: bool = JsonOption,
) -> None:
    """Purge deleted objects for good, then remove unreferenced blobs and temp files.

    Asks before purging, unless --yes. The blobs removed are those no row references any
    more (dataset files, run artifacts, models) and temp files of crashed writers. Deleted
    runs, experiments, datasets, models, feature views, endpoints, monitors, rules,
    triggers and loop policies go with every row they own; their names are free again.
    """
    from driftloop.cli._gc import collect

    collect(
        dry_run=dry_run,
        older_than=older_than,
        grace_minutes=grace_minutes,
        yes=yes,
        as_json=as_json,
    )
