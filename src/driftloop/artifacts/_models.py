"""Records of the artifact store."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Blob:
    """A stored blob: ``digest`` is ``"blake3:<hex>"`` of its bytes."""

    digest: str
    size: int

    @property
    def hex(self) -> str:
        return self.digest.split(":", 1)[1]
