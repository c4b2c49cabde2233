"""Batch scoring: a dataset version in, its predictions out as a new dataset version.

The input is streamed from DuckDB in chunks of Arrow record batches, never loaded
whole; each chunk is scored (in this process, or as a Ray task with
``executor="ray"``) and written as one Parquet part, in order. The parts become a new
version of the output dataset, made by a tracking run (experiment ``batch-scoring``)
that records the model version and the input dataset version as its inputs, so
lineage walks from the predictions to both, and from the model version forward to
the predictions it made.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from driftloop.data._models import DatasetVersion, check_name
from driftloop.data._service import DatasetService, require_columns
from driftloop.errors import InvalidInputError
from driftloop.registry._package import LoadedModel
from driftloop.registry._service import RegistryService
from driftloop.serving._scoring import check_no_clash, score_chunk
from driftloop.tracking._models import RunStatus
from driftloop.tracking._service import TrackingService

EXPERIMENT = "batch-scoring"
DEFAULT_CHUNK_ROWS = 100_000
Progress = Callable[[int], None]  # called with the rows just scored


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """What a batch scoring made: the output version, from which model and input."""

    model: str  # models:/name/version
    input: str  # name@version
    output: DatasetVersion
    rows: int
    chunks: int
    run_id: str
    executor: str
    seconds: float

    def to_json(self) -> dict[str, object]:
        return {
            "model": self.model,
            "input": self.input,
            "output": self.output.ref,
            "rows": self.rows,
            "chunks": self.chunks,
            "run_id": self.run_id,
            "executor": self.executor,
            "seconds": round(self.seconds, 3),
        }


def _check_executor(executor: str) -> None:
    if executor not in ("local", "ray") and not executor.startswith("ray://"):
        raise InvalidInputError(
            f"executor {executor!r} is not known; use 'local', 'ray' (a local Ray) or "
            "'ray://HOST:PORT'"
        )


class BatchScoringService:
    """Scores dataset versions with registered models (``ws.scoring``)."""

    def __init__(
        self, registry: RegistryService, datasets: DatasetService, tracking: TrackingService
    ) -> None:
        self.registry = registry
        self.datasets = datasets
        self.tracking = tracking

    def score(
        self,
        model: str,
        input: str,
        output: str,
        *,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        executor: str = "local",
        progress: Progress | None = None,
    ) -> ScoreResult:
        """Score dataset version ``input`` with ``model``; store the result as ``output``.

        Args:
            model: a model URI (``models:/churn@champion``, ``churn/3``, ``churn``).
            input: the dataset version to score (``name@3``, ``name`` for the latest).
            output: the dataset name the predictions become a new version of.
            chunk_rows: rows scored at a time (memory stays about one chunk per worker).
            executor: ``local``, ``ray`` (a local Ray) or ``ray://HOST:PORT``.
            progress: called with the number of rows of each chunk as it is done.

        Raises:
            NotFoundError: the model or the dataset version does not exist.
            InvalidInputError: bad arguments, or input the model's signature refuses.

        Example::

            ws.scoring.score("models:/churn@champion", "customers@7", "churn-scores")
        """
        check_name(output)
        _check_executor(executor)
        if chunk_rows < 1:
            raise InvalidInputError(f"chunk_rows {chunk_rows} must be at least 1")
        version = self.registry.resolve(model)
        loaded = self.registry.load(version.uri)
        dataset = self.datasets.get(input)
        check_no_clash(loaded, list(dataset.version.schema))
        if loaded.signature is not None and loaded.signature.inputs:
            require_columns(dataset.version, loaded.signature.columns)
        run_id = self._start_run(version.uri, dataset.version.ref, output, chunk_rows, executor)
        started = time.perf_counter()
        try:
            with tempfile.TemporaryDirectory(prefix="driftloop-score-") as tmp:
                chunks = dataset.relation().to_arrow_reader(chunk_rows)
                rows, parts = _write_parts(_scored(loaded, chunks, executor), Path(tmp), progress)
                made = self.datasets.log(
                    output,
                    tmp,
                    source=f"scored {dataset.version.ref} with {version.uri}",
                    run_id=run_id,
                )
        except BaseException:
            self.tracking.end_run(run_id, RunStatus.FAILED)
            raise
        self.tracking.end_run(run_id)
        seconds = time.perf_counter() - started
        return ScoreResult(
            version.uri, dataset.version.ref, made, rows, parts, run_id, executor, seconds
        )

    def _start_run(
        self, model_uri: str, input_ref: str, output: str, chunk_rows: int, executor: str
    ) -> str:
        run_id = self.tracking.create_run(EXPERIMENT, name=f"score {input_ref}")
        self.tracking.log_params(
            run_id,
            {
                "model": model_uri,
                "input": input_ref,
                "output": output,
                "chunk_rows": chunk_rows,
                "executor": executor,
            },
        )
        self.tracking.log_input(run_id, "model_version", model_uri, role="scorer")
        self.tracking.log_input(run_id, "dataset", input_ref, role="scored")
        return run_id


def _tables(reader: pa.RecordBatchReader) -> Iterator[pa.Table]:
    for batch in reader:
        if batch.num_rows:
            yield pa.Table.from_batches([batch])


def _scored(model: LoadedModel, reader: pa.RecordBatchReader, executor: str) -> Iterator[pa.Table]:
    if executor == "local":
        for chunk in _tables(reader):
            yield score_chunk(model, chunk)
        return
    from driftloop.serving._batch_ray import score_on_ray

    yield from score_on_ray(model, _tables(reader), executor)


def _write_parts(
    tables: Iterator[pa.Table], folder: Path, progress: Progress | None
) -> tuple[int, int]:
    """Write each scored chunk as one Parquet part, all in the first part's schema."""
    schema: pa.Schema | None = None
    rows = parts = 0
    for table in tables:
        if schema is None:
            schema = table.schema
        elif not table.schema.equals(schema):
            table = table.cast(schema)
        pq.write_table(table, folder / f"part-{parts:06d}.parquet", compression="zstd")
        rows += table.num_rows
        parts += 1
        if progress is not None:
            progress(table.num_rows)
    if parts == 0:
        raise InvalidInputError("the input dataset version has no rows; nothing to score")
    return rows, parts
