"""Where a monitor's reference comes from: a dataset version, or the training set of
the model version that served the window (its run's ``train`` dataset input)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from driftloop._duckdb import quote_identifier as quote
from driftloop._duckdb import translate_errors

if TYPE_CHECKING:
    import pyarrow as pa

    from driftloop.data._service import DatasetService
    from driftloop.registry._service import RegistryService
    from driftloop.tracking._service import TrackingService

REFERENCE_ROWS = 1_000_000


def reference_reader(datasets: DatasetService, max_rows: int = REFERENCE_ROWS) -> Any:
    """A function reading ``columns`` of a dataset version, at most ``max_rows`` of them
    (a deterministic sample by row hash when the version is larger)."""

    def read(ref: str, columns: list[str]) -> pa.Table:
        dataset = datasets.get(ref)
        present = [c for c in columns if c in dataset.version.schema]
        select = ", ".join(quote(c) for c in present) or "1 as no_columns"
        query = f"select {select} from data"
        params: dict[str, Any] = {}
        if dataset.version.num_rows > max_rows and present:
            query += f" order by hash({select}) limit $n"
            params["n"] = max_rows
        with translate_errors(f"reading the reference {ref}"):
            table: pa.Table = dataset.sql(query, params=params).to_arrow_table()
        return table

    return read


def training_set_finder(registry: RegistryService, tracking: TrackingService) -> Any:
    """A function naming the dataset version a model version was trained on, or None."""

    def find(model_name: str, version: int) -> str | None:
        model = registry.get_version(model_name, version)
        if model.run_id is None:
            return None
        inputs = [i for i in tracking.get_run(model.run_id).inputs if "dataset" in i.kind]
        chosen = [i for i in inputs if i.role == "train"] or inputs
        return chosen[0].ref if chosen else None

    return find
