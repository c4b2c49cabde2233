"""`server init`: the first admin of a team server and their token, printed once."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.markup import escape

from driftloop.cli._output import JsonOption, console, emit
from driftloop.cli._tokens import ExpiresOption, issued_json, lifetime, print_issued
from driftloop.cli._users import governance
from driftloop.errors import AlreadyExistsError

app = typer.Typer(help="The team server.", no_args_is_help=True)


@app.command("init")
def init(
    admin: str = typer.Option(
        None, "--admin", help="The first admin's user name (DRIFTLOOP_ADMIN_NAME, or 'admin')."
    ),
    token_file: Path | None = typer.Option(
        None,
        "--token-file",
        help="Write the token to this new file (mode 0600) instead of printing it "
        "(DRIFTLOOP_ADMIN_TOKEN_FILE).",
    ),
    expires: str = ExpiresOption,
    as_json: bool = JsonOption,
) -> None:
    """Create the first admin and their token (printed once); refused once an admin exists."""
    from driftloop.governance._bootstrap import (
        DEFAULT_ADMIN,
        NAME_VARIABLE,
        TOKEN_FILE_VARIABLE,
        write_token_file,
    )
    from driftloop.governance._render import token_json

    name = admin or os.environ.get(NAME_VARIABLE) or DEFAULT_ADMIN
    target = token_file or (Path(p) if (p := os.environ.get(TOKEN_FILE_VARIABLE)) else None)
    if target is not None and target.exists():  # checked first: a refused file makes no admin
        raise AlreadyExistsError(f"token file {target} exists; remove it or name another file")
    issued = governance().bootstrap_admin(name, expires_in=lifetime(expires))
    if target is None:
        emit(issued_json(issued), as_json, lambda: print_issued(issued, name))
        return
    write_token_file(target, issued)
    said = f"Admin {escape(name)} created; their token is in {escape(str(target))} (mode 0600)."
    info = {**token_json(issued.token, issued.token.created_at), "token_file": str(target)}
    emit(info, as_json, lambda: console.print(said))
