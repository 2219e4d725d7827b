"""Text for people: money, ratios and counts, and text made safe for HTML and Plotly labels.

Plotly renders a subset of HTML in labels, hover text and annotations, so every string that comes
from data goes through `plotly_text` before it reaches a figure. Plotly decodes ``&amp;``,
``&lt;``, ``&gt;`` and numeric entities (not ``&quot;``), so quotes become numeric entities.
"""

from __future__ import annotations

import html
import math

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


def html_text(value: object) -> str:
    """Data text escaped for HTML (quotes too); empty for None."""
    return "" if value is None else html.escape(str(value), quote=True)


def plotly_text(value: object) -> str:
    """`value` as text Plotly shows literally: ``&``, ``<``, ``>`` and quotes escaped."""
    text = "" if value is None else str(value)
    return html.escape(text, quote=False).replace('"', "&#34;").replace("'", "&#39;")


def currency_symbol(currency: str) -> str | None:
    """The symbol shown for `currency` (``$`` for USD), or None to show the code itself."""
    return _SYMBOLS.get(currency.upper())


def money(value: float | None, currency: str, *, decimals: int = 0) -> str:
    """``$12,345`` for known currencies, ``CHF 12,345`` otherwise; an en dash for no value."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    sign = "−" if value < 0 else ""
    amount = f"{abs(value):,.{decimals}f}"
    symbol = currency_symbol(currency)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{currency} {amount}"


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
