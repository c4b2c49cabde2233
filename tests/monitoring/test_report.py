"""The monitoring report: drift statistics on one scale, legends clear of the lines, and why a
feature above its threshold is not flagged."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from driftloop.monitoring import MonitorSpec
from driftloop.monitoring._report import drift_ratios, line_figure, render_html

from .conftest import DAY0, World, flights

# Two features judged by different statistics: PSI (threshold 0.2) and KS (threshold 0.1).
LATEST = {
    "drift": [
        {
            "column": "distance",
            "method": "psi",
            "statistic": 0.3,
            "threshold": 0.2,
            "pvalue": 0.001,
            "drifted": True,
            "reason": "drifted: psi 0.3 is above 0.2 and the KS test is significant",
        },
        {
            "column": "origin",
            "method": "ks",
            "statistic": 0.05,
            "threshold": 0.1,
            "pvalue": 0.4,
            "drifted": False,
            "reason": "not flagged: ks 0.05 is within 0.1",
        },
    ]
}


def _window(day: int, distance: float, origin: float) -> dict[str, object]:
    return {
        "start": f"2026-06-0{day}T00:00:00+00:00",
        "end": f"2026-06-0{day + 1}T00:00:00+00:00",
        "model_version": 1,
        "route": "primary",
        "rows": 100,
        "labeled_rows": 0,
        "metrics": {
            "drift.distance": distance,
            "drift.origin": origin,
            "drift.share": 0.5,
            "drift.count": 1,
        },
    }


WINDOWS = [_window(1, 0.1, 0.02), _window(2, 0.3, 0.05)]


def test_each_feature_is_drawn_over_its_own_threshold() -> None:
    scaled = drift_ratios(WINDOWS, LATEST)
    assert [w["metrics"] for w in scaled] == [
        {"drift.distance": pytest.approx(0.5), "drift.origin": pytest.approx(0.2)},
        {"drift.distance": pytest.approx(1.5), "drift.origin": pytest.approx(0.5)},
    ]
    assert scaled[0]["start"] == WINDOWS[0]["start"]  # the windows, otherwise unchanged


def test_the_legend_sits_beside_the_plot_not_over_its_lines() -> None:
    scaled = drift_ratios(WINDOWS, LATEST)
    figure = line_figure(
        scaled, ["drift.distance", "drift.origin"], ["distance", "origin"], "ratio", 1.0
    )
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    [axes] = figure.axes
    plot = axes.get_window_extent(renderer)
    [legend] = figure.legends
    box = legend.get_window_extent(renderer)
    assert box.x0 >= plot.x1  # wholly to the right of the plotting area
    assert [t.get_text() for t in legend.get_texts()] == ["distance", "origin", "threshold"]
    assert [line.get_ydata()[0] for line in axes.get_lines()][-1] == 1.0  # the threshold line


def test_the_page_says_what_the_drift_chart_shows() -> None:
    report = {
        "endpoint": "flights",
        "generated_at": "2026-06-03T00:00:00+00:00",
        "monitors": [{"name": "flights", "windows": WINDOWS, "latest": LATEST, "alerts": []}],
    }
    page = render_html(report)
    assert "Drift per feature over time (statistic / threshold)" in page
    assert page.count("<svg") == 1  # drift; no accuracy or latency in these windows


def test_two_series_are_told_apart_by_line_style_and_each_name_is_listed_once() -> None:
    canary = [{**w, "model_version": 2, "route": "canary"} for w in WINDOWS]
    scaled = drift_ratios(WINDOWS + canary, LATEST)
    figure = line_figure(
        scaled, ["drift.distance", "drift.origin"], ["distance", "origin"], "ratio", 1.0, 1.0
    )
    [legend] = figure.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "distance",
        "origin",
        "v1 primary",
        "v2 canary",
        "threshold",
    ]
    [axes] = figure.axes
    styles = {(line.get_color(), line.get_linestyle()) for line in axes.get_lines()[:-1]}
    assert len(styles) == 4  # two colours (features) x two styles (series)
    assert axes.get_yscale() == "symlog" and axes.get_ylim()[0] == 0


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
