"""Pipelines on the default workspace: ``dl.run_pipeline``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftloop._workspace import get_workspace
from driftloop.pipelines._models import PipelineRun
from driftloop.pipelines._service import Target


def run_pipeline(
    target: Target,
    params: Mapping[str, Any] | None = None,
    *,
    executor: str = "local",
    no_cache: bool = False,
) -> PipelineRun:
    """Run a pipeline to the end on the default workspace and return its record.

    ``target`` is a ``@dl.pipeline``, ``"module:attr"`` or the name of a pipeline that
    ran before here. A failed run is returned (``run.status``), not raised; bad
    parameters are raised before anything runs.

    Example::

        run = dl.run_pipeline(training, {"max_depth": 6})
        run.step("train").status
    """
    return get_workspace().pipelines.run(target, params, executor=executor, no_cache=no_cache)
