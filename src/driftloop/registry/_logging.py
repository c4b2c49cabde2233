"""``log_model``: write a model's folder, store its files in the run, and return its manifest."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from driftloop.errors import DriftloopWarning, InvalidInputError, UserCodeError, warn
from driftloop.registry._flavors import FLAVORS, Flavor, pick_flavor, top_level_package
from driftloop.registry._manifest import ManifestFile, ModelManifest, OnnxInfo
from driftloop.registry._models import LoggedModel
from driftloop.registry._onnx import export_and_check
from driftloop.registry._package import MANIFEST, write_input_example
from driftloop.registry._requirements import capture_requirements, requirements_txt
from driftloop.registry._signature import ModelSignature, infer_signature, to_pandas
from driftloop.tracking import TrackingService

ONNX_FLAVORS = ("sklearn", "xgboost", "lightgbm")


def _predict_example(
    flavor: Flavor, model: Any, folder: Path, meta: dict[str, Any], example: Any
) -> Any:
    predictor = flavor.load(folder, meta) if flavor.name == "onnx" else model
    try:
        return predictor.predict(to_pandas(example))
    except Exception as exc:
        raise UserCodeError("predict on the input example", exc) from exc


def _copy_code(code_paths: Sequence[str | Path], folder: Path) -> None:
    target = folder / "code"
    target.mkdir()
    for path in map(Path, code_paths):
        if path.is_dir():
            shutil.copytree(path, target / path.name, ignore=shutil.ignore_patterns("__pycache__"))
        elif path.is_file():
            shutil.copy2(path, target / path.name)
        else:
            raise InvalidInputError(
                f"code path {path} does not exist; pass files or folders to ship"
            )


def _check_onnx(
    flavor: Flavor, model: Any, signature: ModelSignature | None, example: Any, folder: Path
) -> OnnxInfo:
    if flavor.name not in ONNX_FLAVORS:
        raise InvalidInputError(
            "onnx=True is for scikit-learn, XGBoost and LightGBM models; "
            f"this is a {flavor.name} model"
        )
    check = export_and_check(
        model, flavor.name, signature, to_pandas(example) if example is not None else None, folder
    )
    if not check.ok:
        warn(
            DriftloopWarning,
            f"the ONNX form of this model was not stored: {check.reason}",
            stacklevel=4,
        )
    file = "model.onnx" if check.ok else None
    return OnnxInfo(file, check.ok, check.reason, check.max_abs_diff, check.rtol, check.atol)


def _store_files(
    tracking: TrackingService, run_id: str, folder: Path, artifact_path: str
) -> dict[str, ManifestFile]:
    files: dict[str, ManifestFile] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        blob = tracking.blobs.put_file(path)
        parent = "/".join([artifact_path, *relative.split("/")[:-1]])
        tracking.log_artifact(run_id, path, parent)
        files[relative] = ManifestFile(blob.digest, blob.size)
    return files


def log_model_files(
    tracking: TrackingService,
    run_id: str,
    model: Any,
    *,
    artifact_path: str = "model",
    input_example: Any = None,
    training_data: Any = None,
    code_paths: Sequence[str | Path] = (),
    onnx: bool = False,
    flavor: str | None = None,
    extra_requirements: Sequence[str] = (),
) -> LoggedModel:
    """Save ``model`` in its flavor's format under ``artifact_path`` of the run."""
    chosen = pick_flavor(model, flavor)
    artifact_path = artifact_path.strip("/") or "model"
    with tempfile.TemporaryDirectory(prefix="driftloop-log-") as tmp:
        folder = Path(tmp)
        meta = chosen.save(model, folder)
        signature = None
        if input_example is not None:
            output = _predict_example(chosen, model, folder, meta, input_example)
            signature = infer_signature(input_example, training_data, output)
        if code_paths:
            _copy_code(code_paths, folder)
        onnx_info = _check_onnx(chosen, model, signature, input_example, folder) if onnx else None
        write_input_example(input_example, folder)
        packages = [*chosen.packages, *extra_requirements]
        if chosen.name == "pyfunc" and (package := top_level_package(model)):
            packages.append(package)
        if onnx_info and onnx_info.file:
            packages += FLAVORS["onnx"].packages
        requirements = capture_requirements(packages)
        (folder / "requirements.txt").write_text(requirements_txt(requirements), encoding="utf-8")
        files = _store_files(tracking, run_id, folder, artifact_path)
    manifest = ModelManifest(
        flavor=chosen.name,
        flavor_meta=meta,
        files=files,
        signature=signature,
        requirements=requirements,
        onnx=onnx_info,
        run_id=run_id,
        artifact_path=artifact_path,
        created_at=datetime.now(UTC),
    )
    data = manifest.to_json()
    digest = tracking.blobs.put_bytes(data).digest
    tracking.log_artifact_bytes(run_id, data, f"{artifact_path}/{MANIFEST}")
    return LoggedModel(
        run_id, artifact_path, digest, chosen.name, signature, requirements, onnx_info
    )
