"""The DuckDB edge: one database per workspace, SQL without paths in it, translated errors."""

from __future__ import annotations

import math
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftloop as dl
from driftloop._duckdb import (
    DuckDB,
    SqlParams,
    file_relation,
    parquet_relation,
    quote_identifier,
    translate_errors,
)
from driftloop.errors import BackendUnavailableError, InvalidInputError

SRC = Path(__file__).resolve().parents[1] / "src" / "driftloop"


def test_cursor_applies_utc_no_progress_bar_and_a_spill_folder_with_an_apostrophe(
    tmp_path: Path,
) -> None:
    spill = tmp_path / "o'brien; drop" / "tmp"
    duck = DuckDB(spill)
    with duck.cursor() as con:
        row = con.sql(
            "select current_setting('TimeZone'), current_setting('enable_progress_bar'), "
            "current_setting('temp_directory')"
        ).fetchall()[0]
    duck.close()
    assert row == ("UTC", False, str(spill))
    assert spill.is_dir()


def test_cursors_share_one_database_and_a_closed_one_refuses_new_cursors(tmp_path: Path) -> None:
    duck = DuckDB(None)
    first, second = duck.cursor(), duck.cursor()
    first.execute("create table shared as select 42 as x")
    assert second.sql("select x from shared").fetchall() == [(42,)]
    first.close()
    second.close()
    duck.close()
    with pytest.raises(BackendUnavailableError, match="closed"):
        duck.cursor()


def test_scans_read_paths_with_quotes_without_putting_them_in_sql(tmp_path: Path) -> None:
    folder = tmp_path / 'o\'brien "x"'
    folder.mkdir()
    pq.write_table(pa.table({"a": [1, 2]}), folder / "part-0.parquet")
    (folder / "rows.csv").write_text("a,b\n3,x\n", encoding="utf-8")
    duck = DuckDB()
    with duck.cursor() as con:
        assert parquet_relation(con, [folder / "part-0.parquet"]).fetchall() == [(1,), (2,)]
        assert file_relation(con, folder).fetchall() == [(1,), (2,)]
        assert file_relation(con, folder / "rows.csv").fetchall() == [(3, "x")]
    duck.close()


def test_a_missing_file_or_no_files_is_a_clear_invalid_input(tmp_path: Path) -> None:
    duck = DuckDB()
    with duck.cursor() as con:
        with pytest.raises(
            InvalidInputError, match=r"entity rows: file '.*nope\.parquet' does not"
        ):
            file_relation(con, tmp_path / "nope.parquet", "the entity rows")
        with pytest.raises(InvalidInputError, match="resolved to no Parquet files"):
            parquet_relation(con, [], "dataset 'x'")
    duck.close()


def test_identifiers_with_quotes_spaces_semicolons_and_keywords_round_trip() -> None:
    names = ['a"b', "it's", "two words", "x; drop table y", "select", "from", "order"]
    con = duckdb.connect()
    items = ", ".join(f"{i} AS {quote_identifier(n)}" for i, n in enumerate(names))
    relation = con.sql(f"select {items}")
    assert relation.columns == names
    assert relation.fetchall() == [tuple(range(len(names)))]


@pytest.mark.parametrize(
    "value", ["o'brien", "a''b", "x\\y", "'); drop table x; --", "$p0", 3, -2.5, True, None]
)
def test_sql_params_bind_constants_as_values_not_sql_text(value: object) -> None:
    con = duckdb.connect()
    params = SqlParams()
    placeholder = params.add(value)
    assert placeholder == "$p0" and params.values == {"p0": value}
    assert con.sql(f"select {placeholder}", params=params.values).fetchall() == [(value,)]


def test_sql_params_keep_types_of_non_finite_floats_and_lists() -> None:
    con = duckdb.connect()
    params = SqlParams("c3_")
    names = [params.add(v) for v in (math.nan, math.inf, -math.inf, [0.5, 2.0, math.inf], 7)]
    assert names == ["$c3_0", "$c3_1", "$c3_2", "$c3_3", "$c3_4"]
    query = f"select {', '.join(f'typeof({n})' for n in names)}, {', '.join(names)}"
    row = con.sql(query, params=params.values).fetchall()[0]
    assert row[:5] == ("DOUBLE", "DOUBLE", "DOUBLE", "DOUBLE[]", "INTEGER")
    assert math.isnan(row[5]) and row[6:] == (math.inf, -math.inf, [0.5, 2.0, math.inf], 7)
    histogram = con.sql(
        f"select histogram(x::double, {names[3]}) from range(4) t(x)",
        params={"c3_3": params.values["c3_3"]},
    ).fetchall()[0][0]
    assert histogram == {0.5: 1, 2.0: 2, math.inf: 1}
    with pytest.raises(ValueError, match="identifier"):
        SqlParams("p-")


def test_the_edge_offers_no_literal_formatter_and_no_module_imports_one() -> None:
    """Values reach SQL only as bound parameters (issue 8, item 3)."""
    import ast

    import driftloop._duckdb as edge

    assert not hasattr(edge, "literal") and not hasattr(edge, "_literal")
    offenders = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("_duckdb"):
                names = {a.name for a in node.names}
                if names & {"literal", "_literal", "*"}:
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
            elif (
                isinstance(node, ast.Attribute)
                and node.attr == "literal"
                and isinstance(node.value, ast.Name)
                and node.value.id in {"_duckdb", "edge"}
            ):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_translate_errors_maps_duckdb_errors_and_keeps_the_cause() -> None:
    con = duckdb.connect()
    with (
        pytest.raises(InvalidInputError, match=r"the join: .*Catalog Error") as info,
        translate_errors("the join"),
    ):
        con.sql("select * from no_such_table")
    assert isinstance(info.value.__cause__, duckdb.CatalogException)
    with pytest.raises(InvalidInputError, match="casting"), translate_errors("casting"):
        con.sql("select 'abc'::INTEGER").fetchall()


def test_workspace_builds_one_duckdb_for_its_services_and_closes_it(tmp_path: Path) -> None:
    with dl.testing.temporary_workspace(tmp_path / "ws") as ws:
        assert ws.features.duck is ws.duck
        assert ws.datasets.duck is ws.duck
        assert ws.duck.temp_dir == ws.settings.state_dir / "duckdb-tmp"
        ws.duck.cursor().close()
    with pytest.raises(BackendUnavailableError):
        ws.duck.cursor()


def test_only_the_edge_module_connects_to_duckdb() -> None:
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "_duckdb.py"
        and re.search(r"duckdb\.connect\(|read_(parquet|csv(_auto)?)\(\[?['{]", path.read_text())
    ]
    assert offenders == []
