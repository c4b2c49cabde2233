"""The workspace: settings, the stores, and the services of each context.

``dl.Workspace`` delegates to context services; it holds no business rules. The
module-level API (``dl.start_run`` and friends) uses one default workspace, the
only global, found from the current folder or created there on first use.
"""

from __future__ import annotations

import sys
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from driftloop.artifacts import FsspecBlobStore, open_blob_store
from driftloop.config import CONFIG_FILE, STATE_DIR, Settings, find_workspace_root, load_settings
from driftloop.store import MetadataStore
from driftloop.tracking._service import TrackingService

if TYPE_CHECKING:
    from driftloop.data._service import DatasetService
    from driftloop.features._service import FeatureService
    from driftloop.registry._service import RegistryService

_CONFIG_TEMPLATE = """\
# driftloop workspace. Environment variables (DRIFTLOOP_DB_URL, DRIFTLOOP_ARTIFACT_URL,
# DRIFTLOOP_ONLINE_URL) override these settings; unset ones default to files in .driftloop/.
[workspace]
# db_url = "postgresql+psycopg://postgres@127.0.0.1:5432/driftloop"
# artifact_url = "s3://bucket/driftloop"
# online_url = "redis://127.0.0.1:6379/0"
"""


class Workspace:
    """An opened driftloop workspace.

    Example::

        ws = dl.Workspace("path/to/project")
        ws.tracking.list_experiments()
    """

    def __init__(
        self,
        root: str | Path | None = None,
        *,
        db_url: str | None = None,
        artifact_url: str | None = None,
        online_url: str | None = None,
    ) -> None:
        self.settings: Settings = load_settings(
            root, db_url=db_url, artifact_url=artifact_url, online_url=online_url
        )
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        self.store = MetadataStore(self.settings.db_url).open()
        self.blobs: FsspecBlobStore = open_blob_store(self.settings.artifact_url)

    @property
    def root(self) -> Path:
        return self.settings.root

    @property
    def user(self) -> str:
        return self.settings.user

    @cached_property
    def tracking(self) -> TrackingService:
        return TrackingService(self.store, self.blobs, self.user)

    @cached_property
    def datasets(self) -> DatasetService:
        from driftloop.data._service import DatasetService

        return DatasetService(self.store, self.blobs, self.user, self.settings.state_dir / "cache")

    @cached_property
    def registry(self) -> RegistryService:
        from driftloop.registry._service import RegistryService

        return RegistryService(self.store, self.blobs, self.tracking, self.user)

    @cached_property
    def features(self) -> FeatureService:
        from driftloop.features._offline import cached_dataset_resolver
        from driftloop.features._service import FeatureService

        return FeatureService(
            self.store,
            self.user,
            self.settings.online_url,
            self.settings.state_dir,
            cached_dataset_resolver(self.datasets.get),
            datasets=self.datasets,
        )

    def close(self) -> None:
        if "tracking" in self.__dict__:
            self.tracking.writer.close()
        if "features" in self.__dict__:
            self.features.close()
        self.store.dispose()

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"


def init_workspace(path: str | Path = ".") -> Workspace:
    """Create ``driftloop.toml`` and ``.driftloop/`` in ``path`` (kept if present) and open it."""
    root = Path(path).resolve()
    root.mkdir(parents=True, exist_ok=True)
    config = root / CONFIG_FILE
    if not config.exists():
        config.write_text(_CONFIG_TEMPLATE, encoding="utf-8")
    (root / STATE_DIR).mkdir(exist_ok=True)
    return Workspace(root)


_default: Workspace | None = None
_default_lock = threading.Lock()


def get_workspace() -> Workspace:
    """The default workspace: set, found from the current folder, or created here (said once)."""
    global _default
    with _default_lock:
        if _default is None:
            import os

            if os.environ.get("DRIFTLOOP_HOME") or find_workspace_root() is not None:
                _default = Workspace()
            else:
                _default = init_workspace(Path.cwd())
                print(
                    f"driftloop: no workspace found; created one in {_default.root} "
                    f"({CONFIG_FILE} and {STATE_DIR}/)",
                    file=sys.stderr,
                )
        return _default


def set_workspace(workspace: Workspace | str | Path | None) -> Workspace | None:
    """Make ``workspace`` the default (a path opens it); None forgets the current default."""
    global _default
    with _default_lock:
        if _default is not None and _default is not workspace:
            _default.close()
        if workspace is None or isinstance(workspace, Workspace):
            _default = workspace
        else:
            _default = Workspace(workspace)
        return _default
