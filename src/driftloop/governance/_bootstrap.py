"""The first admin of a team server, made by a person or by a container's first start.

`driftloop server init` makes the first admin and prints their token once. For an
unattended first start (a container), ``DRIFTLOOP_ADMIN_TOKEN_FILE`` names a file the
token is written to instead, created with mode 0600 and never overwritten, as Jenkins
writes its initial admin password; ``DRIFTLOOP_ADMIN_NAME`` names the admin (``admin``).
There is never a default password.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from driftloop.errors import AlreadyExistsError, InvalidInputError
from driftloop.governance._models import IssuedToken
from driftloop.governance._service import GovernanceService

TOKEN_FILE_VARIABLE = "DRIFTLOOP_ADMIN_TOKEN_FILE"
NAME_VARIABLE = "DRIFTLOOP_ADMIN_NAME"
DEFAULT_ADMIN = "admin"


def write_token_file(path: Path, issued: IssuedToken) -> None:
    """Write the token's text to a new file only its owner can read.

    Raises:
        AlreadyExistsError: the file exists (an earlier token is never overwritten).
        InvalidInputError: the folder does not exist or cannot be written.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise AlreadyExistsError(
            f"token file {path} exists; remove it or name another file"
        ) from None
    except OSError as exc:
        raise InvalidInputError(f"cannot write the token file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(issued.text + "\n")


def seed_first_admin(
    governance: GovernanceService, environ: Mapping[str, str] = os.environ
) -> IssuedToken | None:
    """At a server's start: with ``DRIFTLOOP_ADMIN_TOKEN_FILE`` set and no admin yet, make
    the first admin and write their token to that file. None when nothing was to do.

    The token file is checked before the admin is made, so a refused file makes no admin.
    """
    target = environ.get(TOKEN_FILE_VARIABLE)
    if not target or governance.admins():
        return None
    path = Path(target)
    if path.exists():
        raise AlreadyExistsError(
            f"{TOKEN_FILE_VARIABLE} names {path}, which exists; remove it or name another file"
        )
    issued = governance.bootstrap_admin(environ.get(NAME_VARIABLE) or DEFAULT_ADMIN)
    write_token_file(path, issued)
    return issued
