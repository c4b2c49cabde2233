"""Loop policies declared in ``driftloop.toml``, applied when a scheduler starts::

[[loop]]
endpoint = "flights"
model = "flight-delays"
pipeline = "flights.training:train"
triggers = [{ alert = "flights-drift" }, { schedule = "0 3 * * 1" }]
gate = { metric = "roc_auc", min_improvement = 0.005 }
rollout = { canary_weight = 0.2, min_requests = 500 }
"""

from __future__ import annotations

import logging
from pathlib import Path

from driftloop.automation._policy import LoopPolicy, parse_policy
from driftloop.automation._service import LoopService
from driftloop.config import read_table_array
from driftloop.errors import InvalidInputError

log = logging.getLogger("driftloop.scheduler")


def read_loop_tables(path: Path) -> list[LoopPolicy]:
    """The ``[[loop]]`` tables of the TOML file at ``path``, each checked (none if absent)."""
    tables = read_table_array(path, "loop")
    if not all(isinstance(t, dict) for t in tables):
        raise InvalidInputError(f"{path}: write each loop policy as a [[loop]] table")
    return [parse_policy(t, where=f"{path} [[loop]] #{n}") for n, t in enumerate(tables, 1)]


def apply_loop_file(loop: LoopService, path: Path) -> list[LoopPolicy]:
    """Store every policy declared in ``path`` (all are checked before any is stored,
    including that what they name exists).

    A table of an endpoint whose policy is deleted is skipped with a warning: applying
    the file at every start must not undo someone's delete.
    """
    policies = read_loop_tables(path)
    deleted = loop.deleted_policies([p.endpoint for p in policies])
    for endpoint in sorted(deleted):
        log.warning(
            "%s: the [[loop]] of %s was not applied: its policy is deleted; restore it with "
            "`driftloop loop restore %s` or remove the table",
            path,
            endpoint,
            endpoint,
        )
    applied = [(n, p) for n, p in enumerate(policies, 1) if p.endpoint not in deleted]
    for number, policy in applied:
        try:
            loop.check_policy(policy)
        except InvalidInputError as exc:
            raise InvalidInputError(f"{path} [[loop]] #{number}: {exc}") from exc
    for _, policy in applied:
        loop.set_policy(policy)
    return [policy for _, policy in applied]
