"""Signatures inferred from data and enforced on pandas, Polars, Arrow and NumPy input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from driftloop.errors import InvalidInputError
from driftloop.registry import ModelSignature, infer_signature
from driftloop.registry._signature import enforce_signature


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"age": [31.5, 42.0, 55.5], "tenure": [1, 4, 9], "plan": ["basic", "pro", "pro"]}
    )


def test_infer_signature_records_types_ranges_and_categories(frame: pd.DataFrame) -> None:
    training = pd.concat([frame, pd.DataFrame({"age": [18.0], "tenure": [0], "plan": ["free"]})])
    signature = infer_signature(frame.head(2), training, output=np.array([0, 1]))
    columns = {c.name: c for c in signature.inputs}
    assert [c.type for c in signature.inputs] == ["float64", "int64", "string"]
    assert (columns["age"].minimum, columns["age"].maximum) == (18.0, 55.5)
    assert columns["plan"].categories == ("basic", "free", "pro")
    assert signature.output is not None and signature.output.shape == (-1,)
    assert ModelSignature.from_dict(signature.to_dict()) == signature


@pytest.mark.parametrize(
    "convert",
    [lambda f: f, pl.from_pandas, pa.Table.from_pandas],
    ids=["pandas", "polars", "arrow"],
)
def test_matching_input_of_every_library_is_accepted_in_signature_order(
    frame: pd.DataFrame, convert
) -> None:  # type: ignore[no-untyped-def]
    signature = infer_signature(frame)
    shuffled = frame[["plan", "tenure", "age"]].assign(extra=1)
    result = enforce_signature(signature, convert(shuffled), "m")
    assert list(result.columns) == ["age", "tenure", "plan"]
    assert result["age"].tolist() == frame["age"].tolist()


def test_wrong_type_is_refused_naming_the_column_expected_and_got(frame: pd.DataFrame) -> None:
    signature = infer_signature(frame)
    with pytest.raises(InvalidInputError, match="column 'age': expected float64, got string"):
        enforce_signature(signature, frame.assign(age=["a", "b", "c"]), "models:/churn/1")


def test_missing_column_is_refused_by_name(frame: pd.DataFrame) -> None:
    signature = infer_signature(frame)
    with pytest.raises(InvalidInputError, match="missing column 'tenure'") as info:
        enforce_signature(
            signature, pl.from_pandas(frame.drop(columns="tenure")), "models:/churn/1"
        )
    assert "models:/churn/1" in str(info.value)


def test_every_problem_is_listed_in_one_message(frame: pd.DataFrame) -> None:
    signature = infer_signature(frame)
    bad = frame.drop(columns="tenure").assign(age=["x", "y", "z"])
    with pytest.raises(InvalidInputError) as info:
        enforce_signature(signature, bad, "m")
    assert "column 'age': expected float64, got string" in str(info.value)
    assert "missing column 'tenure'" in str(info.value)


def test_integers_are_widened_to_float_but_floats_are_not_narrowed_to_int(
    frame: pd.DataFrame,
) -> None:
    signature = infer_signature(frame)
    widened = enforce_signature(signature, frame.assign(age=[30, 40, 50]), "m")
    assert widened["age"].dtype == np.float64
    with pytest.raises(InvalidInputError, match="column 'tenure': expected int64, got float64"):
        enforce_signature(signature, frame.assign(tenure=[1.5, 2.0, 3.0]), "m")


def test_numpy_rows_map_to_columns_by_position() -> None:
    numeric = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    signature = infer_signature(numeric)
    result = enforce_signature(signature, np.array([[5.0, 6.0]]), "m")
    assert result.to_dict("records") == [{"a": 5.0, "b": 6.0}]
    with pytest.raises(InvalidInputError, match="expected 2 columns"):
        enforce_signature(signature, np.ones((2, 3)), "m")


def test_tensor_signature_checks_dtype_and_shape() -> None:
    signature = infer_signature(np.ones((4, 3)))
    assert signature.input_tensor is not None and signature.input_tensor.shape == (-1, 3)
    assert enforce_signature(signature, np.ones((2, 3), dtype=np.int64), "m").dtype == np.float64
    with pytest.raises(InvalidInputError, match="input: expected float64, got string"):
        enforce_signature(signature, np.array([["a", "b", "c"]]), "m")
    with pytest.raises(InvalidInputError, match="expected shape"):
        enforce_signature(signature, np.ones((2, 4)), "m")


def test_unsupported_input_type_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="pandas or Polars DataFrame"):
        enforce_signature(None, object(), "m")
