"""Model flavors: how each kind of model is written to a folder and read back.

Each flavor saves in the library's own format where one exists (XGBoost UBJSON,
LightGBM text, ONNX protobuf), so loading needs no training code. scikit-learn
and python-function models are pickled; the registry verifies the bytes before any
unpickling (see ``_package``).
"""

from __future__ import annotations

import importlib
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from driftloop.errors import InvalidInputError, require_extra

PICKLE_PROTOCOL = 5


class Flavor(Protocol):
    """Writes a model into a folder and reads it back; ``meta`` is stored in the manifest."""

    name: str
    packages: tuple[str, ...]

    def matches(self, model: Any) -> bool: ...

    def save(self, model: Any, folder: Path) -> dict[str, Any]: ...

    def load(self, folder: Path, meta: dict[str, Any]) -> Any: ...


def _pickle_dump(model: Any, path: Path) -> None:
    # cloudpickle handles lambdas and classes defined in __main__ (FunctionTransformer,
    # notebook models); plain pickle.load reads its output.
    try:
        import cloudpickle  # type: ignore[import-untyped]

        data = cloudpickle.dumps(model, protocol=PICKLE_PROTOCOL)
    except ImportError:
        data = pickle.dumps(model, protocol=PICKLE_PROTOCOL)
    path.write_bytes(data)


def _pickle_load(path: Path) -> Any:
    with open(path, "rb") as handle:
        return pickle.load(handle)  # bytes were verified against the manifest first


def _top_module(model: Any) -> str:
    return type(model).__module__.split(".")[0]


class SklearnFlavor:
    name: str = "sklearn"
    packages: tuple[str, ...] = ("scikit-learn", "numpy", "scipy", "pandas", "cloudpickle")

    def matches(self, model: Any) -> bool:
        return _top_module(model) == "sklearn"

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        _pickle_dump(model, folder / "model.pkl")
        return {"file": "model.pkl", "serialization": "cloudpickle", "class": _class_path(model)}

    def load(self, folder: Path, meta: dict[str, Any]) -> Any:
        return _pickle_load(folder / meta["file"])


class XGBoostFlavor:
    name: str = "xgboost"
    packages: tuple[str, ...] = ("xgboost", "numpy", "scikit-learn", "pandas")

    def matches(self, model: Any) -> bool:
        return _top_module(model) == "xgboost"

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        model.save_model(str(folder / "model.ubj"))
        # The native file keeps the trees, not the thread count the user chose for predicting.
        n_jobs = getattr(model, "n_jobs", None)
        return {
            "file": "model.ubj",
            "format": "ubj",
            "class": type(model).__name__,
            "n_jobs": n_jobs,
        }

    def load(self, folder: Path, meta: dict[str, Any]) -> Any:
        xgboost = require_extra("xgboost", "xgboost", "Loading an XGBoost model")
        path = str(folder / meta["file"])
        if meta["class"] == "Booster":
            return _XGBoostBooster(xgboost.Booster(model_file=path))
        model = getattr(xgboost, meta["class"])()
        model.load_model(path)
        if meta.get("n_jobs") is not None:
            model.set_params(n_jobs=meta["n_jobs"])
        return model


@dataclass
class _XGBoostBooster:
    booster: Any

    def predict(self, data: Any) -> np.ndarray:
        import xgboost

        return np.asarray(self.booster.predict(xgboost.DMatrix(data)))


class LightGBMFlavor:
    name: str = "lightgbm"
    packages: tuple[str, ...] = ("lightgbm", "numpy", "scikit-learn", "pandas")

    def matches(self, model: Any) -> bool:
        return _top_module(model) == "lightgbm"

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        booster = getattr(model, "booster_", model)
        booster.save_model(str(folder / "model.txt"))
        meta: dict[str, Any] = {
            "file": "model.txt",
            "format": "text",
            "class": type(model).__name__,
            "n_jobs": getattr(model, "n_jobs", None),
        }
        if hasattr(model, "classes_"):
            meta["classes"] = np.asarray(model.classes_).tolist()
        return meta

    def load(self, folder: Path, meta: dict[str, Any]) -> Any:
        lightgbm = require_extra("lightgbm", "lightgbm", "Loading a LightGBM model")
        booster = lightgbm.Booster(model_file=str(folder / meta["file"]))
        classes = np.asarray(meta["classes"]) if "classes" in meta else None
        return _LightGBMModel(booster, classes, meta.get("n_jobs"))


@dataclass
class _LightGBMModel:
    """A LightGBM booster answering like the scikit-learn wrapper it was saved from."""

    booster: Any
    classes: np.ndarray | None
    n_jobs: int | None = None

    def _raw(self, data: Any) -> np.ndarray:
        options = {"num_threads": self.n_jobs} if self.n_jobs else {}
        return np.asarray(self.booster.predict(data, **options))

    def predict_proba(self, data: Any) -> np.ndarray:
        raw = self._raw(data)
        return np.column_stack([1.0 - raw, raw]) if raw.ndim == 1 else raw

    def predict(self, data: Any) -> np.ndarray:
        if self.classes is None:
            return self._raw(data)
        labels: np.ndarray = self.classes[np.argmax(self.predict_proba(data), axis=1)]
        return labels


class OnnxFlavor:
    name: str = "onnx"
    packages: tuple[str, ...] = ("onnx", "onnxruntime", "numpy")

    def matches(self, model: Any) -> bool:
        return type(model).__name__ == "ModelProto" and _top_module(model) in ("onnx", "google")

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        (folder / "model.onnx").write_bytes(model.SerializeToString())
        return {"file": "model.onnx"}

    def load(self, folder: Path, meta: dict[str, Any]) -> Any:
        return OnnxModel.from_file(folder / meta["file"])


class OnnxModel:
    """An ONNX Runtime session with ``predict`` (and ``predict_proba`` for classifiers)."""

    _TYPES = {
        "tensor(float)": np.float32,
        "tensor(double)": np.float64,
        "tensor(int64)": np.int64,
        "tensor(int32)": np.int32,
        "tensor(string)": object,
        "tensor(bool)": np.bool_,
    }

    def __init__(self, session: Any) -> None:
        self.session = session
        self.inputs = session.get_inputs()
        self.outputs = [o.name for o in session.get_outputs()]

    @classmethod
    def from_file(cls, path: Path) -> OnnxModel:
        ort = require_extra("onnxruntime", "onnx", "Running an ONNX model")
        options = ort.SessionOptions()
        options.log_severity_level = 3
        return cls(ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"]))

    def _feed(self, data: Any) -> dict[str, np.ndarray]:
        if len(self.inputs) == 1:
            array = data.to_numpy() if hasattr(data, "to_numpy") else np.asarray(data)
            spec = self.inputs[0]
            return {spec.name: array.astype(self._TYPES.get(spec.type, np.float32))}
        return {
            spec.name: np.asarray(data[spec.name])
            .reshape(-1, 1)
            .astype(self._TYPES.get(spec.type, np.float32))
            for spec in self.inputs
        }

    def run(self, data: Any) -> list[Any]:
        return list(self.session.run(None, self._feed(data)))

    def predict(self, data: Any) -> np.ndarray:
        result = np.asarray(self.run(data)[0])
        return result.reshape(-1) if result.ndim == 2 and result.shape[1] == 1 else result

    def predict_proba(self, data: Any) -> np.ndarray:
        if len(self.outputs) < 2:
            raise InvalidInputError("this ONNX model has no probability output")
        return np.asarray(self.session.run([self.outputs[1]], self._feed(data))[0])


class PyfuncFlavor:
    """Any object with ``predict``; code files it needs are stored beside it and put on sys.path."""

    name: str = "pyfunc"
    packages: tuple[str, ...] = ("cloudpickle", "numpy", "pandas")

    def matches(self, model: Any) -> bool:
        return callable(getattr(model, "predict", None))

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        _pickle_dump(model, folder / "model.pkl")
        return {"file": "model.pkl", "serialization": "cloudpickle", "class": _class_path(model)}

    def load(self, folder: Path, meta: dict[str, Any]) -> Any:
        code = folder / "code"
        if code.is_dir() and str(code) not in sys.path:
            sys.path.insert(0, str(code))
        return _pickle_load(folder / meta["file"])


def _class_path(model: Any) -> str:
    return f"{type(model).__module__}.{type(model).__qualname__}"


FLAVORS: dict[str, Flavor] = {
    f.name: f
    for f in (SklearnFlavor(), XGBoostFlavor(), LightGBMFlavor(), OnnxFlavor(), PyfuncFlavor())
}


def pick_flavor(model: Any, flavor: str | None = None) -> Flavor:
    """The named flavor, or the first that fits ``model`` (pyfunc last)."""
    if flavor is not None:
        if flavor not in FLAVORS:
            raise InvalidInputError(
                f"unknown model flavor {flavor!r}; use one of {', '.join(FLAVORS)}"
            )
        return FLAVORS[flavor]
    for candidate in FLAVORS.values():
        if candidate.matches(model):
            return candidate
    raise InvalidInputError(
        f"cannot log a {_class_path(model)}: it has no predict method; wrap it in a class "
        "with predict(data) (the pyfunc flavor) or pass a scikit-learn, XGBoost, LightGBM or "
        "ONNX model"
    )


def top_level_package(model: Any) -> str | None:
    """The importable top-level package of the model's class, unless it is a script's class."""
    module = type(model).__module__.split(".")[0]
    if module in ("__main__", "builtins") or module not in sys.modules:
        return None
    try:
        importlib.import_module(module)
    except ImportError:
        return None
    return module
