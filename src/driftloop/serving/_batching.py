"""Adaptive micro-batching of one route: concurrent small requests share one model call.

Off unless a deployment sets ``max_batch_size`` > 1 (BentoML and MLServer call this
adaptive batching). A request waits at most ``max_wait_ms`` for others; the batch goes
as soon as it holds ``max_batch_size`` rows or the wait is over, so under light load a
request pays at most the wait and under heavy load the model is called once for many.
Runs on the event loop: the model call is inline, like an unbatched small request.
"""

from __future__ import annotations

import asyncio
import itertools

import numpy as np

from driftloop.serving._models import BatchingOptions
from driftloop.serving._runtime import ModelOutput, ServedModel

_Pending = tuple[dict[str, np.ndarray], int, "asyncio.Future[ModelOutput]"]


class MicroBatcher:
    """Collects requests for one model on one event loop and answers them together."""

    def __init__(self, model: ServedModel, options: BatchingOptions) -> None:
        self.model = model
        self.max_rows = options.max_batch_size
        self.max_wait = options.max_wait_ms / 1000.0
        self._pending: list[_Pending] = []
        self._rows = 0
        self._timer: asyncio.TimerHandle | None = None

    async def predict(self, columns: dict[str, np.ndarray], rows: int) -> ModelOutput:
        if rows >= self.max_rows:
            return self.model.predict(columns, rows)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ModelOutput] = loop.create_future()
        self._pending.append((columns, rows, future))
        self._rows += rows
        if self._rows >= self.max_rows:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.max_wait, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending, self._rows = self._pending, [], 0
        if not batch:
            return
        try:
            outputs = split(self.model.predict(*concatenate(batch)), [n for _, n, _ in batch])
        except Exception as exc:  # every waiter gets the error its own call would have
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, _, future), output in zip(batch, outputs, strict=True):
            if not future.done():
                future.set_result(output)


def concatenate(batch: list[_Pending]) -> tuple[dict[str, np.ndarray], int]:
    names = batch[0][0].keys()
    columns = {name: np.concatenate([cols[name] for cols, _, _ in batch]) for name in names}
    return columns, sum(n for _, n, _ in batch)


def split(output: ModelOutput, sizes: list[int]) -> list[ModelOutput]:
    """The batch's output cut back into one output per request, in order."""
    bounds = np.cumsum([0, *sizes])
    return [
        ModelOutput(
            output.prediction[start:end],
            output.proba[start:end] if output.proba is not None else None,
        )
        for start, end in itertools.pairwise(bounds)
    ]
