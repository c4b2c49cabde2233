"""Everything one app holds, built by ``create_app`` and reached by handlers via app.state."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from driftloop.serving._metrics import ServingMetrics
from driftloop.serving._predict import Predictor
from driftloop.serving._runtime import ServingRuntime
from driftloop.serving._settings import ServeSettings

if TYPE_CHECKING:
    from driftloop.artifacts import BlobStore
    from driftloop.features._service import FeatureService
    from driftloop.registry import RegistryService
    from driftloop.serving._log_reader import PredictionLogService
    from driftloop.serving._service import ServingService
    from driftloop.store import MetadataStore


class Workspace(Protocol):
    """What the server needs of a ``dl.Workspace`` (named here: services never import it)."""

    @property
    def serving(self) -> ServingService: ...

    @property
    def registry(self) -> RegistryService: ...

    @property
    def features(self) -> FeatureService: ...

    @property
    def store(self) -> MetadataStore: ...

    @property
    def predictions(self) -> PredictionLogService: ...

    @property
    def blobs(self) -> BlobStore: ...

    def acting_as(self, user: str) -> Workspace: ...


OnlineLookup = Callable[[Sequence[str], list[dict[str, Any]]], dict[str, list[Any]]]


@dataclass(slots=True)
class ServerState:
    workspace: Workspace
    settings: ServeSettings
    runtime: ServingRuntime
    predictor: Predictor
    metrics: ServingMetrics
    online_features: OnlineLookup
    log_writer: Any = None

    def endpoint_status(self, name: str) -> dict[str, Any]:
        """Readiness, what is served and the last problem of one endpoint."""
        from driftloop.serving._handlers import deployment_json

        state = self.runtime.states.get(name)
        problem = self.runtime.problems.get(name)
        if state is None and problem is None:
            self.runtime.endpoint(name)  # raises NotFoundError with the hint
        status: dict[str, Any] = {"name": name, "ready": state is not None}
        if state is not None:
            status["deployment"] = deployment_json(state.deployment)
            status["runtimes"] = {kind.value: model.runtime for kind, model in state.models.items()}
        if problem is not None:
            status["problem"] = f"deployment {problem[0]} could not be loaded: {problem[1]}"
        return status

    def status(self) -> list[dict[str, Any]]:
        names = sorted({*self.runtime.states, *self.runtime.problems})
        return [self.endpoint_status(n) for n in names]
