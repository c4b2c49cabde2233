"""`tokens create | list | revoke`: API tokens, shown once, stored only as a salted hash."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import typer
from rich.markup import escape

from driftloop.cli._output import JsonOption, console, emit, err_console, table
from driftloop.cli._users import governance

app = typer.Typer(
    help="API tokens for a team server: shown once, stored only as a salted hash.",
    no_args_is_help=True,
)
ExpiresOption = typer.Option(
    "90d", "--expires", help="Lifetime: 30d, 12h, 2w ... or 'never' (until revoked)."
)


def lifetime(text: str) -> timedelta | None:
    """``30d`` as a timedelta; ``never`` as None."""
    from driftloop.monitoring._models import parse_duration

    if text.strip().lower() == "never":
        return None
    return parse_duration(text.strip(), what="token lifetime")


def issued_json(issued: Any) -> dict[str, Any]:
    from driftloop.governance._render import token_json

    return {**token_json(issued.token, issued.token.created_at), "token": issued.text}


def print_issued(issued: Any, owner: str) -> None:
    """The token's text on a line of its own (stdout), the warning on stderr."""
    token = issued.token
    until = f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "no expiry"
    err_console.print(
        f"Token {escape(token.name)!r} for {escape(owner)} (id {token.id}, {until}); "
        "store it now: it is shown this once and kept nowhere.",
        soft_wrap=True,
    )
    console.print(issued.text, soft_wrap=True, highlight=False, markup=False)


@app.command("create")
def create(
    name: str = typer.Argument(..., help="What the token is for: laptop, ci, scheduler."),
    user: str | None = typer.Option(None, "--user", help="Whose token (yours by default)."),
    expires: str = ExpiresOption,
    as_json: bool = JsonOption,
) -> None:
    """Make an API token; its text is printed this once."""
    service = governance()
    issued = service.create_token(name, user=user, expires_in=lifetime(expires))
    emit(issued_json(issued), as_json, lambda: print_issued(issued, issued.token.user))


@app.command("list")
def list_tokens(
    user: str | None = typer.Option(None, "--user", help="Whose tokens (yours by default)."),
    all_users: bool = typer.Option(False, "--all", help="Everyone's tokens."),
    as_json: bool = JsonOption,
) -> None:
    """Tokens with their state and dates (never their secret)."""
    from driftloop.governance._render import token_json
    from driftloop.store import utcnow

    now = utcnow()
    rows = [token_json(t, now) for t in governance().list_tokens(user, all_users=all_users)]

    def render() -> None:
        table(
            f"{len(rows)} token(s)",
            ["id", "user", "name", "state", "expires", "last used", "created"],
            [
                (
                    r["id"],
                    r["user"],
                    r["name"],
                    r["state"],
                    r["expires_at"] or "never",
                    r["last_used_at"],
                    r["created_at"],
                )
                for r in rows
            ],
        )

    emit(rows, as_json, render)


@app.command("revoke")
def revoke(
    token_id: str = typer.Argument(..., help="Token id (see `driftloop tokens list`)."),
    as_json: bool = JsonOption,
) -> None:
    """Revoke a token: every server refuses it within a second."""
    from driftloop.governance._render import token_json
    from driftloop.store import utcnow

    token = governance().revoke_token(token_id)
    emit(
        token_json(token, utcnow()),
        as_json,
        lambda: console.print(f"Revoked token {token.id} ({escape(token.name)}) of {token.user}."),
    )
