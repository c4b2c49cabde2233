"""`users add | list | show | disable | enable | grant | revoke` and `roles show`.

On a laptop, or with the team server's database, these act as the workspace's operator:
nothing is checked (whoever can write the database is its admin). On a server the same
service checks the caller's roles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from driftloop.cli._output import JsonOption, console, emit, format_value, table

if TYPE_CHECKING:
    from driftloop.governance._models import User
    from driftloop.governance._service import GovernanceService

app = typer.Typer(
    help="Users and service accounts of a team server, and the roles bound to them.",
    no_args_is_help=True,
)
roles_app = typer.Typer(help="The roles of an ML team and what each may do.", no_args_is_help=True)
NameArg = typer.Argument(..., help="User name (letters, digits, . _ @ -).")
RoleArg = typer.Argument(
    ..., help="ROLE or ROLE:PATTERN, e.g. data_scientist:churn-* (see `driftloop roles show`)."
)


def governance() -> GovernanceService:
    from driftloop._workspace import get_workspace

    return get_workspace(create=False).governance


def _json(user: User) -> dict[str, Any]:
    from driftloop.governance._render import user_json

    return user_json(user)


def _said(user: User, verb: str) -> None:
    roles = _json(user)["roles"]
    kind = "service account" if user.is_service else "user"
    console.print(
        f"{verb} {kind} {escape(user.name)} (roles: {escape(', '.join(roles) or 'none')})."
    )


@app.command("add")
def add(
    name: str = NameArg,
    role: list[str] = typer.Option(
        [], "--role", help="ROLE or ROLE:PATTERN to grant; repeat for more."
    ),
    service: bool = typer.Option(
        False, "--service", help="A service account (a scheduler, a CI job), not a person."
    ),
    display_name: str = typer.Option("", "--display-name", help="A person's full name."),
    as_json: bool = JsonOption,
) -> None:
    """Add a user (or a service account) with roles; give them a token with `tokens create`."""
    user = governance().add_user(name, role, display_name=display_name, is_service=service)
    emit(_json(user), as_json, lambda: _said(user, "Added"))


@app.command("list")
def list_users(as_json: bool = JsonOption) -> None:
    """Every user: kind, roles, state."""
    users = governance().list_users()
    rows = [_json(u) for u in users]

    def render() -> None:
        table(
            f"{len(rows)} user(s)",
            ["name", "kind", "roles", "state", "display name", "created"],
            [
                (
                    r["name"],
                    "service" if r["is_service"] else "person",
                    ", ".join(r["roles"]) or "-",
                    r["state"],
                    r["display_name"],
                    r["created_at"],
                )
                for r in rows
            ],
        )

    emit(rows, as_json, render)


@app.command("show")
def show(name: str = NameArg, as_json: bool = JsonOption) -> None:
    """One user: roles, state, who made them."""
    user = _json(governance().get_user(name))

    def render() -> None:
        for key, value in user.items():
            shown = ", ".join(value) if isinstance(value, list) else format_value(value)
            console.print(f"{key:>13}: {escape(shown)}")

    emit(user, as_json, render)


@app.command("disable")
def disable(name: str = NameArg, as_json: bool = JsonOption) -> None:
    """Disable a user: their tokens are refused from now on (within a second)."""
    user = governance().disable_user(name)
    emit(_json(user), as_json, lambda: _said(user, "Disabled"))


@app.command("enable")
def enable(name: str = NameArg, as_json: bool = JsonOption) -> None:
    """Enable a disabled user again (tokens not revoked or expired work again)."""
    user = governance().enable_user(name)
    emit(_json(user), as_json, lambda: _said(user, "Enabled"))


@app.command("grant")
def grant(name: str = NameArg, role: str = RoleArg, as_json: bool = JsonOption) -> None:
    """Give a user a role, for every name or for names matching a pattern."""
    user = governance().grant(name, role)
    emit(_json(user), as_json, lambda: _said(user, "Granted; now"))


@app.command("revoke")
def revoke(name: str = NameArg, role: str = RoleArg, as_json: bool = JsonOption) -> None:
    """Take a role (as granted, with its pattern) away from a user."""
    user = governance().revoke(name, role)
    emit(_json(user), as_json, lambda: _said(user, "Revoked; now"))


@roles_app.command("show")
def roles_show(as_json: bool = JsonOption) -> None:
    """The permission matrix: roles as rows, kinds of object as columns, actions as letters."""
    from driftloop.governance._render import (
        KIND_HEADERS,
        matrix_legend,
        matrix_rows,
        roles_json,
    )

    def render() -> None:
        table(None, ["role", *KIND_HEADERS.values()], matrix_rows())
        for line in matrix_legend():
            console.print(escape(line))
        console.print("Deny by default; a role granted as ROLE:PATTERN holds for matching names.")

    emit(roles_json(), as_json, render)
