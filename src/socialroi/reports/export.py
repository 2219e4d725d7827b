"""The KPI tables as files: CSV or Parquet, one file per table, or one XLSX workbook.

CSV is opened in spreadsheets, which run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula; `neutralise` prefixes such text cells with a single quote (tab and carriage return too,
as OWASP advises). XLSX gets one formatted sheet per table, text neutralised the same way and
stored as text (see `socialroi.reports._xlsx`). Parquet keeps typed values and needs no such
care. Each file is written to a temporary name and renamed, so a failed export never leaves a
half-written file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import polars as pl

from socialroi.core.kpis import Analysis

ExportFormat = Literal["csv", "parquet", "xlsx"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "parquet", "xlsx")
#: The workbook `write_exports` writes for ``xlsx``.
XLSX_NAME = "socialroi-export.xlsx"
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: File stem → what it holds.
TABLES: dict[str, str] = {
    "summary": "headline numbers under the report's model",
    "attribution": "credited leads, deals and won-deal value per channel under each model",
    "roi_platform": "ROI by platform",
    "roi_employee": "ROI by employee",
    "monthly": "leads, deals, revenue and cost by month",
    "posts": "every post: latest impressions and clicks, credited leads, deals and revenue",
    "campaigns": "credited leads, deals, revenue and pipeline by campaign, with posts",
    "funnel": "from impressions to won deals and their revenue, whole counts",
    "deals_traced": "won deals with a social touch, with their path of touches",
    "referral_chains": "per original contact: deals down its referral chain and network revenue",
    "referral_employees": "the referral chains totalled by the employee behind each",
    "referral_credits": "per won deal and contact up its referral chain: hop and decayed value",
    "influence": "contacts and staff with their ties, PageRank, betweenness, converting reached",
    "givers": "per account: posts by kind, giver share, engagement and credited leads",
    "giver_summary": "giver share against engagement and leads per post: Spearman ρ and n",
}


def neutralise(df: pl.DataFrame) -> pl.DataFrame:
    """Text cells starting with = + - @ (or tab / CR) get a leading ``'`` so no spreadsheet runs
    them as formulas. Other columns are unchanged."""

    def risky(c: str) -> pl.Expr:
        return pl.any_horizontal(pl.col(c).str.starts_with(s) for s in FORMULA_STARTS)

    return df.with_columns(
        pl.when(risky(c)).then(pl.concat_str(pl.lit("'"), pl.col(c))).otherwise(pl.col(c)).alias(c)
        for c, dtype in df.schema.items()
        if dtype == pl.String
    )


def export_tables(a: Analysis) -> dict[str, pl.DataFrame]:
    """The tables `write_exports` writes, by file stem (see TABLES)."""
    summary = pl.DataFrame(
        [
            {
                "as_of": a.as_of,
                "company": a.company,
                "currency": a.currency,
                "lookback_days": a.lookback_days,
                **dataclasses.asdict(a.summary),
            }
        ],
        schema_overrides={
            "roi": pl.Float64,
            "cost_per_lead": pl.Float64,
            "cost_per_deal": pl.Float64,
        },
    )
    traced = a.traced.drop("path").rename({"path_text": "path"})
    net = a.network
    chains = net.chains.with_columns(pl.col("deal_ids").list.join(", "))
    return {
        "summary": summary,
        "attribution": a.models,
        "roi_platform": a.roi_platform,
        "roi_employee": a.roi_employee,
        "monthly": a.monthly,
        "posts": a.posts,
        "campaigns": a.campaigns,
        "funnel": a.funnel,
        "deals_traced": traced,
        "referral_chains": chains,
        "referral_employees": net.chain_employees,
        "referral_credits": net.referral_credits,
        "influence": net.influence,
        "givers": net.givers,
        "giver_summary": net.giver_summary,
    }


def _atomic(out: Path, write: Callable[[Path], None]) -> None:
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        tmp.chmod(0o644)
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_exports(a: Analysis, out_dir: Path, fmt: ExportFormat = "csv") -> list[Path]:
    """Write every table of `export_tables` to `out_dir` as ``<name>.<fmt>`` (for ``xlsx``: one
    workbook, XLSX_NAME, with a sheet per table); returns the paths."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        from socialroi.reports._xlsx import write_xlsx

        book = out_dir / XLSX_NAME
        tables = export_tables(a)
        _atomic(book, lambda tmp: write_xlsx(tables, tmp, currency=a.currency))
        return [book]
    written = []
    for name, df in export_tables(a).items():
        out = out_dir / f"{name}.{fmt}"
        if fmt == "csv":
            _atomic(out, neutralise(df).write_csv)
        else:
            _atomic(out, df.write_parquet)
        written.append(out)
    return written
