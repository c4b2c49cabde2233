"""Collecting definitions from a ``features.py``: every Entity and FeatureView it defines."""

from __future__ import annotations

import runpy
from pathlib import Path

from driftloop.errors import InvalidInputError, UserCodeError
from driftloop.features._models import Entity, FeatureView


def load_definitions(path: str | Path) -> tuple[list[Entity], list[FeatureView]]:
    """Run ``path`` and return the entities and feature views it defines at module level.

    Raises:
        InvalidInputError: the file does not exist or defines no feature view.
        UserCodeError: the file raised while running ; an ``InvalidInputError`` it raised,
            such as an unknown feature type, is re-raised as one naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(
            f"no feature definitions at {path}; write a features.py defining "
            "Entity and FeatureView objects, or pass its path"
        )
    try:
        namespace = runpy.run_path(str(path), run_name="driftloop_features")
    except InvalidInputError as exc:
        # A definition driftloop refused (a bad type, a bad name): its own message says
        # what to change; only the file it is in needs adding.
        raise InvalidInputError(f"{path}: {exc}") from exc
    except Exception as exc:
        raise UserCodeError(str(path), exc) from exc
    entities = [v for v in namespace.values() if isinstance(v, Entity)]
    views = [v for v in namespace.values() if isinstance(v, FeatureView)]
    for value in namespace.values():
        if isinstance(value, list | tuple):
            views += [v for v in value if isinstance(v, FeatureView) and v not in views]
    if not views:
        raise InvalidInputError(f"{path} defines no FeatureView; nothing to apply")
    return entities, views
