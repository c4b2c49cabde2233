"""The module API: ``dl.log_model``, ``dl.load_model``, ``dl.register_model``, ``dl.lineage``..."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from driftloop.errors import InvalidInputError
from driftloop.registry._models import AliasEvent, Lineage, LoggedModel, ModelVersion
from driftloop.registry._package import LoadedModel
from driftloop.registry._service import RegistryService


def _registry() -> RegistryService:
    from driftloop._workspace import get_workspace

    return get_workspace().registry


def log_model(
    model: Any,
    name: str | None = None,
    *,
    input_example: Any = None,
    training_data: Any = None,
    register: bool = False,
    artifact_path: str = "model",
    code_paths: Sequence[str | Path] = (),
    onnx: bool = False,
    flavor: str | None = None,
    extra_requirements: Sequence[str] = (),
    description: str = "",
    tags: dict[str, Any] | None = None,
) -> LoggedModel:
    """Store ``model`` in the active run (one is started if none is), optionally registering it.

    Args:
        model: a scikit-learn estimator or Pipeline, an XGBoost or LightGBM model, an
            ``onnx.ModelProto``, or any object with ``predict`` (the pyfunc flavor).
        name: the registered model's name (needed with ``register=True``).
        input_example: a few rows (pandas, Polars, Arrow or NumPy); the signature is
            inferred from it and the model's prediction on it.
        training_data: the training features, for the ranges and categories of the signature.
        register: also make a new version of ``name`` in the registry.
        artifact_path: folder of the run to store the model in (``runs:/<id>/<artifact_path>``).
        code_paths: files or folders the model's code needs (pyfunc); put on ``sys.path`` at load.
        onnx: also store an ONNX form (scikit-learn, XGBoost, LightGBM), kept only if its
            predictions on ``input_example`` match the native ones (see ``driftloop.registry``).
        flavor: force a flavor instead of picking one from the model's type.
        extra_requirements: more packages whose installed versions to record.

    Raises:
        InvalidInputError: ``register=True`` without a name, an unknown flavor, no ``predict``.

    Example::

        with dl.start_run(experiment="churn"):
            model = RandomForestClassifier().fit(X, y)
            dl.log_model(model, name="churn", input_example=X.head(), register=True)
    """
    from driftloop.tracking._fluent import _current

    if register and not name:  # refused before a run is started for nothing
        raise InvalidInputError(
            "register=True needs a model name: dl.log_model(model, name='churn', ...)"
        )
    return _registry().log_model(
        _current().id,
        model,
        name,
        register=register,
        artifact_path=artifact_path,
        input_example=input_example,
        training_data=training_data,
        code_paths=code_paths,
        onnx=onnx,
        flavor=flavor,
        extra_requirements=extra_requirements,
        description=description,
        tags=tags,
    )


def load_model(uri: str, *, onnx: bool = False) -> LoadedModel:
    """Load a model by URI, verifying every byte before reading it.

    ``uri`` is ``models:/name@alias``, ``models:/name/3``, ``models:/name/latest`` or
    ``runs:/<run_id>/model``. With ``onnx=True`` the stored ONNX form runs in ONNX Runtime.

    Raises:
        IntegrityError: a file of the model changed after it was logged (nothing is unpickled).
        NotFoundError: no such model, version, alias or run.

    Warns:
        RequirementsMismatchWarning: installed package versions differ from the logged ones.

    Example::

        model = dl.load_model("models:/churn@champion")
        model.predict(frame)
    """
    return _registry().load(uri, onnx=onnx)


def register_model(
    model_uri: str, name: str, *, description: str = "", tags: dict[str, Any] | None = None
) -> ModelVersion:
    """Register the model logged at ``runs:/<run_id>/model`` as a new version of ``name``."""
    return _registry().register(model_uri, name, description=description, tags=tags)


def set_model_alias(name: str, alias: str, version: int) -> AliasEvent:
    """Point ``alias`` (e.g. ``champion``) at ``version`` of ``name``; the move is recorded."""
    return _registry().set_alias(name, alias, version)


def delete_model_alias(name: str, alias: str) -> AliasEvent:
    """Remove ``alias`` from ``name``; the removal is recorded."""
    return _registry().remove_alias(name, alias)


def get_model_version(uri: str) -> ModelVersion:
    """The version ``models:/name/3`` (or ``@alias``, ``/latest``) points at."""
    return _registry().resolve(uri)


def lineage(uri: str) -> Lineage:
    """The graph from a model version back to its run, code, params and datasets, and forward."""
    return _registry().lineage(uri)


def model_card(uri: str) -> str:
    """The Markdown model card of a registered version."""
    return _registry().model_card(uri)
