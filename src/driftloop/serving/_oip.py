"""The Open Inference Protocol (KServe V2) REST bodies, with Triton's binary tensor extension.

Pure functions from bytes to tensors and back. A request is JSON, or, when the
``Inference-Header-Content-Length`` header is given, that many bytes of JSON followed by
the raw bytes of each input whose ``parameters.binary_data_size`` says so (row-major,
little-endian; BYTES elements each prefixed by a 4-byte length), as tritonclient sends by
default. Outputs are returned the same way when asked (``binary_data`` per output or
``binary_data_output`` for all). Nothing is ever unpickled: tensors are numbers and text.

Fields the specification does not name are ignored, as its schema allows and KServe's and
MLServer's servers do (kserve's ``InferenceRESTClient`` sends ``model_name``); the
``model_name`` and ``model_version`` clients send are kept, for the handler to check
against the path.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftloop.errors import InvalidInputError
from driftloop.registry import ColumnSpec, ModelSignature
from driftloop.serving._overflow import cast_checked
from driftloop.serving._validation import parse_json

HEADER_LENGTH = "Inference-Header-Content-Length"
DTYPES: dict[str, np.dtype[Any]] = {
    "BOOL": np.dtype(np.bool_),
    "UINT8": np.dtype("<u1"),
    "UINT16": np.dtype("<u2"),
    "UINT32": np.dtype("<u4"),
    "UINT64": np.dtype("<u8"),
    "INT8": np.dtype("<i1"),
    "INT16": np.dtype("<i2"),
    "INT32": np.dtype("<i4"),
    "INT64": np.dtype("<i8"),
    "FP16": np.dtype("<f2"),
    "FP32": np.dtype("<f4"),
    "FP64": np.dtype("<f8"),
    "BYTES": np.dtype(object),
}
_INTS = {"UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64"}
_FLOATS = {"FP16", "FP32", "FP64"}


@dataclass(frozen=True, slots=True)
class Tensor:
    name: str
    datatype: str
    shape: tuple[int, ...]
    data: np.ndarray


@dataclass(frozen=True, slots=True)
class InferRequest:
    id: str | None
    parameters: dict[str, Any]
    inputs: tuple[Tensor, ...]
    outputs: tuple[tuple[str, bool], ...] | None  # (name, binary) when the caller chose
    binary_output: bool
    model_name: str | None = None  # as the body gives them (kserve's client sends the name)
    model_version: str | None = None


def parse_infer_request(body: bytes, header_length: str | None) -> InferRequest:
    """The V2 request in ``body``; every problem is a 400 naming the input and field."""
    binary = b""
    if header_length is not None:
        try:
            size = int(header_length)
        except ValueError:
            raise InvalidInputError(
                f"{HEADER_LENGTH} must be a number, got {header_length!r}"
            ) from None
        if not 0 < size <= len(body):
            raise InvalidInputError(
                f"{HEADER_LENGTH} {size} does not fit the body of {len(body)} bytes"
            )
        body, binary = body[:size], body[size:]
    payload = parse_json(body)
    if not isinstance(payload, dict):
        raise InvalidInputError("the inference request must be a JSON object")
    request_id = _optional_text(payload, "id")
    parameters = _parameters(payload.get("parameters"), "parameters")
    raw_inputs = payload.get("inputs")
    if not isinstance(raw_inputs, list) or not raw_inputs:
        raise InvalidInputError("'inputs' must be a non-empty list of tensors")
    offset = 0
    inputs = []
    for i, raw in enumerate(raw_inputs):
        tensor, offset = _tensor(raw, i, binary, offset)
        inputs.append(tensor)
    if offset != len(binary):
        raise InvalidInputError(
            f"the body has {len(binary) - offset} bytes after the last binary input"
        )
    _refuse_repeats("input", [t.name for t in inputs], "inputs")
    outputs = _requested_outputs(payload.get("outputs"))
    if outputs is not None:
        _refuse_repeats("output", [name for name, _ in outputs], "outputs")
    return InferRequest(
        request_id,
        parameters,
        tuple(inputs),
        outputs,
        bool(parameters.get("binary_data_output", False)),
        _optional_text(payload, "model_name"),
        _optional_text(payload, "model_version"),
    )


def _optional_text(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInputError(f"'{key}' must be a string, got {json.dumps(value)[:40]}")
    return value


def _refuse_repeats(kind: str, names: list[str], field: str) -> None:
    # A dict by name would keep the last one silently: the caller meant one of them.
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in first:
            raise InvalidInputError(
                f"{kind} '{name}' is given twice ({field}[{first[name]}] and {field}[{i}]); "
                f"give each {kind} once"
            )
        first[name] = i


def _parameters(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInputError(f"'{where}' must be an object")
    return value


def _requested_outputs(value: Any) -> tuple[tuple[str, bool], ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidInputError("'outputs' must be a list of {name, parameters}")
    result = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InvalidInputError(f"outputs[{i}] must be an object with a string 'name'")
        params = _parameters(item.get("parameters"), f"outputs[{i}].parameters")
        result.append((item["name"], bool(params.get("binary_data", False))))
    return tuple(result)


def _tensor(raw: Any, index: int, binary: bytes, offset: int) -> tuple[Tensor, int]:
    where = f"inputs[{index}]"
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{where} must be an object with name, shape, datatype, data")
    name, datatype, shape = raw.get("name"), raw.get("datatype"), raw.get("shape")
    if not isinstance(name, str) or not name:
        raise InvalidInputError(f"{where}.name must be a non-empty string")
    where = f"input '{name}'"
    if datatype not in DTYPES:
        raise InvalidInputError(f"{where}: datatype {datatype!r} is not one of {', '.join(DTYPES)}")
    if (
        not isinstance(shape, list)
        or not shape
        or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
    ):
        raise InvalidInputError(f"{where}: shape must be a list of sizes (>= 0), got {shape!r}")
    count = math.prod(shape)
    params = _parameters(raw.get("parameters"), f"{where} parameters")
    size = params.get("binary_data_size")
    if size is not None:
        if "data" in raw:
            raise InvalidInputError(f"{where}: give data or binary_data_size, not both")
        if not isinstance(size, int) or size < 0 or offset + size > len(binary):
            raise InvalidInputError(f"{where}: binary_data_size {size!r} overruns the body")
        data = _from_binary(binary[offset : offset + size], datatype, count, where)
        offset += size
    elif "data" in raw:
        data = _from_json(raw["data"], datatype, count, where)
    else:
        raise InvalidInputError(f"{where} has no data")
    return Tensor(name, datatype, tuple(shape), data.reshape(shape)), offset


def _from_binary(raw: bytes, datatype: str, count: int, where: str) -> np.ndarray:
    if datatype == "BYTES":
        return _bytes_elements(raw, count, where)
    dtype = DTYPES[datatype]
    if len(raw) != count * dtype.itemsize:
        raise InvalidInputError(
            f"{where}: {count} {datatype} values need {count * dtype.itemsize} bytes, "
            f"got {len(raw)}"
        )
    return np.frombuffer(raw, dtype=dtype)


def _bytes_elements(raw: bytes, count: int, where: str) -> np.ndarray:
    values: list[str] = []
    offset = 0
    for _ in range(count):
        if offset + 4 > len(raw):
            raise InvalidInputError(f"{where}: the BYTES data ends before element {len(values)}")
        (length,) = struct.unpack_from("<I", raw, offset)
        offset += 4
        chunk = raw[offset : offset + length]
        if len(chunk) != length:
            raise InvalidInputError(f"{where}: BYTES element {len(values)} is cut short")
        try:
            values.append(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            raise InvalidInputError(f"{where}: element {len(values)} is not UTF-8 text") from None
        offset += length
    if offset != len(raw):
        raise InvalidInputError(f"{where}: {len(raw) - offset} bytes left after {count} elements")
    return np.asarray(values, dtype=object)


def _flatten(data: Any, where: str) -> list[Any]:
    """Row-major values of nested lists (the spec allows flat or nested ``data``)."""
    out: list[Any] = []

    def walk(item: Any, depth: int) -> None:
        if depth > 32:
            raise InvalidInputError(f"{where}: data is nested too deeply")
        if isinstance(item, list):
            for value in item:
                walk(value, depth + 1)
        elif isinstance(item, dict):
            raise InvalidInputError(f"{where}: data must hold values, not objects")
        else:
            out.append(item)

    walk(data, 0)
    return out


def _from_json(data: Any, datatype: str, count: int, where: str) -> np.ndarray:
    flat = _flatten(data, where)
    if len(flat) != count:
        raise InvalidInputError(f"{where}: its shape needs {count} values, data has {len(flat)}")
    kinds = set(map(type, flat))
    if datatype == "BYTES":
        allowed: set[type] = {str}
    elif datatype == "BOOL":
        allowed = {bool}
    elif datatype in _INTS:
        allowed = {int}
    else:
        allowed = {int, float}
    if not kinds <= allowed:
        bad = next(v for v in flat if type(v) not in allowed)
        raise InvalidInputError(f"{where}: {datatype} data cannot hold {json.dumps(bad)}")
    try:
        if datatype in _FLOATS:  # read wide, so a value FP32 cannot hold is named, not inf
            wide = np.asarray(flat, dtype=np.float64)
            declared = f"the {datatype} datatype it declares"
            return cast_checked(wide, DTYPES[datatype], where, declared, "element")
        return np.asarray(flat, dtype=DTYPES[datatype])
    except (OverflowError, ValueError) as exc:
        if isinstance(exc, InvalidInputError):
            raise
        raise InvalidInputError(f"{where}: a value does not fit in {datatype}") from None


# tensors <-> signature columns ---------------------------------------------------------


def tensor_columns(
    signature: ModelSignature | None, inputs: tuple[Tensor, ...]
) -> tuple[dict[str, np.ndarray], int]:
    """Model input columns from V2 tensors: one tensor per column, or one [rows, columns]."""
    if signature is None or not signature.inputs:
        by_name = {t.name: t.data.reshape(t.shape[0], -1)[:, 0] for t in inputs}
        return by_name, inputs[0].shape[0]
    specs = signature.inputs
    if len(inputs) == 1 and len(specs) > 1 and inputs[0].name not in signature.columns:
        return _matrix_columns(specs, inputs[0])
    names = {t.name: t for t in inputs}
    for spec in specs:
        if spec.name not in names:
            raise InvalidInputError(
                f"missing input '{spec.name}'; the model takes {', '.join(signature.columns)} "
                "(one tensor each, or one [rows, columns] tensor)"
            )
    if len(names) != len(specs):
        extra = next(n for n in names if n not in signature.columns)
        raise InvalidInputError(
            f"unexpected input '{extra}'; the model takes {', '.join(signature.columns)}"
        )
    rows = -1
    columns = {}
    for spec in specs:
        tensor = names[spec.name]
        if len(tensor.shape) > 2 or (len(tensor.shape) == 2 and tensor.shape[1] != 1):
            raise InvalidInputError(
                f"input '{spec.name}': shape must be [rows] or [rows, 1], got {list(tensor.shape)}"
            )
        if rows not in (-1, tensor.shape[0]):
            raise InvalidInputError(
                f"input '{spec.name}' has {tensor.shape[0]} rows, others {rows}"
            )
        rows = tensor.shape[0]
        columns[spec.name] = _column(spec, tensor.datatype, tensor.data.reshape(-1))
    if rows == 0:
        raise InvalidInputError("the inputs have no rows")
    return columns, rows


def _matrix_columns(
    specs: tuple[ColumnSpec, ...], tensor: Tensor
) -> tuple[dict[str, np.ndarray], int]:
    if len(tensor.shape) != 2 or tensor.shape[1] != len(specs):
        raise InvalidInputError(
            f"input '{tensor.name}': shape must be [rows, {len(specs)}] (columns "
            f"{', '.join(s.name for s in specs)}), got {list(tensor.shape)}"
        )
    if tensor.shape[0] == 0:
        raise InvalidInputError(f"input '{tensor.name}' has no rows")
    columns = {
        s.name: _column(s, tensor.datatype, tensor.data[:, j], tensor.name)
        for j, s in enumerate(specs)
    }
    return columns, tensor.shape[0]


def _column(
    spec: ColumnSpec, datatype: str, values: np.ndarray, via: str | None = None
) -> np.ndarray:
    kind = spec.type
    where = f"input '{via}' column '{spec.name}'" if via else f"input '{spec.name}'"
    if kind.startswith("float") and (datatype in _FLOATS or datatype in _INTS):
        array = cast_checked(values, np.dtype(kind), where, f"the type the model takes ({kind})")
        bad = ~np.isfinite(array)
        if bad.any():
            row = int(np.argmax(bad))
            if not math.isnan(array[row]) or not spec.nullable:
                raise InvalidInputError(f"{where} row {row}: {array[row]} is not allowed")
        return array
    if kind.startswith(("int", "uint")) and datatype in _INTS:
        return values.astype(kind)
    if kind.startswith(("int", "uint")) and datatype in _FLOATS:
        # One [rows, columns] float tensor carries integer columns too: whole numbers only.
        whole = np.isfinite(values) & (values == np.round(values))
        if not whole.all():
            row = int(np.argmin(whole))
            raise InvalidInputError(f"{where} row {row}: {values[row]} is not a whole number")
        return values.astype(kind)
    if kind == "bool" and datatype == "BOOL":
        return values
    if kind in ("string", "category") and datatype == "BYTES":
        return values
    raise InvalidInputError(f"{where}: the model takes {kind}, got datatype {datatype}")


def datatype_of(spec_type: str) -> str:
    """The V2 datatype that carries a signature column type."""
    if spec_type in ("string", "category") or spec_type.startswith("datetime"):
        return "BYTES"
    if spec_type == "bool":
        return "BOOL"
    dtype = np.dtype(spec_type) if spec_type[:1] in "iuf" else None
    if dtype is None:
        return "BYTES"
    for name, candidate in DTYPES.items():
        if candidate == dtype.newbyteorder("<") and name != "BYTES":
            return name
    return "BYTES"
