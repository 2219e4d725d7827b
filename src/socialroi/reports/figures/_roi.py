"""Revenue against cost for each platform or employee, ROI in the hover text."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from socialroi.reports._format import money, number, plotly_text, roi_text
from socialroi.reports.figures._common import COST, PIPELINE, REVENUE, empty_figure, money_bars

TOP = 15


def make_roi_bars(
    roi: pl.DataFrame,
    *,
    key: str,
    currency: str,
    label: str | None = None,
    top: int = TOP,
    floor: float = 0.0,
) -> go.Figure:
    """Horizontal grouped bars of revenue, open pipeline and cost per `key` (at most `top` rows,
    the biggest by revenue + cost). `label` names a column to show instead of the key; ROI is
    shown in the hover text where the cost is at least `floor`."""
    if roi.height == 0:
        return empty_figure("No social revenue or cost yet.")
    rows = (
        roi.with_columns((pl.col("revenue") + pl.col("cost")).alias("_size"))
        .sort(["_size", key], descending=[True, False])
        .head(top)
        .reverse()
    )
    names = rows[label] if label else rows[key]
    shown = [
        plotly_text(n if n is not None else k)
        for n, k in zip(names.to_list(), rows[key].to_list(), strict=True)
    ]
    hover = [
        f"{s}<br>revenue {money(r['revenue'], currency)} · cost {money(r['cost'], currency)}"
        f"<br>ROI {roi_text(r['roi'], r['cost'], floor, currency)}"
        f" · leads {number(r['leads'])} · deals {number(r['deals'])}"
        f"<br>open pipeline {money(r['pipeline'], currency)}"
        for s, r in zip(shown, rows.iter_rows(named=True), strict=True)
    ]
    bars = (
        ("cost", "Cost", COST),
        ("pipeline", "Open pipeline", PIPELINE),
        ("revenue", "Revenue", REVENUE),
    )
    return money_bars(shown, rows, bars, hover=hover, currency_title=plotly_text(currency))
