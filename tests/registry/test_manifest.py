"""The model manifest is a versioned record: today's files read, newer or broken ones refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest

import driftloop as dl
from driftloop.registry import ManifestFile, ModelManifest, OnnxInfo
from driftloop.registry._package import MANIFEST


class Doubler:
    def predict(self, data: pd.DataFrame) -> list[float]:
        return [2.0 * x for x in data["x"]]


def _format_1_bytes(manifest: dict[str, object]) -> bytes:
    # Exactly how format 1 was written before the record existed (registry/_logging.py).
    return json.dumps(manifest, indent=2, sort_keys=True, default=str).encode("utf-8")


def _today(files: dict[str, object], run_id: str) -> dict[str, object]:
    return {
        "format": 1,
        "flavor": "pyfunc",
        "flavor_meta": {"file": "model.pkl"},
        "files": files,
        "signature": {
            "inputs": [
                {
                    "name": "x",
                    "type": "float64",
                    "nullable": False,
                    "minimum": 1.0,
                    "maximum": 2.0,
                    "categories": None,
                }
            ],
            "input_tensor": None,
            "output": None,
            "extra": {},
        },
        "requirements": {"pandas": pd.__version__},
        "onnx": None,
        "run_id": run_id,
        "artifact_path": "model",
        "created_at": "2026-11-30T10:00:00.123456+00:00",
    }


def test_a_format_1_manifest_reads_and_writes_back_the_same_bytes() -> None:
    raw = _today({"model.pkl": {"digest": "blake3:" + "a" * 64, "size": 12}}, "r1")
    raw["onnx"] = {
        "file": None, "ok": False, "reason": "no converter", "max_abs_diff": None,
        "rtol": 1e-3, "atol": 1e-4,
    }  # fmt: skip
    data = _format_1_bytes(raw)
    manifest = ModelManifest.from_json(data)
    assert manifest.format_version == 1 and manifest.flavor == "pyfunc"
    assert manifest.files == {"model.pkl": ManifestFile("blake3:" + "a" * 64, 12)}
    assert manifest.signature is not None and manifest.signature.inputs[0].name == "x"
    assert manifest.onnx == OnnxInfo(None, False, "no converter", None, 1e-3, 1e-4)
    assert manifest.created_at == datetime(2026, 11, 30, 10, 0, 0, 123456, tzinfo=UTC)
    # The manifest's digest is the model's digest: writing it back must not change a byte.
    assert manifest.to_json() == data


def test_a_model_logged_with_todays_manifest_still_loads(workspace: dl.Workspace) -> None:
    with dl.start_run() as run:
        logged = dl.log_model(Doubler(), input_example=pd.DataFrame({"x": [1.0, 2.0]}))
        files = workspace.registry.manifest(logged.uri).files
        raw = _today({n: {"digest": f.digest, "size": f.size} for n, f in files.items()}, run.id)
        workspace.tracking.log_artifact_bytes(run.id, _format_1_bytes(raw), f"old/{MANIFEST}")
    version = dl.register_model(f"runs:/{run.id}/old", "old")
    assert version.status == dl.ModelStatus.READY and version.signature is not None
    loaded = dl.load_model("models:/old/1")
    assert loaded.predict(pd.DataFrame({"x": [1.5]})) == [3.0]
    assert loaded.manifest.created_at.year == 2026


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": 2}, r"newer driftloop \(manifest format 2; this driftloop reads up to 1\)"),
        ({"format": "1"}, r"no valid 'format' \(got '1'\)"),
        ({"files": None}, r"manifest is malformed \(files: "),
        ({"flavor": 7}, r"manifest is malformed \(flavor: "),
        ({"files": {"model.pkl": {"digest": "x"}}}, r"files\.model\.pkl\.size"),
    ],
)
def test_a_newer_or_malformed_manifest_is_refused(change: dict[str, object], message: str) -> None:
    raw = {**_today({"model.pkl": {"digest": "d", "size": 1}}, "r1"), **change}
    with pytest.raises(dl.InvalidInputError, match=message):
        ModelManifest.from_json(_format_1_bytes(raw), "runs:/r1/model")


@pytest.mark.parametrize("data", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_bytes_that_are_no_manifest_are_refused(data: bytes) -> None:
    with pytest.raises(dl.InvalidInputError, match=r"runs:/r1/model: its manifest is not"):
        ModelManifest.from_json(data, "runs:/r1/model")


def test_registering_a_newer_format_is_refused_and_loading_too(workspace: dl.Workspace) -> None:
    with dl.start_run() as run:
        logged = dl.log_model(Doubler())
        files = workspace.registry.manifest(logged.uri).files
        raw = _today({n: {"digest": f.digest, "size": f.size} for n, f in files.items()}, run.id)
        workspace.tracking.log_artifact_bytes(
            run.id, _format_1_bytes({**raw, "format": 9}), f"future/{MANIFEST}"
        )
    with pytest.raises(dl.InvalidInputError, match="upgrade driftloop"):
        dl.register_model(f"runs:/{run.id}/future", "future")
    with pytest.raises(dl.InvalidInputError, match="upgrade driftloop"):
        dl.load_model(f"runs:/{run.id}/future")
    assert workspace.registry.list_models() == []
