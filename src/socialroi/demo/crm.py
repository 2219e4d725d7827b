"""The CRM side: contacts, leads, deals, and the touches that never went through the website.

Contacts are the origins that identified (plus the legacy clients who were there before the period
and refer new business). Direct touchpoints: the conversation that started a social contact
(reply, mention or DM on an employee's or the brand's post), event attendance, the referral itself
(ref = the referring contact), sales e-mails between contact and lead, and later engagements with
LinkedIn posts by contacts whose handle the CRM knows.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from socialroi.demo import names, params
from socialroi.demo.company import Roster
from socialroi.demo.funnel import business_tod
from socialroi.demo.origins import event_days
from socialroi.demo.timeline import Timeline
from socialroi.schema import conform

SUFFIXES: tuple[str, ...] = (
    "Consulting",
    "Partners",
    "& Co.",
    "Group",
    "LLC",
    "Dental",
    "Logistics",
    "Law",
    "Studio",
    "Clinic",
)
HOUR = 3600.0


def _ids(prefix: str, n: int, width: int) -> pl.Expr:
    return pl.format(prefix + "{}", pl.int_range(1, n + 1).cast(pl.String).str.zfill(width))


def contacts_frame(
    rng: np.random.Generator, origins: pl.DataFrame, roster: Roster, tl: Timeline
) -> pl.DataFrame:
    """Every contact (legacy clients first by key) with its canonical columns and internal ones:
    key, day (created), has_web, conversation platform."""
    found = origins.filter(pl.col("contact")).select(
        "key",
        pl.col("contact_day").alias("day"),
        pl.col("contact_tod").alias("tod"),
        pl.col("funnel"),
        "platform",
        "employee_id",
        "referrer",
        pl.col("funnel")
        .replace_strict({k: f.web for k, f in params.FUNNELS.items()})
        .alias("has_web"),
    )
    legacy = pl.DataFrame(
        {
            "key": np.arange(params.LEGACY_CLIENTS),
            "day": -rng.integers(200, 3000, params.LEGACY_CLIENTS),
            "tod": business_tod(rng, params.LEGACY_CLIENTS),
            "funnel": "legacy",
            "has_web": False,
        }
    )
    df = pl.concat([legacy, found], how="diagonal_relaxed")
    n = df.height
    day = df["day"].to_numpy()
    df = df.with_columns(tl.timestamps(day, df["tod"].to_numpy()).alias("created_at")).sort(
        "created_at", "key"
    )
    df = df.with_columns(_ids("c", n, 6).alias("contact_id"))
    people = names.person_names(rng, n)
    from_pool = rng.random(n) < 0.45
    made_up = names.pick(rng, names.LAST, n) + " " + names.pick(rng, SUFFIXES, n)
    company = pl.Series(
        "company", np.where(from_pool, names.pick(rng, names.COMPANIES, n), made_up)
    )
    local = _slugs(people["first"]) + "." + _slugs(people["last"])
    df = df.with_columns(
        people["name"],
        company,
        (local + "@" + names.company_domains(company)).alias("email"),
        pl.Series("owner_employee_id", _owners(rng, df, roster).tolist(), dtype=pl.String),
    ).with_columns(
        pl.when(pl.int_range(pl.len()).over("email") > 0)
        .then(
            pl.col("email").str.replace("@", pl.format("{}@", pl.int_range(pl.len()).over("email")))
        )
        .otherwise("email")
        .alias("email")
    )
    slug = _slugs(people["name"])
    seq = pl.Series(np.arange(n)).cast(pl.String)
    conv = pl.col("funnel") == "conversation"
    on = {p: conv & (pl.col("platform") == p) for p in params.PLATFORMS}
    li = on["linkedin"] | pl.Series(rng.random(n) < 0.35)
    x = on["x"] | pl.Series(rng.random(n) < 0.10)
    ref = df.select("key", "contact_id").rename({"key": "referrer", "contact_id": "referred_by"})
    return df.with_columns(
        pl.when(li).then(pl.format("{}-{}", slug, seq)).alias("handle_linkedin"),
        pl.when(x)
        .then(pl.format("@{}{}", slug.str.replace_all("-", "").str.slice(0, 10), seq))
        .alias("handle_x"),
        pl.when(on["facebook"])
        .then(pl.format("{}.{}", slug.str.replace_all("-", "."), seq))
        .alias("handle_facebook"),
        pl.when(on["instagram"])
        .then(pl.format("@{}_{}", slug.str.replace_all("-", "_"), seq))
        .alias("handle_instagram"),
    ).join(ref, on="referrer", how="left", maintain_order="left")


def _slugs(s: pl.Series) -> pl.Series:
    uniq = sorted(set(s.to_list()))
    return s.replace_strict(dict(zip(uniq, [names.slug(u) for u in uniq], strict=True)))


def _owners(rng: np.random.Generator, df: pl.DataFrame, roster: Roster) -> np.ndarray:
    """The post's employee for conversations (the brand manager for brand posts), else a sales rep
    employed at the time, else the head of sales."""
    sales = np.flatnonzero(roster.team == params.TEAMS.index("Sales"))
    pick = sales[rng.integers(0, len(sales), df.height)]
    day = df["day"].to_numpy()
    employed = (roster.start_day[pick] <= day) & (day < roster.stop_day[pick])
    rep = np.where(employed, pick, roster.head_of_sales)
    owner = roster.ids[rep]
    conv = (df["funnel"] == "conversation").to_numpy()
    poster = df["employee_id"].fill_null(str(roster.ids[roster.brand_manager])).to_numpy()
    return np.where(conv, poster, owner)


def leads_and_deals(
    origins: pl.DataFrame, contacts: pl.DataFrame, tl: Timeline
) -> tuple[pl.DataFrame, pl.DataFrame]:
    ids = contacts.select("key", "contact_id", "company")
    lead = origins.filter(pl.col("lead")).join(ids, on="key", maintain_order="left")
    source = pl.col("funnel").replace_strict({k: f.lead_source for k, f in params.FUNNELS.items()})
    leads = (
        lead.with_columns(
            tl.timestamps(lead["lead_day"].to_numpy(), lead["lead_tod"].to_numpy()).alias(
                "created_at"
            ),
            source.alias("source"),
        )
        .sort("created_at", "key")
        .with_columns(_ids("L", lead.height, 6).alias("lead_id"))
    )
    deal = lead.filter(pl.col("deal"))
    age = tl.n_days - deal["deal_day"].to_numpy()
    open_stage = np.where(age < 20, "qualified", np.where(age < 60, "proposal", "negotiation"))
    closed, won = pl.col("closed"), pl.col("won")
    service = pl.Series(names.SERVICES).gather(deal["key"].to_numpy() % len(names.SERVICES))
    deals = (
        deal.with_columns(
            tl.timestamps(deal["deal_day"].to_numpy(), deal["deal_tod"].to_numpy()).alias(
                "created_at"
            ),
            tl.timestamps(deal["close_day"].to_numpy(), deal["close_tod"].to_numpy()).alias(
                "_closed"
            ),
            pl.format("{} – {}", "company", service).alias("name"),
            pl.Series("_open_stage", open_stage),
        )
        .with_columns(
            pl.when(closed).then("_closed").alias("closed_at"),
            pl.when(won)
            .then(pl.lit("closed_won"))
            .when(closed)
            .then(pl.lit("closed_lost"))
            .otherwise("_open_stage")
            .alias("stage"),
            pl.when(closed).then(won).alias("won"),
        )
        .sort("created_at", "key")
        .with_columns(_ids("D", deal.height, 5).alias("deal_id"))
    )
    return conform("leads", leads), conform("deals", deals)


def touchpoints(
    rng: np.random.Generator,
    origins: pl.DataFrame,
    contacts: pl.DataFrame,
    posts: pl.DataFrame,
    tl: Timeline,
) -> pl.DataFrame:
    ids = contacts.select("key", "contact_id")
    met = origins.filter(pl.col("contact")).join(ids, on="key", maintain_order="left")
    met = met.with_columns(tl.timestamps(met["day"].to_numpy(), met["tod"].to_numpy()).alias("ts"))
    referrer = ids.rename({"key": "referrer", "contact_id": "_referrer_id"})
    frames = [
        met.filter(pl.col("funnel") == "conversation").select(
            "contact_id",
            "ts",
            pl.col("platform").alias("channel"),
            pl.col("post_id").alias("ref"),
            "platform",
            pl.col("touch_kind").alias("kind"),
            "post_id",
            "employee_id",
            "campaign",
        ),
        met.filter(pl.col("funnel") == "event").select(
            "contact_id",
            "ts",
            pl.lit("event").alias("channel"),
            pl.col("event_id").alias("ref"),
            pl.lit("event").alias("kind"),
            "campaign",
        ),
        met.filter(pl.col("funnel") == "referral")
        .join(referrer, on="referrer", how="left", maintain_order="left")
        .select(
            "contact_id",
            (pl.col("ts") - pl.duration(hours=2)).alias("ts"),
            pl.lit("referral").alias("channel"),
            pl.col("_referrer_id").alias("ref"),
            pl.lit("referral").alias("kind"),
        ),
        _known_attendees(rng, contacts, tl),
        _sales_emails(rng, origins.filter(pl.col("lead")).join(ids, on="key"), tl),
        _engagements(rng, contacts, posts, tl),
    ]
    df = pl.concat(frames, how="diagonal_relaxed").filter(pl.col("ts") < tl.as_of)
    key = ["contact_id", "ts", "channel", "ref"]
    return conform("touchpoints", df.unique(subset=key, keep="first").sort(key))


def _known_attendees(
    rng: np.random.Generator, contacts: pl.DataFrame, tl: Timeline
) -> pl.DataFrame:
    cday = contacts["day"].to_numpy()
    out = []
    for day, event_id, name in event_days(tl):
        known = np.flatnonzero(cday < day)
        who = rng.choice(
            known, min(len(known), rng.poisson(params.EVENT_KNOWN_ATTENDEES)), replace=False
        )
        tod = 15 * HOUR + rng.uniform(0, 3 * HOUR, len(who))
        out.append(
            pl.DataFrame({"contact_id": contacts["contact_id"].gather(who)}).with_columns(
                tl.timestamps(np.full(len(who), day), tod).alias("ts"),
                pl.lit("event").alias("channel"),
                pl.lit(event_id).alias("ref"),
                pl.lit("event").alias("kind"),
                pl.lit(name).alias("campaign"),
            )
        )
    return pl.concat(out) if out else pl.DataFrame(schema={"contact_id": pl.String})


def _sales_emails(rng: np.random.Generator, leads: pl.DataFrame, tl: Timeline) -> pl.DataFrame:
    """Replies to the sales sequence between a contact's creation and their lead."""
    start = leads["contact_day"].to_numpy() * 86_400.0 + leads["contact_tod"].to_numpy()
    stop = leads["lead_day"].to_numpy() * 86_400.0 + leads["lead_tod"].to_numpy()
    count = rng.poisson(params.EMAIL_TOUCHES_BEFORE_LEAD, leads.height) * (stop - start > HOUR)
    row = np.repeat(np.arange(leads.height), count)
    at = start[row] + rng.uniform(0, 1, len(row)) * (stop[row] - start[row])
    return pl.DataFrame({"contact_id": leads["contact_id"].gather(row)}).with_columns(
        tl.timestamps(np.floor(at / 86_400.0).astype(np.int64), at % 86_400.0).alias("ts"),
        pl.lit("email").alias("channel"),
        _ids("mail-", len(row), 6).alias("ref"),
        pl.lit("email").alias("kind"),
        pl.lit("sales-sequence").alias("campaign"),
    )


def _engagements(
    rng: np.random.Generator, contacts: pl.DataFrame, posts: pl.DataFrame, tl: Timeline
) -> pl.DataFrame:
    """Contacts with a known LinkedIn handle react to later LinkedIn posts now and then."""
    li = posts.filter(pl.col("platform") == "linkedin").sort("created_at")
    who = contacts.filter(pl.col("handle_linkedin").is_not_null() & (pl.col("day") >= 0))
    count = rng.poisson(params.FOLLOW_UP_ENGAGEMENTS, who.height)
    row = np.repeat(np.arange(who.height), count)
    created = who["created_at"].dt.epoch("us").to_numpy()[row]
    end = tl.as_of.timestamp() * 1e6
    target = created + rng.uniform(0, 1, len(row)) * (end - created)
    post_us = li["created_at"].dt.epoch("us").to_numpy()
    at = np.searchsorted(post_us, target)
    ok = at < li.height
    row, at = row[ok], at[ok]
    lag_us = rng.uniform(0.5, 30, len(row)) * HOUR * 1e6
    ts_us = (post_us[at] + lag_us).astype(np.int64)
    return pl.DataFrame(
        {
            "contact_id": who["contact_id"].gather(row),
            "ts": pl.Series(ts_us).cast(pl.Datetime("us", "UTC")),
            "ref": li["post_id"].gather(at),
            "employee_id": li["employee_id"].gather(at),
            "campaign": li["campaign"].gather(at),
        }
    ).with_columns(
        pl.lit("linkedin").alias("channel"),
        pl.lit("linkedin").alias("platform"),
        pl.col("ref").alias("post_id"),
        pl.lit("engagement").alias("kind"),
    )
