"""What a loop policy names must exist when it is set, not only when the loop needs it.

A policy naming a model nobody registered, a pipeline that cannot be imported, or a
dataset or suite that is not there would be stored and fail at its first retraining,
perhaps weeks later; it is refused when set (``dl.set_loop_policy``, ``[[loop]]``),
every missing name listed at once.
"""

from __future__ import annotations

from collections.abc import Callable

from driftloop.automation._policy import LoopPolicy
from driftloop.data._service import DatasetService
from driftloop.data._suite import Suite
from driftloop.errors import InvalidInputError, NotFoundError
from driftloop.pipelines._service import PipelineService
from driftloop.registry._service import RegistryService


class PolicyReferences:
    """Checks the model, pipeline (with the policy's params), datasets and suite of a policy."""

    def __init__(
        self, registry: RegistryService, datasets: DatasetService, pipelines: PipelineService
    ) -> None:
        self._registry = registry
        self._datasets = datasets
        self._pipelines = pipelines

    def check(self, policy: LoopPolicy) -> None:
        """Raise InvalidInputError listing everything ``policy`` names that does not exist."""
        checks: list[tuple[str, Callable[[], object]]] = [
            (f"model {policy.model!r}", lambda: self._registry.get_model(policy.model)),
            (
                f"pipeline {policy.pipeline!r}",
                lambda: self._pipelines.check_target(policy.pipeline, policy.params),
            ),
        ]
        datasets = [t.source for t in policy.triggers if t.kind == "dataset"]
        datasets += [d for d in (policy.data.dataset, policy.gate.holdout) if d]
        checks += [(f"dataset {d!r}", self._dataset_check(d)) for d in dict.fromkeys(datasets)]
        suite = policy.gate.suite
        if suite is not None:
            checks.append((f"gate suite {suite!r}", lambda: Suite.from_yaml(suite)))
        problems = []
        for what, check in checks:
            try:
                check()
            except (NotFoundError, InvalidInputError) as exc:
                problems.append(f"{what}: {exc}")
        if problems:
            raise InvalidInputError(
                f"the loop policy of endpoint {policy.endpoint!r} names what does not exist or "
                f"cannot be used; it was not stored: {' | '.join(problems)}"
            )

    def _dataset_check(self, ref: str) -> Callable[[], object]:
        return lambda: self._datasets.get_version(ref)
