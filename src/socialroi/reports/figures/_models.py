"""The rule models side by side: credited won-deal value per channel (rows) and model (columns)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from socialroi.reports._format import money, number, plotly_text
from socialroi.reports._words import channel_words, model_label
from socialroi.reports.figures._common import base_layout, empty_figure


def make_models_heatmap(
    models: pl.DataFrame, *, currency: str, highlight: str | None = None
) -> go.Figure:
    """Heatmap of ``deal_value`` by channel × model from a frame with model, channel, leads,
    deals, deal_value. Channels are ordered by their total value; `highlight` marks a model."""
    if models.height == 0:
        return empty_figure("No conversions to attribute yet.")
    model_order = list(dict.fromkeys(models["model"].to_list()))
    channel_order = (
        models.group_by("channel")
        .agg(pl.col("deal_value").sum(), pl.col("leads").sum())
        .sort(["deal_value", "leads", "channel"], descending=[True, True, False])["channel"]
        .to_list()
    )
    grid = _grid(models, channel_order, "deal_value")
    leads = _grid(models, channel_order, "leads")
    z = [grid[m].to_list() for m in model_order]
    z_rows = [list(r) for r in zip(*z, strict=True)]
    lead_rows = [list(r) for r in zip(*[leads[m].to_list() for m in model_order], strict=True)]
    text = [[money(v, currency) for v in row] for row in z_rows]
    custom = [[number(v) for v in row] for row in lead_rows]
    x_labels = [
        f"<b>{plotly_text(model_label(m))}</b>" if m == highlight else plotly_text(model_label(m))
        for m in model_order
    ]
    y_labels = [plotly_text(channel_words(c)) for c in channel_order]
    fig = go.Figure(
        go.Heatmap(
            z=z_rows,
            x=x_labels,
            y=y_labels,
            text=text,
            customdata=custom,
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
            hovertemplate=(
                "%{y} under %{x}<br>won-deal value %{text}<br>leads %{customdata}<extra></extra>"
            ),
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top", tickangle=-30)
    height = max(260, 60 + 34 * len(channel_order))
    return base_layout(fig, height=height)


def _grid(models: pl.DataFrame, channel_order: list[str], values: str) -> pl.DataFrame:
    """Channels (in `channel_order`) × models of one measure; a channel a model misses reads 0."""
    return (
        pl.DataFrame({"channel": channel_order})
        .join(
            models.pivot(on="model", index="channel", values=values),
            on="channel",
            how="left",
            maintain_order="left",
        )
        .fill_null(0.0)
    )
