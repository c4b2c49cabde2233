from __future__ import annotations

import pytest

import driftloop as dl
from driftloop.errors import DriftloopError, MissingExtraError, UserCodeError, require_extra


def test_missing_extra_names_the_pip_command() -> None:
    with pytest.raises(MissingExtraError) as err:
        require_extra("surely_not_installed_module", "postgres", "A PostgreSQL metadata store")
    assert "pip install 'driftloop[postgres]'" in str(err.value)
    assert err.value.extra == "postgres" and isinstance(err.value, ImportError)


def test_categories_have_stable_codes_and_invalid_input_is_a_value_error() -> None:
    assert issubclass(dl.InvalidInputError, ValueError)
    codes = {cls.code for cls in DriftloopError.__subclasses__()}
    assert {"NOT_FOUND", "ALREADY_EXISTS", "CONFLICT", "INVALID_INPUT", "MISSING_EXTRA"} <= codes


def test_user_code_error_names_where_and_keeps_the_cause() -> None:
    cause = ZeroDivisionError("division by zero")
    err = UserCodeError("step 'train'", cause)  # no `raise ... from`: the error keeps it
    assert str(err) == "step 'train' raised ZeroDivisionError: division by zero"
    assert err.where == "step 'train'"
    assert err.__cause__ is cause
    assert err.code == "USER_CODE_ERROR" and isinstance(err, DriftloopError)
