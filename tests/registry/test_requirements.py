"""The requirements a model records name the distributions actually installed."""

from __future__ import annotations

from importlib import metadata

from driftloop.registry._requirements import (
    capture_requirements,
    distribution_name,
    requirement_differences,
)


def _provides(distribution: str, module: str) -> bool:
    return distribution in metadata.packages_distributions().get(module, [])


def test_xgboost_is_recorded_under_the_installed_distribution() -> None:
    # The dev extra installs xgboost-cpu, users may have xgboost: both provide `xgboost`.
    name = distribution_name("xgboost")
    assert _provides(name, "xgboost")
    captured = capture_requirements(["xgboost"])
    assert captured[name] == metadata.version(name)


def test_a_model_logged_with_either_xgboost_distribution_matches() -> None:
    version = metadata.version(distribution_name("xgboost"))
    for logged in ("xgboost", "xgboost-cpu"):
        assert requirement_differences({logged: version}) == []
    assert requirement_differences({"xgboost": "0.1"}) == [
        f"xgboost: logged 0.1, installed {version}"
    ]


def test_import_names_map_to_distributions() -> None:
    assert distribution_name("sklearn") == "scikit-learn"
    assert "scikit-learn" in capture_requirements(["sklearn"])
    assert "not-a-package" not in capture_requirements(["not-a-package"])
