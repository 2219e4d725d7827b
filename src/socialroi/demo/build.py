"""Assemble the demo company: every canonical table, its ground truth, and writing it to a store."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl

from socialroi import schema
from socialroi.core.channels import link_code_parts
from socialroi.demo import params
from socialroi.demo.activity import sample_posts
from socialroi.demo.company import make_roster
from socialroi.demo.costs import build_costs, hires, service_cases
from socialroi.demo.crm import contacts_frame, leads_and_deals, touchpoints
from socialroi.demo.metrics import account_daily, post_metrics, with_engagement
from socialroi.demo.origins import channel_origins, plant_stories, post_origins, sample_origins
from socialroi.demo.timeline import Timeline, make_timeline, policy_periods, rng_for, schedule
from socialroi.demo.truth import ground_truth, referral_stories
from socialroi.demo.web import build_sessions
from socialroi.store import Store


@dataclass(frozen=True)
class DemoCompany:
    """A generated company: canonical tables, the ground truth behind them, and their context."""

    tables: dict[str, pl.DataFrame]
    truth: dict[str, Any]
    company: str
    currency: str
    as_of: datetime
    seed: int

    def summary(self) -> dict[str, float]:
        """Headline counts: employees, posts, sessions, contacts, leads, won deals, revenue."""
        deals = self.tables["deals"].filter(pl.col("won").fill_null(False))
        return {
            "employees": self.tables["employees"].height,
            "posts": self.tables["posts"].height,
            "sessions": self.tables["sessions"].height,
            "contacts": self.tables["contacts"].height,
            "leads": self.tables["leads"].height,
            "won_deals": deals.height,
            "revenue": float(deals["amount"].sum()),
        }


def generate(
    *,
    seed: int = params.DEFAULT_SEED,
    months: int = params.DEFAULT_MONTHS,
    end: date | None = None,
    world: params.World | Mapping[str, Any] | None = None,
) -> DemoCompany:
    """The demo company for (`seed`, `months`, `end`, `world`): pure and deterministic, no clock,
    no files.

    `end` is the first day of the month after the last generated month (default
    params.DEFAULT_END); any day in that month stands for the month. `world` is the set of true
    rates (default: the demo's own world.toml): a params.World, or overrides of the default world
    by dotted path or knob name (``{"participation": 0.3, "lead_multiplier": 1.4}``, see
    params.World.override). Raises ValueError when `months` is outside
    params.MIN_MONTHS..MAX_MONTHS or an override names no parameter.
    """
    if world is None:
        chosen = params.DEFAULT_WORLD
    elif isinstance(world, params.World):
        chosen = world
    else:
        chosen = params.DEFAULT_WORLD.override(world)
    with params.using(chosen):
        return _generate(seed, months, end)


def _generate(seed: int, months: int, end: date | None) -> DemoCompany:
    tl = make_timeline(months, end or params.DEFAULT_END)
    sched = schedule(tl)
    roster = make_roster(rng_for(seed, "roster"), tl)

    posts = sample_posts(rng_for(seed, "posts"), roster, tl, sched)
    from_posts, clicks_day0 = post_origins(rng_for(seed, "clicks"), posts, tl)
    posts = with_engagement(rng_for(seed, "engagement"), posts).with_columns(
        pl.Series("clicks_day0", clicks_day0)
    )
    from_channels, spend = channel_origins(rng_for(seed, "channels"), tl)
    origins = sample_origins(rng_for(seed, "funnel"), [from_posts, from_channels], tl)
    origins = plant_stories(rng_for(seed, "stories"), origins, tl)

    contacts = contacts_frame(rng_for(seed, "contacts"), origins, roster, tl)
    sessions, visitors = build_sessions(rng_for(seed, "sessions"), origins, contacts, tl)
    contacts = contacts.join(visitors, on="key", how="left", maintain_order="left")
    contact_ids = contacts.select(pl.col("key").alias("contact_key"), "contact_id")
    sessions = sessions.join(contact_ids, on="contact_key", how="left", maintain_order="left")
    leads, deals = leads_and_deals(origins, contacts, tl)
    touches = touchpoints(rng_for(seed, "touches"), origins, contacts, posts, tl)

    won = deals.filter(pl.col("won").fill_null(False))
    clients = pl.concat(
        [
            contacts.filter(pl.col("funnel") == "legacy").select("contact_id", "created_at"),
            won.select("contact_id", pl.col("closed_at").alias("created_at")),
        ]
    ).select("contact_id", pl.col("created_at").dt.epoch("us").alias("since"))

    periods = policy_periods(tl, sched)
    tables = {
        "employees": roster.employees,
        "accounts": roster.accounts,
        "account_daily": account_daily(rng_for(seed, "accounts"), posts, roster, tl),
        "posts": schema.conform("posts", posts),
        "post_metrics": post_metrics(posts, tl),
        "sessions": schema.conform("sessions", sessions.sort("session_id")),
        "contacts": schema.conform("contacts", contacts),
        "touchpoints": touches,
        "leads": leads,
        "deals": deals,
        "costs": build_costs(posts, roster, tl, sched, spend),
        "service_cases": service_cases(rng_for(seed, "service"), clients, roster, tl, sched),
        "hires": hires(rng_for(seed, "hires"), roster, tl, sched),
        "policy_periods": periods,
    }
    rows = [
        {k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()}
        for r in periods.iter_rows(named=True)
    ]
    truth = ground_truth(roster, tl, sched, seed=seed, policy_rows=rows)
    truth["referral_stories"] = referral_stories(origins, contacts, tables["deals"])
    return DemoCompany(
        _reported(tables, tl), truth, params.COMPANY, params.CURRENCY, tl.as_of, seed
    )


def _reported(tables: dict[str, pl.DataFrame], tl: Timeline) -> dict[str, pl.DataFrame]:
    """Drop the warm-up's web, social and cost rows. The CRM keeps its history: every contact,
    and deals still open or closing in the period; leads count from the first day."""
    day0, at0 = tl.report_start, tl.report_start_at
    out = dict(tables)
    for name, col, start in (
        ("account_daily", "date", day0),
        ("costs", "month", day0),
        ("sessions", "started_at", at0),
        ("touchpoints", "ts", at0),
        ("leads", "created_at", at0),
        ("service_cases", "opened_at", at0),
        ("hires", "hired_at", at0),
    ):
        out[name] = tables[name].filter(pl.col(col) >= start)
    deals = tables["deals"]
    out["deals"] = deals.filter(
        (pl.col("created_at") >= at0) | pl.col("closed_at").is_null() | (pl.col("closed_at") >= at0)
    )
    # posts from the last days of the warm-up stay when a kept click or touch names them
    platform, post_id, _ = link_code_parts(pl.col("content"))
    named = pl.concat(
        [
            out["sessions"].select(platform.alias("platform"), post_id.alias("post_id")),
            out["touchpoints"].select("platform", "post_id"),
        ]
    ).drop_nulls()
    posts = tables["posts"]
    keep = posts.filter(pl.col("created_at") >= at0).select("platform", "post_id")
    keep = pl.concat([keep, named]).unique()
    out["posts"] = posts.join(keep, on=["platform", "post_id"], how="semi", maintain_order="left")
    out["post_metrics"] = tables["post_metrics"].join(
        keep, on=["platform", "post_id"], how="semi", maintain_order="left"
    )
    return out


def truth_json(company: DemoCompany) -> str:
    return json.dumps(company.truth, indent=1, ensure_ascii=False)


def write_demo(company: DemoCompany, store: Store) -> None:
    """Replace every canonical table in `store` with the demo's, in one transaction, and set the
    meta keys company, currency, demo_seed, as_of and ground_truth."""
    with store.transaction():
        for name in schema.TABLES:
            store.clear(name)
        store.upsert_many(company.tables, source="demo")
        store.set_meta("company", company.company)
        store.set_meta("currency", company.currency)
        store.set_meta("demo_seed", str(company.seed))
        store.set_meta("as_of", company.as_of.isoformat())
        store.set_meta("ground_truth", truth_json(company))
