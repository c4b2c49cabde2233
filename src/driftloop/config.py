"""Workspace discovery and settings.

A workspace is a folder holding ``driftloop.toml`` and ``.driftloop/``. It is found
like git finds a repository: from the current folder upwards. Precedence, highest
first: explicit arguments > ``DRIFTLOOP_*`` environment > ``driftloop.toml`` >
defaults (SQLite and local files under ``.driftloop/``). Settings are read when a
workspace is opened, never at import time.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, StrictStr
from pydantic import ValidationError as PydanticValidationError

from driftloop.errors import InvalidInputError, NotFoundError

__all__ = ["CONFIG_FILE", "STATE_DIR", "Settings", "find_workspace_root", "load_settings"]

CONFIG_FILE = "driftloop.toml"
STATE_DIR = ".driftloop"

# Each setting: (key in driftloop.toml [workspace] table, environment variable).
_KEYS = {
    "db_url": "DRIFTLOOP_DB_URL",
    "artifact_url": "DRIFTLOOP_ARTIFACT_URL",
    "online_url": "DRIFTLOOP_ONLINE_URL",
    "user": "DRIFTLOOP_USER",
}


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved settings of one workspace."""

    root: Path
    db_url: str
    artifact_url: str
    online_url: str
    user: str
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR


def find_workspace_root(start: Path | None = None) -> Path | None:
    """Return the nearest folder at or above ``start`` holding ``driftloop.toml``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return None


def _defaults(root: Path) -> dict[str, str]:
    state = root / STATE_DIR
    return {
        "db_url": f"sqlite:///{state / 'driftloop.db'}",
        "artifact_url": (state / "artifacts").as_uri(),
        "online_url": f"sqlite:///{state / 'online.db'}",
        "user": _login_name(),
    }


def _login_name() -> str:
    # getpass reads LOGNAME/USER/USERNAME, then the password database (root in CI).
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _read_file(root: Path) -> dict[str, str]:
    path = root / CONFIG_FILE
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(
            f"{path} is not valid TOML ({exc}); fix the file or delete it and run `driftloop init`"
        ) from exc
    table = data.get("workspace", {})
    if not isinstance(table, dict):
        raise InvalidInputError(
            f"{path}: 'workspace' must be a table ([workspace]), got {table!r}; "
            f"its keys are {', '.join(sorted(_KEYS))}"
        )
    return _check_table(table, str(path))


class _WorkspaceTable(BaseModel):
    """The ``[workspace]`` table of ``driftloop.toml``: known keys only, each a string."""

    model_config = ConfigDict(extra="forbid")

    db_url: StrictStr | None = None
    artifact_url: StrictStr | None = None
    online_url: StrictStr | None = None
    user: StrictStr | None = None


def _check_table(table: dict[str, Any], where: str) -> dict[str, str]:
    try:
        checked = _WorkspaceTable.model_validate(table)
    except PydanticValidationError as exc:
        unknown = sorted(str(e["loc"][0]) for e in exc.errors() if e["type"] == "extra_forbidden")
        wrong = [
            f"{e['loc'][0]} = {e['input']!r} (must be a string)"
            for e in exc.errors()
            if e["type"] != "extra_forbidden"
        ]
        problems = ([f"unknown setting(s) {unknown} in [workspace]"] if unknown else []) + wrong
        raise InvalidInputError(
            f"{where}: {'; '.join(problems)}; allowed: {sorted(_KEYS)}"
        ) from None
    return {k: v for k, v in checked.model_dump().items() if v is not None}


def load_settings(root: Path | str | None = None, **overrides: str | None) -> Settings:
    """Resolve settings for the workspace at ``root`` (or found from the current folder).

    Raises:
        NotFoundError: no ``root`` given, no ``DRIFTLOOP_HOME`` set and no
            ``driftloop.toml`` above the current folder.
    """
    if root is None and os.environ.get("DRIFTLOOP_HOME"):
        root = os.environ["DRIFTLOOP_HOME"]
    resolved = Path(root).resolve() if root is not None else find_workspace_root()
    if resolved is None:
        raise NotFoundError(
            f"no driftloop workspace in {Path.cwd()} or its parents; run `driftloop init`"
        )
    values = _defaults(resolved)
    sources = dict.fromkeys(values, "default")
    for layer, name in ((_read_file(resolved), "driftloop.toml"), (_environment(), "environment")):
        values.update(layer)
        sources.update(dict.fromkeys(layer, name))
    explicit = {k: v for k, v in overrides.items() if v is not None}
    unknown = sorted(set(explicit) - set(_KEYS))
    if unknown:
        raise InvalidInputError(f"unknown setting(s) {unknown}; allowed: {sorted(_KEYS)}")
    values.update(explicit)
    sources.update(dict.fromkeys(explicit, "argument"))
    return Settings(root=resolved, sources=sources, **values)


def _environment() -> dict[str, str]:
    return {key: os.environ[env] for key, env in _KEYS.items() if os.environ.get(env)}


def with_overrides(settings: Settings, **values: Any) -> Settings:
    """A copy of ``settings`` with some values replaced (used by tests and the demo)."""
    return replace(settings, **values)


def read_table_array(path: Path, key: str) -> list[Any]:
    """The ``[[key]]`` tables of the TOML file at ``path`` (none if the file or key is absent).

    Raises:
        InvalidInputError: the file is not TOML, or ``key`` is not an array of tables.
    """
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"{path} is not valid TOML ({exc}); fix the file") from exc
    tables = data.get(key, [])
    if not isinstance(tables, list):
        raise InvalidInputError(
            f"{path}: '{key}' must be an array of tables, written [[{key}]] (one table each)"
        )
    return tables
