"""The monitoring report's charts: drift statistics on one scale, legends clear of the lines."""

from __future__ import annotations

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from driftloop.monitoring._report import drift_ratios, line_figure, render_html

# Two features judged by different statistics: PSI (threshold 0.2) and KS (threshold 0.1).
LATEST = {
    "drift": [
        {
            "column": "distance",
            "method": "psi",
            "statistic": 0.3,
            "threshold": 0.2,
            "drifted": True,
        },
        {"column": "origin", "method": "ks", "statistic": 0.05, "threshold": 0.1, "drifted": False},
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
