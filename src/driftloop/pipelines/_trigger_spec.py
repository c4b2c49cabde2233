"""Checking a trigger declaration and turning it into its stored (kind, source, spec).

One place validates what both Python (``ws.triggers.define``) and ``driftloop.toml``
declare, so both refuse the same mistakes with the same message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from driftloop.errors import InvalidInputError
from driftloop.pipelines._schedules import check_cron, check_timezone
from driftloop.pipelines._trigger_models import TriggerKind

__all__ = [
    "TriggerSpec",
    "build_spec",
    "check_event_key",
    "check_kind",
    "check_name",
    "check_params",
    "hash_secret",
    "secret_matches",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
_KINDS = ", ".join(k.value for k in TriggerKind)


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    kind: TriggerKind
    source: str | None
    spec: dict[str, Any]


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInputError(
            f"trigger name {name!r} is not allowed; use letters, digits, '_', '.', '-' "
            "(at most 128, starting with a letter or digit), e.g. 'nightly-retrain'"
        )
    return name


def check_kind(kind: str | TriggerKind) -> TriggerKind:
    try:
        return TriggerKind(kind)
    except ValueError:
        raise InvalidInputError(f"trigger kind {kind!r} is unknown; use one of {_KINDS}") from None


def hash_secret(secret: str) -> str:
    if not isinstance(secret, str) or len(secret) < 16:
        raise InvalidInputError(
            "a webhook secret must be a string of at least 16 characters; "
            "leave it out to have one generated"
        )
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: object) -> bool:
    """Constant-time check of a presented secret against the stored hash."""
    if not isinstance(stored_hash, str):
        return False
    presented = hashlib.sha256(secret.encode()).hexdigest()
    return hmac.compare_digest(presented, stored_hash)


def _required(value: str | None, what: str, kind: TriggerKind, example: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"a {kind.value} trigger needs {what}, e.g. {example}")
    return value.strip()


def build_spec(
    kind: str | TriggerKind,
    *,
    cron: str | None = None,
    timezone: str | None = None,
    dataset: str | None = None,
    rule: str | None = None,
    secret_hash: str | None = None,
    executor: str | None = None,
) -> TriggerSpec:
    """The stored form of a declaration, or an error naming the argument that is wrong."""
    checked = check_kind(kind)
    given = {"cron": cron, "timezone": timezone, "dataset": dataset, "rule": rule}
    allowed = {
        TriggerKind.CRON: {"cron", "timezone"},
        TriggerKind.DATASET: {"dataset"},
        TriggerKind.ALERT: {"rule"},
    }.get(checked, set())
    extra = sorted(k for k, v in given.items() if v is not None and k not in allowed)
    if extra:
        raise InvalidInputError(
            f"a {checked.value} trigger takes no {', '.join(extra)}; "
            f"it takes {', '.join(sorted(allowed)) or 'neither'} of cron/timezone/dataset/rule"
        )
    spec: dict[str, Any] = {} if executor is None else {"executor": executor}
    source: str | None = None
    if checked is TriggerKind.CRON:
        spec["cron"] = check_cron(_required(cron, "cron=", checked, "cron='0 2 * * *'"))
        spec["timezone"] = check_timezone(timezone or "UTC").key
    elif checked is TriggerKind.DATASET:
        source = _required(dataset, "dataset= (the dataset's name)", checked, "dataset='flights'")
    elif checked is TriggerKind.ALERT:
        source = _required(rule, "rule= (the alert rule's name)", checked, "rule='auc-drop'")
    elif checked is TriggerKind.WEBHOOK and secret_hash is not None:
        spec["secret_sha256"] = secret_hash
    return TriggerSpec(checked, source, spec)


def check_event_key(key: str) -> str:
    if not isinstance(key, str) or not key or len(key) > 256:
        raise InvalidInputError(
            f"event key {key!r} is not allowed; give a non-empty string of at most 256 characters"
        )
    return key


def check_params(name: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``params`` as a dict of JSON values (they are stored and passed to the target)."""
    if params is None:
        return {}
    if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
        raise InvalidInputError(f"trigger {name!r}: params must be a mapping of names to values")
    try:
        json.dumps(dict(params), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"trigger {name!r}: params must be JSON values (numbers, strings, lists, "
            f"mappings): {exc}"
        ) from None
    return dict(params)
