"""ONNX export of scikit-learn, XGBoost and LightGBM models, checked against the native model.

An export is kept only if ONNX Runtime's predictions on the input example match the
native ones within ``rtol``/``atol`` (``numpy.allclose``); otherwise the reason is
returned and the ONNX file is not stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from driftloop.errors import require_extra
from driftloop.registry._flavors import OnnxModel
from driftloop.registry._signature import ModelSignature

ONNX_RTOL = 1e-3
ONNX_ATOL = 1e-4
TARGET_OPSET = 15


@dataclass(frozen=True, slots=True)
class OnnxCheck:
    """The outcome of an export: ``ok`` with the largest difference seen, or why it failed."""

    ok: bool
    reason: str
    max_abs_diff: float | None
    rtol: float = ONNX_RTOL
    atol: float = ONNX_ATOL

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reason": self.reason,
            "max_abs_diff": self.max_abs_diff,
            "rtol": self.rtol,
            "atol": self.atol,
        }


def _initial_types(
    signature: ModelSignature | None, example: Any, single_tensor: bool
) -> list[Any]:
    # onnxmltools checks for its own tensor type classes, skl2onnx for its own.
    if single_tensor:
        from onnxmltools.convert.common.data_types import FloatTensorType, StringTensorType
    else:
        from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    if isinstance(example, np.ndarray):
        return [("input", FloatTensorType([None, *example.shape[1:]]))]
    columns = signature.inputs if signature else ()
    numeric = all(c.type.startswith(("int", "uint", "float", "bool")) for c in columns)
    if numeric or single_tensor:
        return [("input", FloatTensorType([None, len(columns)]))]
    return [
        (
            c.name,
            FloatTensorType([None, 1])
            if c.type.startswith(("int", "float"))
            else StringTensorType([None, 1]),
        )
        for c in columns
    ]


def convert_to_onnx(model: Any, flavor: str, signature: ModelSignature | None, example: Any) -> Any:
    """An ``onnx.ModelProto`` for the model; raises whatever the converter raises."""
    require_extra("onnxruntime", "onnx", "ONNX export")
    if flavor == "sklearn":
        skl2onnx = require_extra("skl2onnx", "onnx", "ONNX export of scikit-learn models")
        types = _initial_types(signature, example, single_tensor=False)
        return skl2onnx.convert_sklearn(
            model, initial_types=types, options={"zipmap": False}, target_opset=TARGET_OPSET
        )
    onnxmltools = require_extra("onnxmltools", "onnx", "ONNX export of XGBoost and LightGBM models")
    types = _initial_types(signature, example, single_tensor=True)
    if flavor == "xgboost":
        booster = model.get_booster() if hasattr(model, "get_booster") else model
        # The converter parses feature names as 'f<index>'; named columns are fed by position.
        saved = booster.feature_names
        booster.feature_names = None
        try:
            return onnxmltools.convert_xgboost(
                model, initial_types=types, target_opset=TARGET_OPSET
            )
        finally:
            booster.feature_names = saved
    if flavor == "lightgbm":
        return onnxmltools.convert_lightgbm(
            model, initial_types=types, zipmap=False, target_opset=TARGET_OPSET
        )
    raise ValueError(f"ONNX export is for sklearn, xgboost and lightgbm models, not {flavor}")


def _native_scores(model: Any, example: Any) -> np.ndarray:
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(example), dtype=np.float64)
    return np.asarray(model.predict(example), dtype=np.float64).reshape(len(example), -1)


def _onnx_scores(session: OnnxModel, example: Any) -> np.ndarray:
    outputs = session.run(example)
    # Classifiers give (label, probabilities); regressors one (n, 1) value tensor.
    scores = outputs[1] if len(outputs) > 1 else outputs[0]
    return np.asarray(scores, dtype=np.float64).reshape(len(example), -1)


def export_and_check(
    model: Any, flavor: str, signature: ModelSignature | None, example: Any, folder: Path
) -> OnnxCheck:
    """Write ``model.onnx`` into ``folder`` if its predictions match; never raises."""
    if example is None or (isinstance(example, pd.DataFrame) and example.empty):
        return OnnxCheck(False, "no input example to check the ONNX predictions on", None)
    try:
        proto = convert_to_onnx(model, flavor, signature, example)
        path = folder / "model.onnx"
        path.write_bytes(proto.SerializeToString())
        native = _native_scores(model, example)
        exported = _onnx_scores(OnnxModel.from_file(path), example)
    except Exception as exc:  # any converter or runtime failure means: no ONNX form
        (folder / "model.onnx").unlink(missing_ok=True)
        return OnnxCheck(False, f"conversion failed: {type(exc).__name__}: {exc}"[:500], None)
    if native.shape != exported.shape:
        path.unlink()
        return OnnxCheck(
            False, f"ONNX output shape {exported.shape} differs from native {native.shape}", None
        )
    diff = float(np.max(np.abs(native - exported))) if native.size else 0.0
    if not np.allclose(exported, native, rtol=ONNX_RTOL, atol=ONNX_ATOL):
        path.unlink()
        return OnnxCheck(
            False,
            f"ONNX predictions differ from native ones by up to {diff:.3g} "
            f"(allowed: rtol={ONNX_RTOL}, atol={ONNX_ATOL})",
            diff,
        )
    return OnnxCheck(True, "", diff)
