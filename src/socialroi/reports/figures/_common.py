"""Look and behaviour shared by every figure: a small template, and the config that keeps the
mode bar from linking or fetching anything."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
COLORS = ("#2563eb", "#f97316", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04", "#64748b")
REVENUE, COST, PIPELINE = "#2563eb", "#f97316", "#93c5fd"

#: Passed to every figure: no logo link, no cloud buttons, nothing loaded from anywhere.
CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "showLink": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": FONT, "size": 13, "color": "#1f2937"},
        "colorway": list(COLORS),
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
        "hoverlabel": {"align": "left", "font": {"family": FONT}},
        "legend": {"orientation": "h", "y": -0.18, "x": 0},
        "xaxis": {"gridcolor": "#e5e7eb", "zerolinecolor": "#d1d5db", "automargin": True},
        "yaxis": {"gridcolor": "#e5e7eb", "zerolinecolor": "#d1d5db", "automargin": True},
    }
)


def base_layout(fig: go.Figure, *, title: str = "", height: int = 380) -> go.Figure:
    """Apply the shared template, a (trusted) title and a height."""
    fig.update_layout(template=TEMPLATE, height=height, title={"text": title, "x": 0})
    return fig


def empty_figure(message: str, *, height: int = 220) -> go.Figure:
    """A blank figure that says why it is blank (`message` is trusted text)."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return base_layout(fig, height=height)


def money_bars(
    names: list[str],
    rows: Any,
    bars: tuple[tuple[str, str, str], ...],
    *,
    hover: list[str],
    currency_title: str,
) -> go.Figure:
    """Grouped horizontal bars, one series per (column, name, colour) of `rows`, one row per
    name; each bar's hover shows the row's text and the series name; height grows with rows."""
    fig = go.Figure()
    for col, name, color in bars:
        fig.add_bar(
            y=names,
            x=rows[col].to_list(),
            name=name,
            orientation="h",
            marker_color=color,
            hovertext=hover,
            hovertemplate="%{hovertext}<extra>" + name + "</extra>",
        )
    fig.update_layout(barmode="group", legend={"traceorder": "reversed"})
    fig.update_xaxes(title_text=currency_title, tickformat="~s")
    return base_layout(fig, height=max(260, 48 * len(names) + 120))
