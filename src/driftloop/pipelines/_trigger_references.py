"""What a trigger names must exist when it is declared, not only when it fires.

A trigger watching a dataset nobody logged, or starting a pipeline that cannot be
imported, would otherwise be accepted and fail at each firing, perhaps at 2 a.m.
"""

from __future__ import annotations

from typing import Any

from driftloop.errors import InvalidInputError, NotFoundError
from driftloop.pipelines._dispatch import ChecksTarget, TargetDispatcher
from driftloop.pipelines._trigger_due import latest_version
from driftloop.pipelines._trigger_models import TriggerKind
from driftloop.pipelines._trigger_spec import TriggerSpec
from driftloop.store import MetadataStore

# Firings that bring params of their own (a webhook body, `pipeline trigger -p`): the
# trigger's params need not be complete.
_ADDS_PARAMS = (TriggerKind.WEBHOOK, TriggerKind.MANUAL)


def check_references(
    store: MetadataStore,
    dispatcher: TargetDispatcher,
    name: str,
    built: TriggerSpec,
    target: str,
    params: dict[str, Any],
) -> None:
    """Refuse trigger ``name`` if the dataset it watches or the target it starts is missing.

    Raises:
        NotFoundError: the dataset, or the target's module, does not exist.
        InvalidInputError: the target is no pipeline, or its params do not fit it.
    """
    if built.kind is TriggerKind.DATASET:
        with store.read() as session:
            found = latest_version(session, built.source or "")
        if not found:
            raise NotFoundError(
                f"trigger {name!r} watches dataset {built.source!r}, which does not exist; "
                f"log its first version (dl.log_dataset or `driftloop data log {built.source} "
                "FILE`) before declaring the trigger"
            )
    if not isinstance(dispatcher, ChecksTarget):
        return
    try:
        dispatcher.check(target.strip(), params, built.kind not in _ADDS_PARAMS)
    except (NotFoundError, InvalidInputError) as exc:
        raise type(exc)(f"trigger {name!r} cannot start {target.strip()!r}: {exc}") from exc
