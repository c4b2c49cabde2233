"""State shared by the demo's steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from rich.console import Console

from driftloop._workspace import Workspace


@dataclass
class DemoContext:
    workspace: Workspace
    console: Console
    flights: pd.DataFrame = field(default_factory=pd.DataFrame)
    weather: pd.DataFrame = field(default_factory=pd.DataFrame)
    planes: pd.DataFrame = field(default_factory=pd.DataFrame)
    train: pd.DataFrame = field(default_factory=pd.DataFrame)  # January to April
    summer: pd.DataFrame = field(default_factory=pd.DataFrame)  # June to August
    run_ids: list[str] = field(default_factory=list)
    models: dict[str, Any] = field(default_factory=dict)  # run id -> fitted model
    best_run_id: str | None = None
    # role ("train", "evaluation") -> DatasetVersion; the runs record them as inputs
    dataset_versions: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)

    def say(self, text: str) -> None:
        self.console.print(text)
