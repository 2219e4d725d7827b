"""Text for people: money, ratios and counts, and text made safe for HTML and Plotly labels.

Plotly renders a subset of HTML in labels, hover text and annotations, so every string that comes
from data goes through `plotly_text` before it reaches a figure. Plotly decodes ``&amp;``,
``&lt;``, ``&gt;`` and numeric entities (not ``&quot;``), so quotes become numeric entities.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from socialroi.core.vocabulary import currency_symbol, money, short_money

#: ROI is shown only where the cost is at least this share of the period's social cost (rounded
#: up to 1, 2 or 5 × a power of ten): a small cost turns any revenue into thousands of percent.
MATERIAL_COST_SHARE = 0.02


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


def material_cost(total_cost: float) -> float:
    """The smallest cost at which a ratio to it is shown: MATERIAL_COST_SHARE of `total_cost`,
    rounded up to 1, 2 or 5 × a power of ten (0 when there is no cost)."""
    raw = MATERIAL_COST_SHARE * total_cost
    if not math.isfinite(raw) or raw <= 0:
        return 0.0
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw - 1e-9))


def roi_text(roi: float | None, cost: float | None, threshold: float, currency: str) -> str:
    """ROI as a whole percentage (``303%``) where the cost is material; ``n/a — cost under $X``
    where it is not; an en dash without a cost."""
    if cost is None or not math.isfinite(cost) or cost <= 0 or roi is None:
        return "–"
    if cost < threshold:
        return f"n/a — cost under {money(threshold, currency)}"
    if not math.isfinite(roi):
        return "–"
    return f"{roi * 100:,.0f}%".replace("-", "−")


def per_cost_text(revenue: float, cost: float | None, threshold: float, currency: str) -> str:
    """Revenue per 1 unit of cost (``$4.03``), under the same materiality rule as `roi_text`."""
    if cost is None or not math.isfinite(cost) or cost <= 0:
        return "–"
    if cost < threshold:
        return "n/a"
    return money(revenue / cost, currency, decimals=2)


@dataclass(frozen=True)
class Col:
    """A table column: its heading (plain text) and kind ('' text, 'num', 'date', 'text' for
    long text, 'wide' for a cell that needs the whole card width on a phone)."""

    label: str
    kind: str = ""
    title: str = ""


def _cls(kind: str) -> str:
    return f' class="{kind}"' if kind else ""


#: A printed table shows at most this many rows (the HTML file shows them all).
PRINT_ROWS = 10


def table(
    cols: Sequence[Col],
    rows: Iterable[Sequence[str]],
    *,
    cls: str = "",
    print_rows: int = PRINT_ROWS,
) -> str:
    """A table (`rows`: HTML cells) that on a narrow screen shows each row as a card, every cell
    labelled by its column (CSS `table.reflow`; the report's script copies the headings into the
    cells' data-label once, to keep the file small); wider screens scroll it inside its box.
    On paper only the first `print_rows` rows are printed, with a line saying so.
    """
    head = "".join(
        f"<th{_cls(c.kind)}"
        + (f' title="{html_text(c.title)}"' if c.title else "")
        + f">{html_text(c.label)}</th>"
        for c in cols
    )
    body = []
    for i, row in enumerate(rows):
        cells = "".join(f"<td{_cls(c.kind)}>{cell}</td>" for c, cell in zip(cols, row, strict=True))
        body.append(
            f'<tr class="screen-only">{cells}</tr>' if i >= print_rows else f"<tr>{cells}</tr>"
        )
    cut = (
        f'<p class="note print-only">The first {print_rows} of {len(body)} rows; the HTML '
        "file shows them all.</p>"
        if len(body) > print_rows
        else ""
    )
    return (
        f'<div class="scroll"><table class="{("reflow " + cls).strip()}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>{cut}"
    )


__all__ = [
    "MATERIAL_COST_SHARE",
    "PRINT_ROWS",
    "Col",
    "currency_symbol",
    "html_text",
    "material_cost",
    "money",
    "number",
    "per_cost_text",
    "plotly_text",
    "ratio",
    "roi_text",
    "short_money",
    "table",
]
