"""What a server holds: the verified, loaded models of each endpoint's live deployment.

``refresh()`` compares the live deployment versions in the metadata store with what is
loaded, loads the models of changed endpoints (every file verified against its
manifest first; a model whose bytes changed is refused and never unpickled), and
swaps the endpoint's state in one assignment. Requests already running keep the state
they started with, so a change drops or fails no request. A deployment that cannot be
loaded is never served; the endpoint keeps serving the deployment before it, if any,
and reports the problem.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from driftloop.errors import DriftloopError, NotFoundError, UserCodeError
from driftloop.registry import LoadedModel, ModelSignature, OnnxModel, RegistryService
from driftloop.serving._errors import EndpointNotReadyError
from driftloop.serving._models import Deployment, DeploymentRoute, RouteKind
from driftloop.serving._overflow import cast_checked, float32_overflow
from driftloop.serving._service import ServingService

_FLOAT32_OVERFLOW = ("too large for dtype('float32')", "overflow encountered in cast")


@dataclass(frozen=True, slots=True)
class ModelOutput:
    """``prediction`` per row; ``proba`` (rows x classes) for classifiers."""

    prediction: np.ndarray
    proba: np.ndarray | None = None


class ServedModel:
    """One loaded model version: native model, its ONNX Runtime form if it has one, classes."""

    def __init__(self, name: str, version: int, native: LoadedModel, onnx: OnnxModel | None):
        self.name = name
        self.version = version
        self.loaded = native
        self.onnx = onnx
        self.signature: ModelSignature | None = native.signature
        classes = getattr(native.native, "classes_", None)
        self.classes: list[Any] | None = (
            np.asarray(classes).tolist() if classes is not None else None
        )
        self.uri = f"models:/{name}/{version}"

    @property
    def runtime(self) -> str:
        return "onnxruntime" if self.onnx is not None else self.loaded.flavor

    def predict(self, columns: dict[str, np.ndarray], num_rows: int) -> ModelOutput:
        """Predict on signature-checked columns (see ``check_columns``)."""
        try:
            if self.onnx is not None:
                return self._predict_onnx(columns, num_rows)
            return self._predict_native(columns)
        except Exception as exc:
            # The registry's model wraps what the model raised: look at that.
            cause = exc.__cause__ if isinstance(exc, UserCodeError) else exc
            # scikit-learn's trees cast to float32 and refuse the infinity a finite 1e308
            # became (NumPy warns first; an error where warnings are errors): the input's
            # fault, so name the cell (a 400), not the model (a 422).
            if any(sign in str(cause) for sign in _FLOAT32_OVERFLOW):
                overflow = float32_overflow(columns, self._whose)
                if overflow is not None:
                    raise overflow from None
            if isinstance(exc, DriftloopError):
                raise
            raise UserCodeError(f"model {self.uri}", exc) from exc

    @property
    def _whose(self) -> str:
        return f"the type model {self.uri} computes in"

    def _predict_onnx(self, columns: dict[str, np.ndarray], num_rows: int) -> ModelOutput:
        assert self.onnx is not None
        session, inputs = self.onnx.session, self.onnx.inputs
        types = OnnxModel._TYPES
        if len(inputs) == 1:
            spec = inputs[0]
            dtype = np.dtype(types.get(spec.type, np.float32))
            matrix: np.ndarray = np.empty((num_rows, len(columns)), dtype=dtype)
            for j, (name, values) in enumerate(columns.items()):
                matrix[:, j] = cast_checked(values, dtype, f"column '{name}'", self._whose)
            feed = {spec.name: matrix}
        else:
            feed = {
                s.name: cast_checked(
                    columns[s.name],
                    np.dtype(types.get(s.type, np.float32)),
                    f"column '{s.name}'",
                    self._whose,
                ).reshape(-1, 1)
                for s in inputs
            }
        outputs = session.run(None, feed)
        first = np.asarray(outputs[0])
        if self.classes is not None and len(outputs) > 1:
            return ModelOutput(first.reshape(-1), np.asarray(outputs[1], dtype=np.float64))
        return ModelOutput(first.reshape(-1) if first.ndim == 2 and first.shape[1] == 1 else first)

    def _predict_native(self, columns: dict[str, np.ndarray]) -> ModelOutput:
        frame = pd.DataFrame(columns, copy=False)
        if self.classes is not None and hasattr(self.loaded.native, "predict_proba"):
            proba = np.asarray(self.loaded.predict_proba(frame), dtype=np.float64)
            labels = np.asarray(self.classes)[np.argmax(proba, axis=1)]
            return ModelOutput(labels, proba)
        return ModelOutput(np.asarray(self.loaded.predict(frame)))


@dataclass(frozen=True, slots=True)
class EndpointState:
    """An endpoint's live deployment and its loaded models, swapped whole on a change.

    ``batchers`` (route kind -> micro-batcher) is filled when the deployment turns
    adaptive batching on.
    """

    deployment: Deployment
    models: dict[RouteKind, ServedModel]
    batchers: dict[RouteKind, Any] = field(default_factory=dict)

    def model(self, route: DeploymentRoute) -> ServedModel:
        return self.models[route.kind]


ModelLoader = Callable[[str, int], ServedModel]


def registry_loader(registry: RegistryService, prefer_onnx: bool) -> ModelLoader:
    """Load a version verified; with its ONNX form for the hot path when it has one."""

    def load(name: str, version: int) -> ServedModel:
        uri = f"models:/{name}/{version}"
        native = registry.load(uri)
        onnx_info = native.manifest.onnx
        onnx = None
        if prefer_onnx and onnx_info is not None and onnx_info.file is not None:
            onnx_model = registry.load(uri, onnx=True).native
            onnx = onnx_model if isinstance(onnx_model, OnnxModel) else None
        return ServedModel(name, version, native, onnx)

    return load


class ServingRuntime:
    """The endpoints a server answers for; thread-safe refresh, lock-free reads."""

    def __init__(
        self,
        serving: ServingService,
        loader: ModelLoader,
        endpoints: tuple[str, ...] | None = None,
    ) -> None:
        self.serving = serving
        self.loader = loader
        self.only = endpoints
        self.states: dict[str, EndpointState] = {}
        # endpoint -> (deployment version that failed, why), cleared when one loads.
        self.problems: dict[str, tuple[int, str]] = {}
        self._models: dict[tuple[str, int], ServedModel] = {}
        self._lock = threading.Lock()

    def endpoint(self, name: str) -> EndpointState:
        state = self.states.get(name)
        if state is not None:
            return state
        problem = self.problems.get(name)
        if problem is not None:
            raise EndpointNotReadyError(
                f"endpoint {name!r} is not ready: deployment {problem[0]} could not be "
                f"loaded: {problem[1]}"
            )
        raise NotFoundError(f"no endpoint named {name!r} is served here; see GET /v1/endpoints")

    def refresh(self) -> list[str]:
        """Load what changed since the last call, drop deleted endpoints; returns the
        endpoints that now serve anew or stopped."""
        with self._lock:
            live = self.serving.live_versions()
            changed = []
            for name, version in sorted(live.items()):
                if self.only is not None and name not in self.only:
                    continue
                current = self.states.get(name)
                if current is not None and current.deployment.version == version:
                    continue
                if self.problems.get(name, (0, ""))[0] == version:
                    continue
                if self._apply(name, version):
                    changed.append(name)
            # A deleted endpoint is no longer live: stop answering it (404), keep no models.
            for name in [n for n in self.states if n not in live]:
                del self.states[name]
                changed.append(name)
            self.problems = {n: p for n, p in self.problems.items() if n in live}
            self._forget_unused()
            return changed

    def _apply(self, name: str, version: int) -> bool:
        try:
            deployment = self.serving.get_deployment(name, version)
            models = {route.kind: self._model(route) for route in deployment.routes}
        except DriftloopError as exc:
            self.problems[name] = (version, str(exc))
            return False
        batchers: dict[RouteKind, Any] = {}
        if deployment.batching.enabled:
            from driftloop.serving._batching import MicroBatcher

            batchers = {k: MicroBatcher(m, deployment.batching) for k, m in models.items()}
        self.states[name] = EndpointState(deployment, models, batchers)
        self.problems.pop(name, None)
        return True

    def _model(self, route: DeploymentRoute) -> ServedModel:
        key = (route.model_name, route.model_version)
        found = self._models.get(key)
        if found is None:
            found = self._models[key] = self.loader(*key)
        return found

    def _forget_unused(self) -> None:
        used = {
            (m.name, m.version) for state in self.states.values() for m in state.models.values()
        }
        for key in list(self._models):
            if key not in used:
                del self._models[key]
