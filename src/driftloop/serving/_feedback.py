"""Ground-truth labels fed back by request id, minutes or days after the prediction.

A label is stored per (endpoint, request id, row index); a later label for the same
row replaces the earlier one (the latest truth wins, as when a chargeback reverses a
fraud label). Labels are validated before anything is stored: a bad item refuses the
whole call, so a bulk upload is never half-applied.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from driftloop.errors import InvalidInputError
from driftloop.store import MetadataStore, upsert
from driftloop.store._prediction_rows import PredictionFeedbackRow

LabelValue = bool | int | float | str
MAX_LABELS_PER_CALL = 100_000
_UPSERT_CHUNK = 1_000
_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,128}$")  # printable ASCII, no spaces
_ENDPOINT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,255}$")
_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Label:
    """The true value of one row (``row_index``, from 0) of one logged request."""

    request_id: str
    label: LabelValue
    row_index: int = 0


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    """What a feedback call stored.

    ``accepted`` labels were stored (each replacing an earlier label of its row).
    ``unknown_request_ids`` are the request ids among them not found in the indexed
    log of the endpoint: their labels are kept all the same (the prediction may still
    be in a server's queue, or the label arrived first) and join once it is there; a
    typo shows up here instead of vanishing.
    """

    endpoint: str
    accepted: int
    unknown_request_ids: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "endpoint": self.endpoint,
            "accepted": self.accepted,
            "unknown_request_ids": list(self.unknown_request_ids),
        }


def check_endpoint(name: object) -> str:
    if not isinstance(name, str) or not _ENDPOINT.match(name):
        raise InvalidInputError(
            f"endpoint name {name!r} is not valid; use letters, digits, '_', '-', '.' "
            "(up to 256 characters, starting with a letter or digit)"
        )
    return name


def _check_label(value: object, where: str) -> LabelValue:
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise InvalidInputError(
        f"{where}: label {value!r} is not allowed; give a number, a string or a boolean"
    )


def _check_item(request_id: object, label: object, row_index: object, where: str) -> Label:
    if not isinstance(request_id, str) or not _REQUEST_ID.match(request_id):
        raise InvalidInputError(
            f"{where}: request_id {request_id!r} is not valid; give the request id the "
            "server returned (X-Request-ID, 1 to 128 printable characters)"
        )
    if isinstance(row_index, bool) or not isinstance(row_index, int) or row_index < 0:
        raise InvalidInputError(
            f"{where}: row_index {row_index!r} is not valid; give the row's position in "
            "its request, a whole number from 0"
        )
    return Label(request_id, _check_label(label, where), row_index)


def _from_item(item: object, position: int) -> Label:
    where = f"labels[{position}]"
    if isinstance(item, Label):
        return _check_item(item.request_id, item.label, item.row_index, where)
    if not isinstance(item, Mapping):
        raise InvalidInputError(
            f"{where} is {type(item).__name__}; give an object with request_id and label"
        )
    extra = sorted(set(item) - {"request_id", "label", "row_index"})
    if extra or "request_id" not in item or "label" not in item:
        raise InvalidInputError(
            f"{where}: give request_id, label and optionally row_index"
            + (f"; unknown field(s) {extra}" if extra else "")
        )
    return _check_item(item["request_id"], item["label"], item.get("row_index", 0), where)


def parse_labels(
    request_id: object = None,
    label: object = _MISSING,
    row_index: object = 0,
    labels: Iterable[object] | None = None,
) -> list[Label]:
    """One label (``request_id`` + ``label``) or many (``labels``), validated.

    Raises InvalidInputError naming the first bad item, or when both or neither
    forms are given.
    """
    single = request_id is not None or label is not _MISSING
    if single == (labels is not None):
        raise InvalidInputError(
            "give either request_id and label (one label) or labels (a list of "
            "{request_id, label, row_index})"
        )
    if single:
        if label is _MISSING:
            raise InvalidInputError(f"request {request_id!r}: give the label too")
        return [_check_item(request_id, label, row_index, "feedback")]
    if isinstance(labels, str | bytes | Mapping):
        raise InvalidInputError("labels must be a list of {request_id, label, row_index}")
    assert labels is not None
    items = [_from_item(item, n) for n, item in enumerate(labels)]
    if not items:
        raise InvalidInputError("labels is empty; give at least one label")
    if len(items) > MAX_LABELS_PER_CALL:
        raise InvalidInputError(
            f"{len(items)} labels in one call; send at most {MAX_LABELS_PER_CALL} at a time"
        )
    return items


def store_labels(
    store: MetadataStore, endpoint: str, labels: Sequence[Label], received_at: datetime
) -> int:
    """Upsert ``labels`` (a later item of the same row wins); returns the rows stored."""
    latest: dict[tuple[str, int], Label] = {}
    for item in labels:  # one statement may not touch a row twice (PostgreSQL)
        latest[(item.request_id, item.row_index)] = item
    rows = [
        {
            "endpoint": endpoint,
            "request_id": item.request_id,
            "row_index": item.row_index,
            "label": json.dumps(item.label),
            "received_at": received_at,
        }
        for item in latest.values()
    ]
    keys = ["endpoint", "request_id", "row_index"]
    with store.session() as session:
        for start in range(0, len(rows), _UPSERT_CHUNK):
            upsert(session, PredictionFeedbackRow, keys, rows[start : start + _UPSERT_CHUNK])
    return len(rows)
