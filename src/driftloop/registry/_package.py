"""A logged model on disk and in the artifact store: a folder of files and a manifest.

The manifest (``driftloop-model.json``) lists every file with its BLAKE3 digest,
the flavor, signature, requirements and ONNX check; the digest of the manifest is
the model's digest, so one hash pins every byte. Loading fetches each file
*verified* (the blob store checks the hash before the file appears) and only then
lets a flavor read it: changed bytes are refused and never unpickled.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from driftloop.artifacts import BlobStore
from driftloop.errors import (
    IntegrityError,
    InvalidInputError,
    NotFoundError,
    RequirementsMismatchWarning,
    UserCodeError,
    warn,
)
from driftloop.registry._flavors import FLAVORS, OnnxModel
from driftloop.registry._manifest import MANIFEST_FORMAT, ModelManifest
from driftloop.registry._requirements import requirement_differences
from driftloop.registry._signature import ModelSignature, enforce_signature, to_pandas

MANIFEST = "driftloop-model.json"
FORMAT_VERSION = MANIFEST_FORMAT


def write_input_example(example: Any, folder: Path) -> str | None:
    """Store the first rows of the example as JSON (for cards, serving docs and smoke tests)."""
    if example is None:
        return None
    data = to_pandas(example)
    if isinstance(data, np.ndarray):
        text = json.dumps({"array": data[:20].tolist()})
    else:
        text = data.head(20).to_json(orient="split", date_format="iso", index=False)
    (folder / "input_example.json").write_text(text, encoding="utf-8")
    return "input_example.json"


def read_input_example(path: Path) -> pd.DataFrame | np.ndarray:
    data = json.loads(path.read_text(encoding="utf-8"))
    if "array" in data:
        return np.asarray(data["array"])
    return pd.DataFrame(data["data"], columns=data["columns"])


def missing_file(where: str, name: str, exc: NotFoundError) -> NotFoundError:
    """The error for a model file whose blob is gone: names the model, the file and the fix."""
    return NotFoundError(
        f"{where}: its file {name!r} is missing ({exc}); it was deleted after the model was "
        "logged. Restore the artifact store from a backup, or log and register the model again."
    )


def read_manifest(blobs: BlobStore, digest: str, where: str) -> ModelManifest:
    """The manifest behind ``digest``, refused if its bytes changed or it is not a manifest."""
    try:
        data = blobs.read_bytes(digest)
    except NotFoundError as exc:
        raise missing_file(where, MANIFEST, exc) from None
    except IntegrityError:
        raise IntegrityError(
            f"{where}: its manifest ({digest}) was changed after it was logged; refusing to "
            "load it. Restore the artifact store from a backup or log the model again."
        ) from None
    return ModelManifest.from_json(data, where)


def fetch_files(blobs: BlobStore, manifest: ModelManifest, folder: Path, where: str) -> None:
    """Copy every file of the model into ``folder``, each verified before it appears there."""
    for name, entry in manifest.files.items():
        try:
            blobs.get_file(entry.digest, folder / name)
        except NotFoundError as exc:
            raise missing_file(where, name, exc) from None
        except IntegrityError:
            raise IntegrityError(
                f"{where}: file {name!r} was changed after it was logged (it no longer hashes "
                f"to {entry.digest}); refusing to load it, and nothing was unpickled. Restore "
                "the artifact store from a backup or log the model again."
            ) from None


def verify_files(blobs: BlobStore, manifest: ModelManifest, where: str) -> None:
    """Check every file of the model is in the store with its bytes unchanged."""
    for name, entry in manifest.files.items():
        try:
            blobs.verify(entry.digest)
        except NotFoundError as exc:
            raise missing_file(where, name, exc) from None


def _flavor(manifest: ModelManifest, uri: str) -> Any:
    flavor = FLAVORS.get(manifest.flavor)
    if flavor is None:
        raise InvalidInputError(
            f"{uri} is a {manifest.flavor!r} model, a flavor this driftloop does not know "
            f"(it knows {', '.join(sorted(FLAVORS))}); upgrade driftloop to load it"
        )
    return flavor


class LoadedModel:
    """A model read back from the registry; ``predict`` enforces the signature first.

    ``native`` is the flavor's own object (an estimator, XGBoost or LightGBM model,
    an ONNX Runtime wrapper, or your pyfunc object).
    """

    def __init__(self, native: Any, manifest: ModelManifest, uri: str, digest: str) -> None:
        self.native = native
        self.uri = uri
        self.model_digest = digest
        self.manifest = manifest
        self.flavor: str = manifest.flavor
        self.signature: ModelSignature | None = manifest.signature
        self.requirements: dict[str, str] = manifest.requirements
        self.run_id: str | None = manifest.run_id

    def _call(self, method: Callable[[Any], Any], data: Any) -> Any:
        prepared = enforce_signature(self.signature, data, self.uri)
        try:
            return method(prepared)
        except Exception as exc:
            raise UserCodeError(f"model {self.uri}", exc) from exc

    def predict(self, data: Any) -> Any:
        """Predictions for pandas, Polars, Arrow or NumPy input that fits the signature."""
        return self._call(self.native.predict, data)

    def predict_proba(self, data: Any) -> Any:
        """Class probabilities, for classifiers."""
        if not hasattr(self.native, "predict_proba"):
            raise InvalidInputError(f"model {self.uri} ({self.flavor}) has no predict_proba")
        return self._call(self.native.predict_proba, data)

    def __repr__(self) -> str:
        return f"LoadedModel({self.uri!r}, flavor={self.flavor!r})"


def load_package(blobs: BlobStore, digest: str, uri: str, *, onnx: bool = False) -> LoadedModel:
    """Verify every byte of the model at ``digest``, then read it with its flavor."""
    manifest = read_manifest(blobs, digest, uri)
    differences = requirement_differences(manifest.requirements)
    if differences:
        warn(
            RequirementsMismatchWarning,
            f"{uri} was logged with other package versions: {'; '.join(differences)}",
        )
    onnx_file = manifest.onnx.file if manifest.onnx else None
    if onnx and onnx_file is None:
        reason = manifest.onnx.reason if manifest.onnx else ""
        raise InvalidInputError(
            f"{uri} has no ONNX form; log it with dl.log_model(..., onnx=True) (scikit-learn, "
            f"XGBoost and LightGBM models). {reason}".strip()
        )
    keep = any(name.startswith("code/") for name in manifest.files)
    folder = Path(tempfile.mkdtemp(prefix="driftloop-model-"))
    try:
        fetch_files(blobs, manifest, folder, uri)
        if onnx_file is not None and onnx:
            native = OnnxModel.from_file(folder / onnx_file)
            manifest = replace(manifest, flavor="onnx")
        else:
            native = _flavor(manifest, uri).load(folder, manifest.flavor_meta)
    except (IntegrityError, InvalidInputError, NotFoundError):
        raise
    except Exception as exc:
        raise UserCodeError(f"loading {uri}", exc) from exc
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    if keep:  # pyfunc code stays importable while the process runs
        atexit.register(shutil.rmtree, folder, True)
    return LoadedModel(native, manifest, uri, digest)
