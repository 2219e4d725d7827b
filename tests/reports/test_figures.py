"""Figures are plain go.Figure objects built from frames, with data text escaped for Plotly."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from socialroi.core.kpis import compute
from socialroi.reports import build_figures
from socialroi.reports._format import money, number, plotly_text, ratio
from tests.reports.fixture import AS_OF, tables


def test_plotly_text_escapes_markup():
    assert plotly_text("<b>A & B</b>") == "&lt;b&gt;A &amp; B&lt;/b&gt;"
    assert plotly_text("\" x '") == "&#34; x &#39;"
    assert plotly_text(None) == ""


def test_formats():
    assert money(1234.4, "USD") == "$1,234"
    assert money(-5, "EUR") == "−€5"
    assert money(10, "CHF") == "CHF 10"
    assert money(None, "USD") == "–"
    assert ratio(1.857142) == "185.7%"
    assert ratio(-1.0) == "−100.0%"
    assert ratio(None) == "–"
    assert number(2.5) == "2.5"
    assert number(3.0) == "3"


@pytest.fixture(scope="module")
def figures():
    a = compute(
        tables(employee="<i>Ana</i>", campaign="<b>x</b>", handle="<u>@ana</u>"),
        as_of=AS_OF,
        compare=None,
    )
    return build_figures(a)


def test_every_figure_is_a_figure(figures):
    assert set(figures) == {
        "models",
        "platforms",
        "employees",
        "campaigns",
        "funnel",
        "trend",
        "influence",
        "givers",
        "quality",
    }
    assert all(isinstance(f, go.Figure) for f in figures.values())


def test_labels_are_escaped(figures):
    employees = figures["employees"].to_plotly_json()
    assert "&lt;i&gt;Ana&lt;/i&gt;" in employees["data"][0]["y"]
    assert "<i>Ana</i>" not in str(employees)
    influence = figures["influence"].to_plotly_json()
    labels = [y for trace in influence["data"] for y in trace["y"]]
    assert "&lt;i&gt;Ana&lt;/i&gt;" in labels
    assert "<i>Ana</i>" not in str(influence)
    givers = figures["givers"].to_plotly_json()
    assert any("&lt;u&gt;@ana&lt;/u&gt;" in h for h in givers["data"][0]["hovertext"])
    assert "<u>" not in str(givers)


def test_models_heatmap_has_the_data_driven_models_in_plain_words(figures):
    labels = set(figures["models"].data[0].x)
    assert {"Learned from journeys (removal)", "Learned from journeys (fair shares)"} <= labels
    assert not [x for x in labels if "_" in x]  # no code names such as j_shaped
    assert not [y for y in figures["models"].data[0].y if "_" in y]  # channels in words


def test_policy_changes_are_lines_and_legend_entries_not_text_on_the_axis(figures):
    trend = figures["trend"]
    assert len(trend.layout.shapes) == 2
    assert not trend.layout.annotations  # text on a date axis stretched it to 2035 on a phone
    legend = [t.name for t in trend.data if t.x == (None,)]
    assert legend == ["Jan 2025: Acceptable use", "Mar 2025: Employee advocacy"]
    # the data's months (Jan to Mar 2025), half a month either side
    assert trend.layout.xaxis.range == ("2024-12-16", "2025-03-17")


def test_empty_analysis_still_draws():
    figs = build_figures(compute({}, as_of=AS_OF, compare=()))
    assert all(isinstance(f, go.Figure) for f in figs.values())
