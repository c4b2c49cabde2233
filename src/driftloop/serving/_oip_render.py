"""Open Inference Protocol V2 responses: output tensors as JSON or Triton's binary extension.

Numbers keep their type (INT64, UINT64, FP64, BOOL); anything else is BYTES. A binary
output is described in the JSON header by ``parameters.binary_data_size`` and follows
it raw (BYTES elements each prefixed by a 4-byte little-endian length).
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import orjson


def output_tensor(values: np.ndarray) -> tuple[str, np.ndarray]:
    """(datatype, array) for an output: numbers keep their type, anything else is BYTES."""
    kind = values.dtype.kind
    if kind == "b":
        return "BOOL", values
    if kind in "iu":
        return "INT64" if kind == "i" else "UINT64", values.astype("<i8" if kind == "i" else "<u8")
    if kind == "f":
        return "FP64", values.astype("<f8")
    return "BYTES", np.asarray([str(v) for v in values.reshape(-1)], dtype=object).reshape(
        values.shape
    )


def render_infer_response(
    model_name: str,
    model_version: str,
    request_id: str,
    outputs: list[tuple[str, np.ndarray, bool]],
    parameters: dict[str, Any],
) -> tuple[bytes, int | None]:
    """The response body and, when any output is binary, the JSON header's length."""
    described = []
    blobs = []
    for name, values, binary in outputs:
        datatype, array = output_tensor(values)
        entry: dict[str, Any] = {"name": name, "datatype": datatype, "shape": list(array.shape)}
        if binary:
            raw = _to_binary(datatype, array)
            entry["parameters"] = {"binary_data_size": len(raw)}
            blobs.append(raw)
        else:
            entry["data"] = array.reshape(-1).tolist()
        described.append(entry)
    header = orjson.dumps(
        {
            "model_name": model_name,
            "model_version": model_version,
            "id": request_id,
            "parameters": parameters,
            "outputs": described,
        }
    )
    if not blobs:
        return header, None
    return header + b"".join(blobs), len(header)


def _to_binary(datatype: str, array: np.ndarray) -> bytes:
    if datatype != "BYTES":
        return np.ascontiguousarray(array).tobytes()
    parts = []
    for value in array.reshape(-1):
        encoded = str(value).encode("utf-8")
        parts.append(struct.pack("<I", len(encoded)) + encoded)
    return b"".join(parts)
