"""The exact package versions a model was logged with, and how the running ones differ."""

from __future__ import annotations

import functools
import platform
from collections.abc import Iterable
from importlib import metadata

# Import names that differ from the distribution name on PyPI.
_DISTRIBUTIONS = {"sklearn": "scikit-learn", "yaml": "pyyaml", "google": "protobuf"}
# Distributions that install the same module: a model logged with one loads with the other.
_EQUIVALENT = {"xgboost": ("xgboost", "xgboost-cpu"), "xgboost-cpu": ("xgboost-cpu", "xgboost")}


def distribution_name(package: str) -> str:
    """The installed distribution that provides import name ``package`` (``xgboost`` may come
    from ``xgboost-cpu``); the usual PyPI name when none is installed."""
    name = _DISTRIBUTIONS.get(package, package)
    candidate: str
    for candidate in (*_EQUIVALENT.get(name, (name,)), *_providers().get(package, ())):
        if installed_version(candidate) is not None:
            return candidate
    return name


@functools.cache
def _providers() -> dict[str, tuple[str, ...]]:
    # Scanning every installed distribution takes tens of ms: once per process is enough.
    return {k: tuple(v) for k, v in metadata.packages_distributions().items()}


def installed_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def capture_requirements(packages: Iterable[str]) -> dict[str, str]:
    """``{distribution: version}`` for every installed package in ``packages``, plus python."""
    found = {"python": platform.python_version()}
    for package in packages:
        name = distribution_name(package)
        version = installed_version(name)
        if version is not None:
            found[name] = version
    return dict(sorted(found.items()))


def requirement_differences(captured: dict[str, str]) -> list[str]:
    """Lines like ``scikit-learn: logged 1.5.0, installed 1.6.1`` (empty when all match)."""
    differences = []
    for name, logged in sorted(captured.items()):
        now: str | None
        if name == "python":
            # Patch releases of the interpreter do not change pickles or native formats.
            logged, now = _minor(logged), _minor(platform.python_version())
        else:
            now = next(
                (v for d in _EQUIVALENT.get(name, (name,)) if (v := installed_version(d))), None
            )
        if now != logged:
            differences.append(f"{name}: logged {logged}, installed {now or 'not installed'}")
    return differences


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def requirements_txt(captured: dict[str, str]) -> str:
    return "".join(f"{name}=={version}\n" for name, version in captured.items() if name != "python")
