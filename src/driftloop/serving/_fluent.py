"""``dl.log_feedback``: ground-truth labels from Python, on the default workspace."""

from __future__ import annotations

from collections.abc import Iterable

from driftloop._workspace import get_workspace
from driftloop.serving._feedback import _MISSING, FeedbackResult, Label


def log_feedback(
    endpoint: str,
    *,
    request_id: str | None = None,
    label: object = _MISSING,
    row_index: int = 0,
    labels: Iterable[Label | dict[str, object]] | None = None,
) -> FeedbackResult:
    """Record the true label of a logged prediction by its request id (or many: ``labels``).

    Labels may arrive minutes or days after the prediction; a later label of the same
    (request id, row) replaces the earlier one. Request ids not (yet) in the log are
    kept and listed in ``unknown_request_ids``. Raises InvalidInputError, storing
    nothing, when an item is malformed.

    Example::

        dl.log_feedback("flight-delays", request_id=rid, label=1)
        dl.log_feedback("flight-delays", labels=[{"request_id": rid, "label": 0}])
    """
    return get_workspace().predictions.log_feedback(
        endpoint, request_id=request_id, label=label, row_index=row_index, labels=labels
    )
