"""`models list | versions | show | alias | unalias | history | archive | card | lineage`,
`models delete | restore`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from driftloop.cli._lifecycle import DeletedOption, deleted_columns, deleted_headers, emit_events
from driftloop.cli._output import JsonOption, console, emit, format_value, table

if TYPE_CHECKING:
    from driftloop.registry._models import ModelVersion
    from driftloop.registry._service import RegistryService
    from driftloop.store._lifecycle import LifecycleEvent

app = typer.Typer(
    help="Registered models: versions, aliases, cards and lineage.", no_args_is_help=True
)


def _registry() -> RegistryService:
    from driftloop._workspace import get_workspace

    return get_workspace(create=False).registry


def _version_summary(v: ModelVersion) -> dict[str, Any]:
    return {
        "name": v.name,
        "version": v.version,
        "ref": v.ref,
        "uri": v.uri,
        "status": v.status.value,
        "status_message": v.status_message,
        "aliases": list(v.aliases),
        "flavor": v.flavor,
        "run_id": v.run_id,
        "artifact_path": v.artifact_path,
        "model_digest": v.model_digest,
        "description": v.description,
        "tags": v.tags,
        "created_by": v.created_by,
        "created_at": v.created_at,
        "updated_at": v.updated_at,
        "signature": v.signature.to_dict() if v.signature else None,
        "requirements": v.requirements,
        "deleted_at": v.deleted_at,
        "deleted_by": v.deleted_by,
    }


@app.command("list")
def list_models(deleted: bool = DeletedOption, as_json: bool = JsonOption) -> None:
    """Registered models with their latest version and aliases (--deleted: the deleted ones)."""
    models = _registry().list_models("deleted_only" if deleted else "active_only")

    def render() -> None:
        rows = [
            (
                m.name,
                m.latest_version,
                ", ".join(f"{a}={v}" for a, v in m.aliases.items()),
                m.description,
                m.updated_at,
                *deleted_columns(m, deleted),
            )
            for m in models
        ]
        columns = ["name", "latest", "aliases", "description", "updated"]
        table(f"{len(models)} model(s)", columns + deleted_headers(deleted), rows)

    emit(models, as_json, render)


@app.command("versions")
def versions(
    name: str = typer.Argument(..., help="Registered model name."),
    deleted: bool = DeletedOption,
    as_json: bool = JsonOption,
) -> None:
    """Every version of a model: status, aliases, run, digest (--deleted: the deleted ones)."""
    found = _registry().list_versions(name, "deleted_only" if deleted else "active_only")

    def render() -> None:
        rows = [
            (
                v.version,
                v.status.value,
                ", ".join(v.aliases),
                v.flavor,
                (v.run_id or "")[:12],
                v.model_digest[:19],
                v.created_at,
                v.created_by,
                *deleted_columns(v, deleted),
            )
            for v in found
        ]
        columns = ["version", "status", "aliases", "flavor", "run", "digest", "created", "by"]
        columns += deleted_headers(deleted)
        table(f"{name}: {len(found)} version(s)", columns, rows)

    emit([_version_summary(v) for v in found], as_json, render)


@app.command("show")
def show(
    ref: str = typer.Argument(..., help="NAME@VERSION, NAME@ALIAS, NAME (latest) or models:/ URI."),
    as_json: bool = JsonOption,
) -> None:
    """One version: status, lineage links, signature and requirements."""
    registry = _registry()
    version = registry.resolve(ref)
    links = registry.run_links(version)
    summary = {
        **_version_summary(version),
        "code_commit": links.code_commit,
        "params": links.params,
        "metrics": links.metrics,
        "datasets": list(links.datasets),
    }

    def render() -> None:
        console.print(
            f"[bold]{escape(version.ref)}[/bold]  ({version.status.value})  {version.flavor}"
        )
        if version.status_message:
            console.print(f"status: {escape(version.status_message)}")
        run = version.run_id or "none (registered from files)"
        console.print(f"aliases: {', '.join(version.aliases) or 'none'}   run: {run}")
        console.print(f"digest: {version.model_digest}")
        console.print(
            f"registered by {escape(version.created_by)} on {format_value(version.created_at)}"
        )
        commit = summary["code_commit"] or "not in git"
        datasets = ", ".join(summary["datasets"]) or "none recorded"
        console.print(f"code: {commit}   datasets: {escape(datasets)}")
        if summary["metrics"]:
            table("metrics of its run", ["key", "value"], sorted(summary["metrics"].items()))
        if version.signature and version.signature.inputs:
            table(
                "signature",
                ["column", "type", "nullable"],
                [(c.name, c.type, c.nullable) for c in version.signature.inputs],
            )
        table("requirements", ["package", "version"], sorted(version.requirements.items()))

    emit(summary, as_json, render)


def _split(ref: str) -> tuple[str, int]:
    """NAME@VERSION (or a models:/ URI, or the deprecated NAME/VERSION) -> (name, version)."""
    from driftloop.errors import InvalidInputError
    from driftloop.registry._uri import RunModelRef, parse_model_uri

    parsed = parse_model_uri(ref)
    if isinstance(parsed, RunModelRef) or parsed.version is None:
        raise InvalidInputError(
            f"{ref!r} names no version; use NAME@VERSION, e.g. {getattr(parsed, 'name', 'churn')}@3"
        )
    return parsed.name, parsed.version


NameArg = typer.Argument(..., help="Registered model name.")


@app.command("alias")
def alias(
    name: str = NameArg,
    version: int = typer.Argument(..., help="The version ALIAS points at from now on."),
    alias_name: str = typer.Argument(..., metavar="ALIAS", help="e.g. champion."),
    as_json: bool = JsonOption,
) -> None:
    """Point ALIAS (e.g. champion) at VERSION of NAME; the move is recorded."""
    event = _registry().set_alias(name, alias_name, version)
    moved = f" (was {event.from_version})" if event.from_version is not None else ""
    emit(
        event,
        as_json,
        lambda: console.print(f"{escape(name)}@{escape(alias_name)} -> version {version}{moved}"),
    )


@app.command("unalias")
def unalias(
    name: str = NameArg,
    alias_name: str = typer.Argument(..., metavar="ALIAS", help="The alias to remove."),
    as_json: bool = JsonOption,
) -> None:
    """Remove ALIAS from NAME; the removal is recorded."""
    event = _registry().remove_alias(name, alias_name)
    emit(
        event,
        as_json,
        lambda: console.print(
            f"removed {escape(name)}@{escape(alias_name)} (was version {event.from_version})"
        ),
    )


@app.command("history")
def history(
    name: str = NameArg,
    alias_name: str | None = typer.Argument(None, metavar="[ALIAS]", help="Only this alias."),
    as_json: bool = JsonOption,
) -> None:
    """Who set, moved and removed which alias, and when."""
    events = _registry().alias_history(name, alias_name)
    emit(
        events,
        as_json,
        lambda: table(
            f"{name}: alias history",
            ["when", "alias", "action", "from", "to", "by"],
            [(e.at, e.alias, e.action, e.from_version, e.to_version, e.user) for e in events],
        ),
    )


@app.command("archive")
def archive(
    ref: str = typer.Argument(..., help="NAME@VERSION"), as_json: bool = JsonOption
) -> None:
    """Archive a version (refused while an alias points at it)."""
    version = _registry().archive(*_split(ref))
    emit(
        _version_summary(version), as_json, lambda: console.print(f"archived {escape(version.ref)}")
    )


@app.command("card")
def card(
    ref: str = typer.Argument(..., help="NAME@VERSION, NAME@ALIAS or NAME"),
    as_json: bool = JsonOption,
) -> None:
    """The model card in Markdown."""
    from driftloop.registry._uri import parse_model_uri

    text = _registry().model_card(ref)
    emit(
        {"ref": str(parse_model_uri(ref)), "markdown": text},
        as_json,
        lambda: typer.echo(text, nl=False),
    )


@app.command("lineage")
def lineage(
    ref: str = typer.Argument(..., help="NAME@VERSION, NAME@ALIAS, NAME or a URI"),
    as_json: bool = JsonOption,
) -> None:
    """Where a version came from (run, code, params, datasets) and where it went, as a tree."""
    from driftloop.registry._lineage import lineage_json, lineage_tree

    graph = _registry().lineage(ref)
    emit(lineage_json(graph), as_json, lambda: typer.echo("\n".join(lineage_tree(graph))))


def _target(ref: str) -> tuple[str, int | None]:
    """NAME (the model, every version) or NAME@VERSION (one version); never an alias."""
    from driftloop.errors import InvalidInputError
    from driftloop.registry._uri import RunModelRef, parse_model_uri

    parsed = parse_model_uri(ref)
    if isinstance(parsed, RunModelRef) or parsed.alias is not None:
        raise InvalidInputError(
            f"{ref!r} is not a model or a version; give NAME (the model and every version) "
            "or NAME@VERSION, e.g. churn@3"
        )
    return parsed.name, parsed.version


def _change(refs: list[str], action: str) -> list[LifecycleEvent]:
    registry = _registry()
    targets = [_target(r) for r in refs]  # every reference checked before any change
    events = []
    for name, version in targets:
        if version is None:
            change = registry.delete_model if action == "delete" else registry.restore_model
            events.append(change(name))
        else:
            method = registry.delete_version if action == "delete" else registry.restore_version
            events.append(method(name, version))
    return events


@app.command("delete")
def delete(
    refs: list[str] = typer.Argument(..., help="NAME (the model, every version) or NAME@VERSION."),
    as_json: bool = JsonOption,
) -> None:
    """Delete models or versions: hidden, numbers never reused, restorable until `driftloop gc`.

    Refused while an alias points at a version, a live deployment serves it or the loop
    is trying it as a challenger; the message names which and what to do.
    """
    emit_events(_change(refs, "delete"), as_json, "models")


@app.command("restore")
def restore(
    refs: list[str] = typer.Argument(..., help="NAME or NAME@VERSION of deleted ones."),
    as_json: bool = JsonOption,
) -> None:
    """Restore deleted models (with the versions deleted with them) or versions."""
    emit_events(_change(refs, "restore"), as_json, "models")
