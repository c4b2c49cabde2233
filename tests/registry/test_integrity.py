"""Changed bytes are refused before unpickling; different package versions warn."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

import driftloop as dl
from driftloop.errors import RequirementsMismatchWarning
from driftloop.registry._package import MANIFEST


class Tripwire:
    """Unpickling it leaves a file behind, so a test can prove it was never unpickled."""

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.label = "aaaaaaaaaaaaaaaa"

    def __setstate__(self, state: dict[str, str]) -> None:
        Path(state["marker"]).write_text("unpickled")
        self.__dict__.update(state)

    def predict(self, data: pd.DataFrame) -> list[int]:
        return [1] * len(data)


def _blob_file(workspace: dl.Workspace, digest: str) -> Path:
    path = workspace.blobs.local_path(digest)
    assert path is not None
    return path


def test_one_changed_byte_is_refused_and_never_unpickled(
    workspace: dl.Workspace, tmp_path: Path
) -> None:
    marker = tmp_path / "unpickled.txt"
    with dl.start_run():
        dl.log_model(
            Tripwire(str(marker)),
            name="trip",
            input_example=pd.DataFrame({"x": [1]}),
            register=True,
        )
    assert dl.load_model("models:/trip/1").predict(pd.DataFrame({"x": [1, 2]})) == [1, 1]
    marker.unlink()
    digest = workspace.registry.manifest("models:/trip/1").files["model.pkl"].digest
    blob = _blob_file(workspace, digest)
    data = bytearray(blob.read_bytes())
    data[data.index(b"aaaaaaaaaaaaaaaa")] = ord("b")  # still a valid pickle, just different
    blob.chmod(0o644)
    blob.write_bytes(bytes(data))
    with pytest.raises(
        dl.IntegrityError, match=r"file 'model\.pkl' was changed after it was logged"
    ) as info:
        dl.load_model("models:/trip/1")
    assert "nothing was unpickled" in str(info.value)
    assert not marker.exists()


def test_a_changed_manifest_is_refused(workspace: dl.Workspace, tmp_path: Path) -> None:
    marker = tmp_path / "unpickled.txt"
    with dl.start_run():
        logged = dl.log_model(Tripwire(str(marker)), name="trip", register=True)
    blob = _blob_file(workspace, logged.model_digest)
    blob.chmod(0o644)
    blob.write_bytes(blob.read_bytes().replace(b"pyfunc", b"sklear", 1))
    with pytest.raises(dl.IntegrityError, match=r"manifest .* was changed after it was logged"):
        dl.load_model("models:/trip/latest")
    with pytest.raises(dl.IntegrityError):
        dl.load_model(logged.uri)  # the run's own URI is refused as well
    assert not marker.exists()  # refused before any file was unpickled


def test_different_installed_versions_warn_with_the_differences(workspace: dl.Workspace) -> None:
    with dl.start_run() as run:
        logged = dl.log_model(Tripwire("unused"))
        manifest = workspace.registry.manifest(logged.uri)
        requirements = {**manifest.requirements, "numpy": "1.0.0", "left-pad": "0.1"}
        manifest = replace(manifest, requirements=requirements)
        # A model logged elsewhere: same files, a manifest with other versions.
        workspace.tracking.log_artifact_bytes(run.id, manifest.to_json(), f"model/{MANIFEST}")
    with pytest.warns(RequirementsMismatchWarning) as caught:
        dl.load_model(f"runs:/{run.id}/model")
    message = str(caught[0].message)
    assert "numpy: logged 1.0.0, installed" in message
    assert "left-pad: logged 0.1, installed not installed" in message
    # A warning, not a refusal: the model still loads and predicts.
    with pytest.warns(RequirementsMismatchWarning):
        model = dl.load_model(f"runs:/{run.id}/model")
    assert model.predict(pd.DataFrame({"x": [1, 2, 3]})) == [1, 1, 1]
    assert json.loads(manifest.to_json())["requirements"]["numpy"] == "1.0.0"


def test_registering_changed_bytes_marks_the_version_failed(
    workspace: dl.Workspace, tmp_path: Path
) -> None:
    marker = tmp_path / "unpickled.txt"
    with dl.start_run():
        logged = dl.log_model(Tripwire(str(marker)))
    manifest = workspace.registry.manifest(logged.uri)
    blob = _blob_file(workspace, manifest.files["model.pkl"].digest)
    blob.chmod(0o644)
    blob.write_bytes(blob.read_bytes() + b"\0")
    with pytest.raises(dl.IntegrityError):
        dl.register_model(logged.uri, "trip")
    failed = workspace.registry.get_version("trip", 1)
    assert (
        failed.status == dl.ModelStatus.FAILED
        and "changed after it was stored" in failed.status_message
    )
    with pytest.raises(dl.ConflictError, match="failed registration"):
        dl.load_model("models:/trip/1")
    with pytest.raises(dl.NotFoundError, match="no ready version"):
        dl.load_model("models:/trip/latest")
    assert not marker.exists()  # registration checked the bytes without unpickling them


@pytest.mark.parametrize("file", ["model.pkl", MANIFEST])
def test_a_deleted_model_file_is_named_with_the_model(
    workspace: dl.Workspace, tmp_path: Path, file: str
) -> None:
    with dl.start_run():
        logged = dl.log_model(Tripwire(str(tmp_path / "unused")), name="trip", register=True)
    manifest = workspace.registry.manifest("models:/trip/1")
    digest = logged.model_digest if file == MANIFEST else manifest.files[file].digest
    _blob_file(workspace, digest).unlink()
    with pytest.raises(dl.NotFoundError) as info:
        dl.load_model("models:/trip/1")
    message = str(info.value)
    assert f"models:/trip/1: its file {file!r} is missing" in message
    assert digest in message and "log and register the model again" in message


def test_registering_a_model_whose_file_was_deleted_names_the_file(
    workspace: dl.Workspace, tmp_path: Path
) -> None:
    with dl.start_run():
        logged = dl.log_model(Tripwire(str(tmp_path / "unused")))
    manifest = workspace.registry.manifest(logged.uri)
    _blob_file(workspace, manifest.files["model.pkl"].digest).unlink()
    with pytest.raises(dl.NotFoundError, match=r"its file 'model\.pkl' is missing"):
        dl.register_model(logged.uri, "trip")
    failed = workspace.registry.get_version("trip", 1)
    assert failed.status == dl.ModelStatus.FAILED and "'model.pkl'" in failed.status_message
