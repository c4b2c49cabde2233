"""The monitoring report says why a feature above its threshold is not flagged."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from driftloop.monitoring import MonitorSpec
from driftloop.monitoring._report import render_html

from .conftest import DAY0, World, flights


def test_a_window_too_small_for_the_test_says_why_nothing_drifted(world: World) -> None:
    # Ten unshifted rows: PSI over the reference's deciles is noisy at that size (far
    # above 0.2) while the KS test cannot call it significant (p = 0.72 for this draw).
    world.write(world.predict_records(flights(10, np.random.default_rng(2)), 0, batch=5))
    service = world.ws.monitoring
    service.define("small", MonitorSpec("flights", window="1d"))
    [window] = service.run_due(DAY0 + timedelta(days=1))
    distance = next(d for d in window.summary["drift"] if d["column"] == "distance")
    assert distance["statistic"] > 2 * distance["threshold"] and not distance["drifted"]
    assert distance["rows"] == [3000, 10] and distance["alpha"] == 0.05

    report = service.report("flights")
    page = render_html(report)
    headline = page.split("<h3>")[0]
    assert "drifted features</b><br>none; above the threshold but not flagged: distance" in headline
    assert "their test is not significant with this window&#x27;s rows" in headline
    assert (
        f"not flagged: psi {distance['statistic']:.3g} is above 0.2, but the KS test is not "
        "significant at alpha 0.05"
    ) in page
    assert "with 3,000 reference and 10 current values: too few to tell this shift from noise" in (
        page
    )

    # A window stored before reasons were: the reason is rebuilt from its fields.
    for d in report["monitors"][0]["latest"]["drift"]:
        del d["reason"], d["rows"], d["alpha"]
    assert "is above 0.2, but the KS test is not significant at alpha 0.05" in render_html(report)
