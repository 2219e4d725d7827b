"""Meta Ads Manager campaign export (``<Account>-Campaigns-<Mon-D-YYYY>-<Mon-D-YYYY>.csv``).

UTF-8 with a byte-order mark; ``Reporting starts, Reporting ends, Campaign name, …, Amount spent
(EUR)``: the currency code is inside the spend header. One row per campaign over the report range,
or per campaign and day with a ``Day`` column; the first row is often the account total (no
campaign name), which is skipped. Headers come in the admin's language (``Ausgegebener Betrag
(EUR)``, ``Montant dépensé (EUR)``, ``Importe gastado (EUR)``, ``Valor usado (BRL)``…).

Fills ``costs``: category ``ad_spend`` per month and platform. The platform is ``instagram`` or
``facebook`` as a ``Platform`` breakdown column says (Messenger, Audience Network and any other
Meta placement count as facebook); without that column all spend is facebook. A row over two
months is split by days.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import polars as pl

from socialroi.adapters._raw import ROW, Book, RawTable
from socialroi.adapters.formats import Loaded, ReadOptions
from socialroi.adapters.formats import _ad_costs as ad
from socialroi.adapters.formats._common import has_headers, pick, text, values
from socialroi.core.vocabulary import platform_of
from socialroi.errors import DataError

#: ``<spend> (<CUR>)`` in the export's languages.
SPEND_RE = re.compile(
    r"^(amount spent|ausgegebener betrag|montant d[ée]pens[ée]|importe gastado|valor usado"
    r"|valor gasto|importo speso)\s*\(\s*([a-z]{3})\s*\)$",
    re.IGNORECASE,
)
STARTS = (
    "Reporting starts",
    "Berichtsbeginn",
    "Berichtsstart",
    "Début des rapports",
    "Inicio del informe",
    "Início dos relatórios",
)
ENDS = (
    "Reporting ends",
    "Berichtsende",
    "Fin des rapports",
    "Fin del informe",
    "Encerramento dos relatórios",
)
DAYS = ("Day", "Tag", "Jour", "Día", "Dia")
CAMPAIGNS = (
    "Campaign name",
    "Kampagnenname",
    "Nom de la campagne",
    "Nombre de la campaña",
    "Nome da campanha",
)
AD_SETS = (
    "Ad set name",
    "Name der Anzeigengruppe",
    "Anzeigengruppenname",
    "Nom de l'ensemble de publicités",
    "Nombre del conjunto de anuncios",
    "Nome do conjunto de anúncios",
)
ADS = ("Ad name", "Anzeigenname", "Nom de la publicité", "Nombre del anuncio", "Nome do anúncio")
PLATFORMS = ("Platform", "Publisher platform", "Plattform", "Plateforme", "Plataforma")
#: The platforms a Meta placement counts for (others, such as Messenger, count as facebook).
META_PLATFORMS = ("facebook", "instagram")
DEFAULT_PLATFORM = "facebook"


def _spend_header(cells: Sequence[str]) -> tuple[str, str] | None:
    """The spend header and its currency code, when `cells` hold one."""
    for c in cells:
        m = SPEND_RE.match(c.strip())
        if m:
            return c.strip(), m.group(2).upper()
    return None


def _is_header(cells: Sequence[str]) -> bool:
    return _spend_header(cells) is not None


def _dates(raw: RawTable, header: str | None, options: ReadOptions) -> pl.Series:
    return values(raw, header, "date", dates=options.dates).cast(pl.Date)


class MetaAds:
    """Ads Manager campaign report → monthly facebook/instagram ad spend."""

    name = "meta-ads"
    title = "Meta Ads Manager campaign export (monthly ad spend, Facebook and Instagram)"
    fills: tuple[str, ...] = ("costs",)

    def score(self, book: Book) -> int:
        rows = book.peek()
        for row in rows:
            if _spend_header(row) is None:
                continue
            anchors = STARTS + ENDS + DAYS + CAMPAIGNS + AD_SETS + ADS
            return 4 if has_headers([row], anchors, at_least=1) else 2
        return 0

    def read(self, book: Book, options: ReadOptions) -> Loaded:
        raw = book.table(options.sheet, header=_is_header)
        found = _spend_header(raw.header)
        if found is None:  # pragma: no cover - the header rule guarantees one
            raise DataError("no 'Amount spent (CUR)' column", file=raw.file, row=raw.header_row)
        spend, currency = found
        ad.check_currency(
            currency, options.currency, file=raw.file, row=raw.header_row, column=spend
        )
        notes = list(raw.notes)
        warnings: list[str] = []
        day, start, end = pick(raw, *DAYS), pick(raw, *STARTS), pick(raw, *ENDS)
        raw, skipped = _without_total(raw)
        notes += skipped
        first, last, date_header = _spans(raw, day, start, end, options)
        amount = values(raw, spend, "number").fill_null(0.0)
        platform = pick(raw, *PLATFORMS)
        plat, said = _platforms(raw, platform, amount, currency)
        notes += said

        rows = pl.DataFrame(
            {
                ad.START: first,
                ad.END: last,
                ad.AMOUNT: amount,
                ad.PLATFORM: plat,
                ROW: raw.frame.get_column(ROW),
            }
        )
        costs, split = ad.monthly(rows, file=raw.file, column=date_header)
        notes += ad.split_note(split)
        if rows.height and start is not None and end is not None:
            covered_from: date = _dates(raw, start, options).min()  # type: ignore[assignment]
            covered_to: date = _dates(raw, end, options).max()  # type: ignore[assignment]
            warnings += ad.coverage_warnings(covered_from, covered_to)
        mapping = {spend: "costs.amount", date_header: "costs.month"}
        if end is not None and day is None:
            mapping[end] = "costs.month"
        if platform is not None:
            mapping[platform] = "costs.platform"
        return Loaded(
            format=self.name,
            tables={"costs": costs},
            mapping=mapping,
            ignored=[h for h in raw.header if h not in mapping],
            notes=[f"Meta Ads Manager report in {currency}", *notes],
            warnings=warnings,
        )


def _without_total(raw: RawTable) -> tuple[RawTable, list[str]]:
    """`raw` without the account total: rows with no name in a file whose other rows have one."""
    names = [h for h in (pick(raw, *CAMPAIGNS), pick(raw, *AD_SETS), pick(raw, *ADS)) if h]
    if not names:
        return raw, []
    named = pl.any_horizontal([text(raw, h).is_not_null() for h in names])
    nameless = raw.frame.select(~named).to_series()
    if not nameless.any() or nameless.all():
        return raw, []
    n = int(nameless.sum())
    note = (
        f"{n} total row{'s' if n > 1 else ''} without a campaign name skipped "
        "(the account total Meta puts first)"
    )
    return replace(raw, frame=raw.frame.filter(~nameless)), [note]


def _spans(
    raw: RawTable, day: str | None, start: str | None, end: str | None, options: ReadOptions
) -> tuple[pl.Series, pl.Series, str]:
    """First and last day of each row's spend, and the header naming them."""
    if day is not None:
        first = last = _dates(raw, day, options)
        header = day
    elif start is not None or end is not None:
        header = start or end or ""
        first = _dates(raw, header, options)
        last = _dates(raw, end or header, options)
    else:
        raise DataError(
            "the report has no 'Day' or 'Reporting starts' column, so the month of the "
            "spend is unknown; export it with the reporting dates",
            file=raw.file,
            row=raw.header_row,
        )
    for series, column in ((first, header), (last, end or header)):
        if series.is_null().any():
            i = int(series.is_null().arg_true()[0])
            raise DataError(
                "the reporting date is empty",
                file=raw.file,
                row=int(raw.frame.get_column(ROW)[i]),
                column=column,
            )
    return first, last, header


def _platforms(
    raw: RawTable, platform: str | None, amount: pl.Series, currency: str
) -> tuple[pl.Series, list[str]]:
    """Each row's platform (facebook or instagram) and what was assumed, for the notes."""
    if platform is None:
        plat = pl.Series([DEFAULT_PLATFORM] * raw.frame.height, dtype=pl.String)
        return plat, ["no 'Platform' breakdown: all spend counted as facebook"]
    given = text(raw, platform).str.to_lowercase().str.strip_chars()
    known = pl.Series([platform_of(v) for v in given.to_list()], dtype=pl.String)
    social = known.is_in(list(META_PLATFORMS)).fill_null(False)
    plat = pl.select(pl.when(social).then(known).otherwise(pl.lit(DEFAULT_PLATFORM))).to_series()
    other = pl.DataFrame({"p": given, "a": amount}).filter(~social & (pl.col("a") > 0))
    if other.height == 0:
        return plat, []
    kinds = ", ".join(sorted({str(p) for p in other.get_column("p").to_list()}))
    note = (
        f"spend on other Meta placements ({kinds}) counted as facebook: "
        f"{other.get_column('a').sum():,.2f} {currency}"
    )
    return plat, [note]


FORMATS = (MetaAds(),)
