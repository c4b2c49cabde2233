"""Triggers declared in ``driftloop.toml``, applied when a scheduler starts.

Each ``[[trigger]]`` table declares one trigger with the same fields as
``ws.triggers.define``; unknown keys are refused (pydantic ``extra="forbid"``) with the
file and the trigger named. A webhook secret is never written in the file: name the
environment variable holding it with ``secret_env``::

    [[trigger]]
    name = "nightly"
    kind = "cron"
    cron = "0 2 * * *"
    timezone = "Europe/Paris"
    target = "flows:train"
    params = { days = 7 }
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr
from pydantic import ValidationError as PydanticValidationError

from driftloop.config import read_table_array
from driftloop.errors import InvalidInputError, NotFoundError
from driftloop.pipelines._trigger_models import DefinedTrigger
from driftloop.pipelines._triggers import TriggerService

__all__ = ["TriggerTable", "apply_trigger_file", "read_trigger_tables"]

log = logging.getLogger("driftloop.scheduler")


class TriggerTable(BaseModel):
    """One ``[[trigger]]`` table of ``driftloop.toml``."""

    model_config = ConfigDict(extra="forbid")

    name: StrictStr
    target: StrictStr
    kind: StrictStr = "manual"
    target_kind: StrictStr = "pipeline"
    params: dict[str, Any] = Field(default_factory=dict)
    cron: StrictStr | None = None
    timezone: StrictStr | None = None
    dataset: StrictStr | None = None
    rule: StrictStr | None = None
    secret_env: StrictStr | None = None
    executor: StrictStr | None = None
    # None: as it is (a new trigger starts enabled), so a CLI disable survives a restart.
    enabled: StrictBool | None = None


def read_trigger_tables(path: Path) -> list[TriggerTable]:
    """The ``[[trigger]]`` tables of the TOML file at ``path`` (none if it has none)."""
    tables = read_table_array(path, "trigger")
    return [_checked(path, number, table) for number, table in enumerate(tables, 1)]


def _checked(path: Path, number: int, table: object) -> TriggerTable:
    label = table.get("name", f"#{number}") if isinstance(table, dict) else f"#{number}"
    try:
        return TriggerTable.model_validate(table)
    except PydanticValidationError as exc:
        problems = [
            f"unknown key {e['loc'][0]!r}"
            if e["type"] == "extra_forbidden"
            else f"{'.'.join(str(p) for p in e['loc']) or 'table'}: {e['msg']}"
            for e in exc.errors()
        ]
        allowed = ", ".join(TriggerTable.model_fields)
        raise InvalidInputError(
            f"{path}: [[trigger]] {label!s}: {'; '.join(problems)}; allowed keys: {allowed}"
        ) from None


def apply_trigger_file(triggers: TriggerService, path: Path) -> list[DefinedTrigger]:
    """Define (or update) every trigger declared in ``path``; all are checked first.

    A table naming a deleted trigger is skipped with a warning: applying the file at
    every scheduler start must not undo someone's delete.
    """
    tables = read_trigger_tables(path)
    secrets = {t.name: _secret(path, t) for t in tables}
    deleted = triggers.deleted_names([t.name for t in tables])
    for name in sorted(deleted):
        log.warning(
            "%s: [[trigger]] %s is deleted, so it was not applied; restore it with "
            "`driftloop scheduler triggers restore %s` or remove the table",
            path,
            name,
            name,
        )
    return [
        _define(triggers, path, table, secrets[table.name])
        for table in tables
        if table.name not in deleted
    ]


def _define(
    triggers: TriggerService, path: Path, table: TriggerTable, secret: str | None
) -> DefinedTrigger:
    try:
        return triggers.define(
            table.name,
            kind=table.kind,
            target=table.target,
            target_kind=table.target_kind,
            params=table.params,
            cron=table.cron,
            timezone=table.timezone,
            dataset=table.dataset,
            rule=table.rule,
            secret=secret,
            executor=table.executor,
            enabled=table.enabled,
        )
    except (NotFoundError, InvalidInputError) as exc:  # say which file declared it
        raise type(exc)(f"{path}: [[trigger]] {table.name}: {exc}") from exc


def _secret(path: Path, table: TriggerTable) -> str | None:
    if table.secret_env is None:
        return None
    value = os.environ.get(table.secret_env)
    if not value:
        raise InvalidInputError(
            f"{path}: [[trigger]] {table.name}: secret_env names {table.secret_env!r}, which "
            "is not set; export it (at least 16 characters) before starting the scheduler"
        )
    return value
