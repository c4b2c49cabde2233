"""Step outputs in the artifact store, by kind, and back.

DataFrames and Arrow tables are kept as Parquet, NumPy arrays as ``.npy``, dataset and
model versions by reference (they are stored already), anything else pickled. The
blob digest is the content address, so it is also what the cache compares.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

from driftloop.artifacts import BlobStore
from driftloop.artifacts._hashing import hash_bytes
from driftloop.errors import InvalidInputError
from driftloop.pipelines._models import OutputRef
from driftloop.pipelines._params import Resolver, _version_kind


class UnstorableOutputError(InvalidInputError):
    """A step returned a value the artifact store cannot keep."""


def _type_name(value: Any) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def _encode(value: Any) -> tuple[str, bytes]:
    module = type(value).__module__.split(".")[0]
    if module == "pandas":
        import pandas as pd

        if isinstance(value, pd.DataFrame):
            buffer = io.BytesIO()
            value.to_parquet(buffer)
            return "pandas", buffer.getvalue()
    if module == "pyarrow":
        import pyarrow as pa
        import pyarrow.parquet as pq

        if isinstance(value, pa.Table):
            buffer = io.BytesIO()
            pq.write_table(value, buffer)
            return "arrow", buffer.getvalue()
    if module == "numpy":
        import numpy as np

        if isinstance(value, np.ndarray) and value.dtype != object:
            buffer = io.BytesIO()
            np.save(buffer, value, allow_pickle=False)
            return "numpy", buffer.getvalue()
    return "pickle", pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def store_output(blobs: BlobStore, step: str, value: Any) -> OutputRef:
    """Keep ``value`` and say where; an unstorable value is an error naming step and type."""
    kind = _version_kind(type(value))
    if kind == "dataset_version":
        return OutputRef(kind, _type_name(value), value.digest, value.ref)
    if kind == "model_version":
        return OutputRef(kind, _type_name(value), value.model_digest, value.ref)
    if value is None:
        return OutputRef("none", "None", "none")
    try:
        encoding, data = _encode(value)
    except Exception as exc:  # pickle raises TypeError, AttributeError, PicklingError...
        raise UnstorableOutputError(
            f"step {step!r} returned a {_type_name(value)}, which cannot be stored "
            f"({type(exc).__name__}: {exc}); return a DataFrame, Arrow table, NumPy array, "
            "dataset or model version, or a picklable value"
        ) from exc
    blob = blobs.put_bytes(data)
    return OutputRef(encoding, _type_name(value), blob.digest, None, blob.size)


def store_outputs(blobs: BlobStore, step: str, value: Any, count: int) -> OutputRef:
    """Keep the value of a step declared with ``outputs=count``: each element on its own
    when ``count`` > 1, so each downstream step depends on (and caches on) its element."""
    if count == 1:
        return store_output(blobs, step, value)
    if not isinstance(value, tuple | list) or len(value) != count:
        got = f"{len(value)} values" if isinstance(value, tuple | list) else _type_name(value)
        raise UnstorableOutputError(
            f"step {step!r} declares outputs={count} but returned {got}; return a tuple of "
            f"{count} values"
        )
    parts = tuple(store_output(blobs, f"{step}[{i}]", v) for i, v in enumerate(value))
    digest = "tuple:" + hash_bytes("\n".join(p.digest for p in parts).encode())
    return OutputRef("tuple", "builtins.tuple", digest, None, sum(p.size for p in parts), parts)


def load_output(blobs: BlobStore, ref: OutputRef, resolve: Resolver) -> Any:
    """The value a step returned, read back from where :func:`store_output` kept it."""
    if ref.kind == "tuple":
        return tuple(load_output(blobs, part, resolve) for part in ref.parts)
    if ref.kind in ("dataset_version", "model_version"):
        assert ref.ref is not None
        return resolve(ref.kind, ref.ref)
    if ref.kind == "none":
        return None
    data = blobs.read_bytes(ref.digest)  # verified against its digest before unpickling
    if ref.kind == "pandas":
        import pandas as pd

        return pd.read_parquet(io.BytesIO(data))
    if ref.kind == "arrow":
        import pyarrow.parquet as pq

        return pq.read_table(io.BytesIO(data))
    if ref.kind == "numpy":
        import numpy as np

        return np.load(io.BytesIO(data), allow_pickle=False)
    return pickle.loads(data)


def output_exists(blobs: BlobStore, ref: OutputRef) -> bool:
    """Whether a cached output can still be read (a gc may have removed its blob)."""
    if ref.kind == "tuple":
        return all(output_exists(blobs, part) for part in ref.parts)
    if ref.kind in ("none", "dataset_version", "model_version"):
        return True
    return blobs.exists(ref.digest)
