"""Forward lineage of batch scoring: a model version -> the prediction datasets it made.

A scoring run records the model version as an input (kind ``model_version``) and
its output dataset version carries the run's id; this provider joins the two for
``dl.lineage`` / ``driftloop models lineage``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from driftloop.registry._models import LineageNode, ModelVersion
from driftloop.store import MetadataStore
from driftloop.store._data_rows import DatasetVersionRow
from driftloop.store._tracking_rows import RunInputRow


def scored_outputs(
    store: MetadataStore,
) -> Callable[[ModelVersion], list[tuple[LineageNode, str]]]:
    """A downstream provider naming each dataset version ``version`` scored into."""

    def provide(version: ModelVersion) -> list[tuple[LineageNode, str]]:
        query = (
            select(
                DatasetVersionRow.name,
                DatasetVersionRow.version,
                DatasetVersionRow.num_rows,
                DatasetVersionRow.run_id,
            )
            .join(RunInputRow, RunInputRow.run_id == DatasetVersionRow.run_id)
            .where(RunInputRow.kind == "model_version", RunInputRow.ref == version.uri)
            .order_by(DatasetVersionRow.id)
        )
        with store.read() as session:
            rows = session.execute(query).all()
        return [
            (
                LineageNode(
                    f"dataset:{name}@{number}",
                    "dataset",
                    f"dataset {name}@{number} ({rows:,} rows scored)",
                    {"ref": f"{name}@{number}", "rows": rows, "run_id": run_id},
                ),
                "scored_into",
            )
            for name, number, rows, run_id in rows
        ]

    return provide
