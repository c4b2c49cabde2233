"""Reading a dataset version: pandas, Polars, Arrow, or DuckDB SQL without loading it whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftloop._duckdb import DuckDB, parquet_relation, translate_errors
from driftloop.data._models import DatasetVersion

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import polars as pl
    import pyarrow as pa


class Dataset:
    """A dataset version opened for reading.

    Example::

        ds = dl.get_dataset("flights@latest")
        ds.sql("select origin, avg(dep_delay) from data group by origin").df()
    """

    def __init__(
        self,
        version: DatasetVersion,
        resolve_paths: Callable[[], list[Path]],
        duck: DuckDB | None = None,
    ) -> None:
        self.version = version
        self._resolve_paths = resolve_paths
        self._duck = duck
        self._paths: list[Path] | None = None
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def parquet_paths(self) -> list[Path]:
        """Local Parquet files holding the version, checked against their digests once."""
        if self._paths is None:
            self._paths = self._resolve_paths()
        return list(self._paths)

    def relation(self, con: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyRelation:
        """A lazy DuckDB relation over the version's Parquet files (nothing is read yet)."""
        return parquet_relation(self._connection(con), self.parquet_paths, self.version.ref)

    def sql(
        self,
        query: str,
        con: duckdb.DuckDBPyConnection | None = None,
        *,
        params: dict[str, Any] | None = None,
    ) -> duckdb.DuckDBPyRelation:
        """Run DuckDB SQL where the version is the view ``data``; returns a lazy relation.

        ``query`` is the caller's own SQL, run as given, with ``$name`` placeholders bound
        from ``params``; errors binding it raise InvalidInputError. The files are
        registered through the relation API.

        Example::

            ds.sql("select count(*) from data where origin = $o", params={"o": "JFK"})
        """
        connection = self._connection(con)
        connection.register("data", self.relation(connection))
        with translate_errors(f"SQL over {self.version.ref}", "check the query"):
            return connection.sql(query, params=params)

    def to_arrow(self, columns: list[str] | None = None) -> pa.Table:
        """The version as an Arrow table; ``columns`` reads only those (as pandas does)."""
        import pyarrow.parquet as pq

        return pq.ParquetDataset([str(p) for p in self.parquet_paths]).read(columns=columns)

    def to_pandas(self) -> pd.DataFrame:
        frame: pd.DataFrame = self.to_arrow().to_pandas()
        return frame

    def to_polars(self) -> pl.DataFrame:
        import polars as pl

        frame = pl.from_arrow(self.to_arrow())
        assert isinstance(frame, pl.DataFrame)
        return frame

    def _connection(self, con: Any) -> duckdb.DuckDBPyConnection:
        if con is not None:
            connection: duckdb.DuckDBPyConnection = con
            return connection
        if self._con is None:
            # The workspace's database; without one, a private one lives with this object.
            if self._duck is None:
                self._duck = DuckDB()
            self._con = self._duck.cursor()
        return self._con

    def __len__(self) -> int:
        return self.version.num_rows

    def __repr__(self) -> str:
        return f"Dataset({self.version.ref!r}, rows={self.version.num_rows})"
