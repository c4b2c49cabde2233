"""CI runs exactly the test line a contributor reads in the README."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _test_line(text: str) -> str:
    [line] = [
        line.strip()
        for line in text.splitlines()
        if "pip install -q -e '.[dev]'" in line and not line.lstrip().startswith("#")
    ]
    return line


def test_ci_runs_the_readme_test_line_in_parallel() -> None:
    readme = _test_line((ROOT / "README.md").read_text(encoding="utf-8"))
    ci = _test_line((ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    assert ci == readme
    assert " -n " in readme  # pytest-xdist: the suite must stay green in parallel
