"""Model registry: flavors, signatures, versions, aliases, lineage and integrity.

A model is logged into a run (``dl.log_model``) as a folder of files in its
library's native format plus a manifest listing each file's BLAKE3 digest; the
manifest's own digest identifies the model. Registering makes a numbered version
of a named model that links to that digest, its run (and so to the run's code
commit, params, metrics and input datasets). Aliases (``champion``) point at
versions, and every move is recorded with who and when.

Loading (``dl.load_model("models:/churn@champion")``) fetches every file verified
against the manifest *before* any flavor reads it, so bytes changed after logging
are refused and never unpickled; different installed package versions warn. The
loaded model enforces its signature on pandas, Polars, Arrow and NumPy input.

ONNX export (``onnx=True``) is kept only when ONNX Runtime's predictions on the
input example match the native ones within ``rtol=1e-3, atol=1e-4``.

Lineage goes forward through the workspace's ``resources.downstream`` list, which each
``RegistryService`` reads: a later context (serving) appends a :data:`DownstreamProvider`,
a function from a ``ModelVersion`` to the
``(LineageNode, relation)`` pairs it feeds (e.g. a deployment), and
``dl.lineage`` / ``driftloop models lineage`` show them.
"""

from typing import TYPE_CHECKING

from driftloop._lazy import lazy_exports

if TYPE_CHECKING:
    from driftloop.registry._flavors import FLAVORS, OnnxModel
    from driftloop.registry._fluent import (
        delete_model_alias,
        get_model_version,
        lineage,
        load_model,
        log_model,
        model_card,
        register_model,
        set_model_alias,
    )
    from driftloop.registry._manifest import ManifestFile, ModelManifest, OnnxInfo
    from driftloop.registry._models import (
        AliasEvent,
        Lineage,
        LineageEdge,
        LineageNode,
        LoggedModel,
        ModelStatus,
        ModelVersion,
        RegisteredModel,
    )
    from driftloop.registry._onnx import ONNX_ATOL, ONNX_RTOL
    from driftloop.registry._package import LoadedModel
    from driftloop.registry._service import DownstreamProvider, RegistryService
    from driftloop.registry._signature import (
        ColumnSpec,
        ModelSignature,
        TensorSpec,
        infer_signature,
    )
    from driftloop.registry._uri import ModelRef, RunModelRef, parse_model_uri

# Imported on first use (see driftloop/_lazy.py), so importing the package is cheap.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "driftloop.registry._flavors": (
            "FLAVORS",
            "OnnxModel",
        ),
        "driftloop.registry._fluent": (
            "delete_model_alias",
            "get_model_version",
            "lineage",
            "load_model",
            "log_model",
            "model_card",
            "register_model",
            "set_model_alias",
        ),
        "driftloop.registry._manifest": (
            "ManifestFile",
            "ModelManifest",
            "OnnxInfo",
        ),
        "driftloop.registry._models": (
            "AliasEvent",
            "Lineage",
            "LineageEdge",
            "LineageNode",
            "LoggedModel",
            "ModelStatus",
            "ModelVersion",
            "RegisteredModel",
        ),
        "driftloop.registry._onnx": (
            "ONNX_ATOL",
            "ONNX_RTOL",
        ),
        "driftloop.registry._package": ("LoadedModel",),
        "driftloop.registry._service": (
            "DownstreamProvider",
            "RegistryService",
        ),
        "driftloop.registry._signature": (
            "ColumnSpec",
            "ModelSignature",
            "TensorSpec",
            "infer_signature",
        ),
        "driftloop.registry._uri": (
            "ModelRef",
            "RunModelRef",
            "parse_model_uri",
        ),
    },
    globals(),
)

__all__ = [
    "FLAVORS",
    "ONNX_ATOL",
    "ONNX_RTOL",
    "AliasEvent",
    "ColumnSpec",
    "DownstreamProvider",
    "Lineage",
    "LineageEdge",
    "LineageNode",
    "LoadedModel",
    "LoggedModel",
    "ManifestFile",
    "ModelManifest",
    "ModelRef",
    "ModelSignature",
    "ModelStatus",
    "ModelVersion",
    "OnnxInfo",
    "OnnxModel",
    "RegisteredModel",
    "RegistryService",
    "RunModelRef",
    "TensorSpec",
    "delete_model_alias",
    "get_model_version",
    "infer_signature",
    "lineage",
    "load_model",
    "log_model",
    "model_card",
    "parse_model_uri",
    "register_model",
    "set_model_alias",
]
