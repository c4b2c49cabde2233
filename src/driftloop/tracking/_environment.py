"""What a run captures about its code and environment without being asked."""

from __future__ import annotations

import importlib.metadata
import json
import platform
import shlex
import socket
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from driftloop.artifacts import hash_bytes

_GIT_TIMEOUT_S = 5


@dataclass(frozen=True, slots=True)
class CodeVersion:
    commit: str | None
    dirty: bool | None
    diff_digest: str | None


def _git(args: list[str], cwd: Path) -> bytes | None:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=_GIT_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def capture_code_version(cwd: Path) -> CodeVersion:
    """Git commit, dirty flag and a hash of the uncommitted diff of the code in ``cwd``."""
    commit = _git(["rev-parse", "HEAD"], cwd)
    if commit is None:
        return CodeVersion(None, None, None)
    status = _git(["status", "--porcelain", "--untracked-files=no"], cwd) or b""
    dirty = bool(status.strip())
    diff = _git(["diff", "HEAD"], cwd) if dirty else None
    return CodeVersion(
        commit.decode().strip(), dirty, hash_bytes(diff) if diff is not None else None
    )


@lru_cache(maxsize=1)
def installed_packages() -> dict[str, str]:
    # Scanning site-packages takes tens of milliseconds; packages do not change
    # under a running process in any way a run could observe, so once is enough.
    packages: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            packages[name.lower()] = dist.version
    return dict(sorted(packages.items()))


def entry_point() -> str:
    main = sys.argv[0] if sys.argv and sys.argv[0] else "<interactive>"
    if main not in ("-c", "<interactive>") and Path(main).exists():
        return str(Path(main).resolve())
    return main


def capture_environment(cwd: Path) -> tuple[CodeVersion, dict[str, Any]]:
    """The code version and a JSON-able description of interpreter, host and packages."""
    code = _cached_code_version(str(cwd))
    environment = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "host": socket.gethostname(),
        "entry_point": entry_point(),
        "command": shlex.join(sys.argv) if sys.argv else "",
        "git": {"commit": code.commit, "dirty": code.dirty, "diff_digest": code.diff_digest},
        "packages": installed_packages(),
    }
    return code, environment


@lru_cache(maxsize=8)
def _cached_code_version(cwd: str) -> CodeVersion:
    # Read once per process and folder: running `git` for each of thousands of runs
    # in a sweep would cost seconds, and the code of a running process is fixed.
    return capture_code_version(Path(cwd))


def environment_digest(environment: dict[str, Any]) -> str:
    return hash_bytes(json.dumps(environment, sort_keys=True).encode())
