"""The README's code blocks run as written, in order, in a fresh folder, as a reader runs them.

A reader pastes shell blocks into a terminal (the virtualenv's `bin` on PATH, so
`driftloop` and `pip` are the installed ones), Python blocks into `python`, and saves a
block whose first line names a file (`# features.py`, `# driftloop.toml`) as that
file. This test does the same: a shell block runs in bash with `-e -o pipefail`, in the
folder the previous block left (so `cd churn` carries on), and what it started in the
background (`driftloop serve &`) runs on until the end of the tour, as in a terminal; a
Python block runs as `python -c`, so the folder is importable as it is for the reader;
a TOML block for `driftloop.toml` is appended to the workspace's file; any other block
naming a file is written there.

The "Two commands" at the top are not rerun here: CI runs the test line verbatim
(`test_ci.py`) and `test_demo.py` runs the demo.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TOUR = "## A five-minute tour"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
NAMED_FILE = re.compile(r"^#\s*(?P<path>[\w./-]+\.(?:py|toml|ya?ml|csv))\s*$")
LANGUAGES = {"bash", "python", "toml", "yaml"}
BLOCK_SECONDS = 300


@dataclass(frozen=True, slots=True)
class Block:
    language: str
    code: str
    line: int  # 1-based line of the opening fence in README.md

    @property
    def file(self) -> str | None:
        """The file a reader saves this block as, from a first line like ``# flows.py``."""
        first = self.code.splitlines()[0] if self.code.strip() else ""
        match = NAMED_FILE.match(first.strip())
        return match["path"] if match else None


def tour_blocks(text: str) -> list[Block]:
    start = text.index(TOUR)
    end = text.find("\n## ", start + len(TOUR))
    blocks = []
    for match in FENCE.finditer(text, start, end if end != -1 else len(text)):
        line = text.count("\n", 0, match.start()) + 1
        blocks.append(Block(match[1], match[2], line))
    return blocks


def test_every_tour_block_is_runnable_or_a_named_file() -> None:
    for block in tour_blocks(README.read_text(encoding="utf-8")):
        where = f"README.md:{block.line}"
        assert block.language in LANGUAGES, f"{where}: a ```{block.language} block cannot be run"
        if block.language == "toml":
            assert block.file == "driftloop.toml", f"{where}: say which file (# driftloop.toml)"
            tomllib.loads(block.code)
        if block.language == "yaml":
            assert block.file, f"{where}: a YAML block must say which file it is (# suite.yaml)"
            yaml.safe_load(block.code)


class Reader:
    """Follows the tour in ``home``: the state a person's terminal keeps between blocks."""

    def __init__(self, home: Path) -> None:
        self.cwd = home
        self.state = home.parent / "reader-cwd"
        bin_dir = str(Path(sys.executable).parent)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLOOP_")}
        self.env.update(PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", COLUMNS="80")
        self.env.update(PYTHONUNBUFFERED="1", NO_COLOR="1")
        self.process_groups: list[int] = []  # what blocks left running in the background

    def close(self) -> None:
        for group in self.process_groups:
            _stop_group(group)

    def run(self, block: Block) -> None:
        if block.file and block.language != "bash":
            self._save(block)
        elif block.language == "bash":
            script = f"{block.code}\npwd > '{self.state}'\n"
            self._execute(["bash", "-e", "-o", "pipefail", "-c", script], block)
            self.cwd = Path(self.state.read_text().strip())
        else:
            self._execute([sys.executable, "-c", block.code], block)

    def _save(self, block: Block) -> None:
        assert block.file is not None
        if block.file == "driftloop.toml":
            target = self._workspace_file()
            with target.open("a", encoding="utf-8") as out:
                out.write("\n" + block.code)
            return
        target = self.cwd / block.file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.code, encoding="utf-8")

    def _workspace_file(self) -> Path:
        for folder in (self.cwd, *self.cwd.parents):
            if (folder / "driftloop.toml").exists():
                return folder / "driftloop.toml"
        raise AssertionError(f"no driftloop.toml in {self.cwd} or above for a TOML block")

    def _execute(self, command: list[str], block: Block) -> None:
        log = self.state.with_name(f"block-{block.line}.log")
        # Output to a file, not a pipe: a server the block left running in the background
        # would hold a pipe open; the block ends when its shell does, then the group stops.
        with log.open("w") as out:
            process = subprocess.Popen(
                command,
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,  # its own process group, stopped by close()
            )
            self.process_groups.append(process.pid)
            try:
                process.wait(timeout=BLOCK_SECONDS)
            except subprocess.TimeoutExpired:
                _stop_group(process.pid)
                process.kill()
                process.wait()
        output = log.read_text(errors="replace")
        killed = f" (killed: over {BLOCK_SECONDS} s)" if process.returncode == -9 else ""
        assert process.returncode == 0, (
            f"README.md:{block.line} ({block.language}) exited {process.returncode}{killed}:\n"
            f"{block.code}\n--- output ---\n{output[-6000:]}"
        )


def _stop_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_tour_runs_as_written_in_a_fresh_folder(tmp_path: Path) -> None:
    home = tmp_path / "reader"
    home.mkdir()
    reader = Reader(home)
    try:
        for block in tour_blocks(README.read_text(encoding="utf-8")):
            reader.run(block)
    finally:
        reader.close()
