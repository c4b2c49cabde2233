"""The model manifest (``driftloop-model.json``): a versioned on-disk format as a record.

Format 1, the only one so far, is a JSON object with the keys ``format`` (1),
``flavor``, ``flavor_meta``, ``files`` (name -> ``{digest, size}``), ``signature``,
``requirements``, ``onnx`` (``null`` or ``{file, ok, reason, max_abs_diff, rtol,
atol}``), ``run_id``, ``artifact_path`` and ``created_at`` (ISO 8601, UTC),
written with sorted keys and two-space indents. The digest of those bytes is the
model's digest, so :meth:`ModelManifest.to_json` must stay byte-stable for a format.

A reader refuses a newer format (upgrade driftloop) and a malformed manifest, with
the model named, rather than failing later on a missing key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, StrictStr
from pydantic import ValidationError as PydanticValidationError

from driftloop.errors import InvalidInputError
from driftloop.registry._signature import ModelSignature

__all__ = ["MANIFEST_FORMAT", "ManifestFile", "ModelManifest", "OnnxInfo"]

MANIFEST_FORMAT = 1


@dataclass(frozen=True, slots=True)
class ManifestFile:
    """One file of a model: the BLAKE3 digest it must hash to, and its size in bytes."""

    digest: str
    size: int


@dataclass(frozen=True, slots=True)
class OnnxInfo:
    """The ONNX check made at log time: ``file`` is ``None`` when the form was not stored."""

    file: str | None
    ok: bool
    reason: str
    max_abs_diff: float | None
    rtol: float
    atol: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "ok": self.ok,
            "reason": self.reason,
            "max_abs_diff": self.max_abs_diff,
            "rtol": self.rtol,
            "atol": self.atol,
        }


@dataclass(frozen=True, slots=True)
class ModelManifest:
    """Everything needed to verify and load a logged model; see the module docstring."""

    flavor: str
    flavor_meta: dict[str, Any]
    files: dict[str, ManifestFile]
    signature: ModelSignature | None
    requirements: dict[str, str]
    onnx: OnnxInfo | None
    run_id: str | None
    artifact_path: str
    created_at: datetime
    format_version: int = field(default=MANIFEST_FORMAT)

    def to_dict(self) -> dict[str, Any]:
        """The on-disk form (format 1 keys)."""
        return {
            "format": self.format_version,
            "flavor": self.flavor,
            "flavor_meta": self.flavor_meta,
            "files": {n: {"digest": f.digest, "size": f.size} for n, f in self.files.items()},
            "signature": self.signature.to_dict() if self.signature else None,
            "requirements": self.requirements,
            "onnx": self.onnx.to_dict() if self.onnx else None,
            "run_id": self.run_id,
            "artifact_path": self.artifact_path,
            "created_at": self.created_at.isoformat(),
        }

    def to_json(self) -> bytes:
        """Canonical bytes (sorted keys): their digest is the model's digest."""
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True, default=str)
        return text.encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | str, where: str = "model") -> ModelManifest:
        """Read a manifest of any format this driftloop knows.

        Raises:
            InvalidInputError: the bytes are not a manifest, a key is missing or of the
                wrong type, or the format is newer than this driftloop reads.
        """
        try:
            raw = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInputError(
                f"{where}: its manifest is not JSON ({exc}); is this a driftloop model?"
            ) from None
        if not isinstance(raw, dict):
            raise InvalidInputError(f"{where}: its manifest is not a JSON object; got {raw!r:.80}")
        version = raw.get("format")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise InvalidInputError(
                f"{where}: its manifest has no valid 'format' (got {version!r}); "
                "is this a driftloop model?"
            )
        if version > MANIFEST_FORMAT:
            raise InvalidInputError(
                f"{where} was logged by a newer driftloop (manifest format {version}; this "
                f"driftloop reads up to {MANIFEST_FORMAT}); upgrade driftloop to load it"
            )
        parsed = _parse(raw, where)
        try:
            return _from_v1(parsed)
        except (TypeError, KeyError, ValueError) as exc:
            raise InvalidInputError(
                f"{where}: its manifest has a malformed signature ({exc!r}); log the model again"
            ) from None


class _OnnxV1(BaseModel):
    model_config = ConfigDict(extra="ignore")
    file: StrictStr | None
    ok: StrictBool
    reason: StrictStr
    max_abs_diff: float | None
    rtol: float
    atol: float


class _FileV1(BaseModel):
    model_config = ConfigDict(extra="ignore")
    digest: StrictStr
    size: StrictInt


class _ManifestV1(BaseModel):
    model_config = ConfigDict(extra="ignore")
    format: StrictInt
    flavor: StrictStr
    flavor_meta: dict[str, Any]
    files: dict[str, _FileV1]
    signature: dict[str, Any] | None
    requirements: dict[str, StrictStr]
    onnx: _OnnxV1 | None
    run_id: StrictStr | None
    artifact_path: StrictStr
    created_at: datetime


def _parse(raw: dict[str, Any], where: str) -> _ManifestV1:
    try:
        return _ManifestV1.model_validate(raw)
    except PydanticValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise InvalidInputError(
            f"{where}: its manifest is malformed ({problems}); log the model again"
        ) from None


def _from_v1(parsed: _ManifestV1) -> ModelManifest:
    onnx = parsed.onnx
    return ModelManifest(
        flavor=parsed.flavor,
        flavor_meta=parsed.flavor_meta,
        files={n: ManifestFile(f.digest, f.size) for n, f in parsed.files.items()},
        signature=ModelSignature.from_dict(parsed.signature),
        requirements=parsed.requirements,
        onnx=OnnxInfo(onnx.file, onnx.ok, onnx.reason, onnx.max_abs_diff, onnx.rtol, onnx.atol)
        if onnx
        else None,
        run_id=parsed.run_id,
        artifact_path=parsed.artifact_path,
        created_at=parsed.created_at,
        format_version=parsed.format,
    )
