"""Text for people: money, ratios and counts, and text made safe for HTML and Plotly labels.

Plotly renders a subset of HTML in labels, hover text and annotations, so every string that comes
from data goes through `plotly_text` before it reaches a figure. Plotly decodes ``&amp;``,
``&lt;``, ``&gt;`` and numeric entities (not ``&quot;``), so quotes become numeric entities.
"""

from __future__ import annotations

import html
import math

from socialroi.core.vocabulary import currency_symbol, money, short_money


def html_text(value: object) -> str:
    """Data text escaped for HTML (quotes too); empty for None."""
    return "" if value is None else html.escape(str(value), quote=True)


def plotly_text(value: object) -> str:
    """`value` as text Plotly shows literally: ``&``, ``<``, ``>`` and quotes escaped."""
    text = "" if value is None else str(value)
    return html.escape(text, quote=False).replace('"', "&#34;").replace("'", "&#39;")


def ratio(value: float | None) -> str:
    """ROI as a percentage: ``185.7%``; an en dash when there is no cost to divide by."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value * 100:,.1f}%".replace("-", "−")


def number(value: float | None, *, decimals: int = 1) -> str:
    """A count that may be fractional (credited leads and deals): ``2.5``, ``3``."""
    if value is None or not math.isfinite(value):
        return "–"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{decimals}f}"


__all__ = [
    "currency_symbol",
    "html_text",
    "money",
    "number",
    "plotly_text",
    "ratio",
    "short_money",
]
