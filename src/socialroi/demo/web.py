"""Web sessions, GA4-style, with the identity links the core resolves.

Every web origin is a new visitor (a GA client id). The contact a visitor becomes is tied to their
sessions in each of the ways identity resolution knows:

* the form-fill session carries ``contact_id`` (on the first visit, or on a later direct/search
  visit when the contact lag is not zero);
* ``contacts.visitor_id`` is the visitor's id, so their other sessions match by visitor;
* some contacts fill a form again from a second device: that session has ``contact_id`` and the
  device's other sessions match only through the shared visitor id;
* some click-id sessions are split again under a fresh visitor id (a consent reset): they match
  only through the shared ``click_id``;
* contacts who first met the company off the web (conversations, events, referrals) sometimes visit
  later, and newsletter clicks arrive with ``contact_id`` already known.

Most visitors never identify and stay anonymous.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from socialroi.demo import params
from socialroi.demo.funnel import SECONDS_PER_DAY, business_tod, sample_lag
from socialroi.demo.timeline import Timeline

PAGES: tuple[str, ...] = (
    "/",
    "/services/managed-it",
    "/services/cloud-migration",
    "/services/cybersecurity",
    "/blog/patch-tuesday-checklist",
    "/blog/backup-restore-test",
    "/about",
    "/careers",
    "/contact",
)
KEYWORDS: tuple[str, ...] = (
    "managed it services",
    "it support company",
    "cloud migration consultant",
    "microsoft 365 support",
    "cybersecurity audit small business",
    "northwind it",
)
CLICK_PREFIX = {"gclid": "Cj0KCQiA", "fbclid": "IwAR", "li_fat_id": "lfi-", "twclid": "2-"}
#: visitor_key = owner key × _ONE_PER_KEY + device kind (a split session gets a key of its own)
_DEVICE, _SECOND, _MAIL, _KNOWN, _SPLIT = 0, 1, 2, 3, 4
_ONE_PER_KEY = 5


def scramble(x: np.ndarray, salt: int) -> np.ndarray:
    """A bijection of 0..9e9-1 onto ten-digit numbers that looks random (ids that never collide)."""
    return (x.astype(np.int64) * 2_654_435_761 + salt) % 9_000_000_000 + 1_000_000_000


def _channel(
    rng: np.random.Generator, n: int, options: tuple[tuple[str, str, float], ...]
) -> dict[str, pl.Series]:
    """`n` (source, medium) pairs drawn from `options` by weight, as string columns (gathered
    from the few options rather than built from numpy strings, which polars converts slowly)."""
    w = np.array([o[2] for o in options])
    pick = rng.choice(len(options), size=n, p=w / w.sum())
    src = pl.Series([o[0] for o in options], dtype=pl.String).gather(pick)
    med = pl.Series([o[1] for o in options], dtype=pl.String).gather(pick)
    return {"source": src, "medium": med}


def _frame(day: np.ndarray, tod: np.ndarray, visitor: np.ndarray, **cols: object) -> pl.DataFrame:
    return pl.DataFrame({"day": day, "tod": tod, "visitor_key": visitor, **cols})


def build_sessions(
    rng: np.random.Generator, origins: pl.DataFrame, contacts: pl.DataFrame, tl: Timeline
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """All sessions (with `contact_key`) and each contact's visitor_id (key, visitor_id).

    `contacts` has key, day (created), has_web (came in through a web visit) for every contact,
    legacy clients included.
    """
    web = origins.filter(pl.col("session"))
    n = web.height
    key = web["key"].to_numpy()
    first_fill = web["contact"].to_numpy() & (web["contact_lag"].to_numpy() == 0)
    frames = [
        web.select(
            "day",
            "tod",
            "source",
            "medium",
            "campaign",
            "content",
            "landing_page",
            "click_kind",
            "funnel",
        ).with_columns(
            pl.Series("visitor_key", key * _ONE_PER_KEY + _DEVICE),
            pl.Series("contact_key", np.where(first_fill, key, -1)),
        )
    ]

    # the later visit on which the form was filled in
    later = web.filter(pl.col("contact") & (pl.col("contact_lag") > 0))
    ctod = later["contact_tod"].to_numpy()
    frames.append(
        _frame(
            later["contact_day"].to_numpy(),
            np.maximum(ctod - rng.uniform(60, 1200, later.height), 0),
            later["key"].to_numpy() * _ONE_PER_KEY + _DEVICE,
            contact_key=later["key"].to_numpy(),
            landing_page=np.full(later.height, "/contact"),
            **_channel(rng, later.height, params.RETURN_CHANNELS[:2]),
        )
    )

    # other later visits, never identifying by themselves
    count = rng.poisson(params.RETURN_VISITS, n)
    src = np.repeat(np.arange(n), count)
    ch = _channel(rng, len(src), params.RETURN_CHANNELS)
    frames.append(
        _frame(
            web["day"].to_numpy()[src] + sample_lag(rng, "return", len(src)),
            business_tod(rng, len(src)),
            key[src] * _ONE_PER_KEY + _DEVICE,
            click_kind=pl.Series(["", "gclid"]).gather((ch["medium"] == "cpc").cast(pl.UInt32)),
            **ch,
        )
    )

    # contacts who also use a second device; the first visit from it fills a form again
    web_contacts = contacts.filter(pl.col("has_web"))
    pick = web_contacts.filter(
        pl.Series(rng.random(web_contacts.height) < params.SECOND_DEVICE_SHARE)
    )
    visits = 1 + rng.poisson(0.5, pick.height)
    src = np.repeat(np.arange(pick.height), visits)
    first_visit = np.r_[True, src[1:] != src[:-1]] if len(src) else np.zeros(0, bool)
    pkey = pick["key"].to_numpy()[src]
    frames.append(
        _frame(
            pick["day"].to_numpy()[src] + sample_lag(rng, "return", len(src)),
            business_tod(rng, len(src)),
            pkey * _ONE_PER_KEY + _SECOND,
            contact_key=np.where(first_visit, pkey, -1),
            **_channel(rng, len(src), (("(direct)", "(none)", 0.7), ("newsletter", "email", 0.3))),
        )
    )

    # contacts met off the web who visit later, logged in through a known e-mail link
    offline = contacts.filter(~pl.col("has_web") & (pl.col("key") >= params.LEGACY_CLIENTS))
    pick = offline.filter(pl.Series(rng.random(offline.height) < params.KNOWN_CONTACT_VISIT_SHARE))
    okey = pick["key"].to_numpy()
    frames.append(
        _frame(
            pick["day"].to_numpy() + sample_lag(rng, "return", pick.height),
            business_tod(rng, pick.height),
            okey * _ONE_PER_KEY + _KNOWN,
            contact_key=okey,
            **_channel(rng, pick.height, params.RETURN_CHANNELS[:2]),
        )
    )
    frames.append(_newsletter(rng, contacts, tl))
    sessions = pl.concat(frames, how="diagonal_relaxed").filter(pl.col("day") < tl.n_days)
    sessions = _with_click_ids(sessions)
    sessions = pl.concat([sessions, _continuations(rng, sessions)], how="diagonal_relaxed")
    return _finish(rng, sessions, tl)


def _newsletter(rng: np.random.Generator, contacts: pl.DataFrame, tl: Timeline) -> pl.DataFrame:
    """Monthly newsletter (second Tuesday): existing contacts click now and then."""
    cday = contacts["day"].to_numpy()
    ckey = contacts["key"].to_numpy()
    out = []
    for m, first in enumerate(tl.month_starts):
        send = (first - tl.start).days + (1 - first.weekday()) % 7 + 7
        known = np.flatnonzero(cday < send)
        who = known[rng.random(len(known)) < params.NEWSLETTER_CLICK_RATE]
        out.append(
            _frame(
                send + rng.integers(0, 4, len(who)),
                business_tod(rng, len(who)),
                ckey[who] * _ONE_PER_KEY + _MAIL,
                contact_key=ckey[who],
                source=np.full(len(who), "newsletter"),
                medium=np.full(len(who), "email"),
                campaign=np.full(len(who), f"newsletter-{first:%Y-%m}"),
                landing_page=np.full(len(who), "/blog/patch-tuesday-checklist"),
                month=np.full(len(who), m),
            )
        )
    return pl.concat(out).drop("month")


def _with_click_ids(sessions: pl.DataFrame) -> pl.DataFrame:
    prefix = pl.col("click_kind").replace_strict(CLICK_PREFIX, default=None)
    number = pl.Series(scramble(np.arange(sessions.height), 31_337)).cast(pl.String)
    return sessions.with_columns(pl.concat_str(prefix, number).alias("click_id"))


def _continuations(rng: np.random.Generator, sessions: pl.DataFrame) -> pl.DataFrame:
    """A share of click-id sessions starts again under a new visitor id with the same click id."""
    clicked = sessions.filter(pl.col("click_id").is_not_null())
    again = clicked.filter(pl.Series(rng.random(clicked.height) < params.CONTINUATION_SHARE))
    tod = again["tod"].to_numpy()
    new_tod = np.minimum(tod + rng.uniform(60, 2400, again.height), SECONDS_PER_DAY - 1)
    base = _ONE_PER_KEY * (int(sessions["visitor_key"].to_numpy().max()) // _ONE_PER_KEY + 1)
    return again.with_columns(
        pl.Series("tod", new_tod),
        pl.Series("visitor_key", base + _ONE_PER_KEY * np.arange(again.height) + _SPLIT),
        pl.lit(-1).alias("contact_key"),
    )


def _finish(
    rng: np.random.Generator, sessions: pl.DataFrame, tl: Timeline
) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = sessions.height
    page = pl.Series(PAGES).gather(rng.integers(0, len(PAGES), n))
    keyword = pl.Series(KEYWORDS).gather(rng.integers(0, len(KEYWORDS), n))
    ts = tl.timestamps(sessions["day"].to_numpy(), sessions["tod"].to_numpy())
    medium = pl.col("medium")
    sessions = sessions.with_columns(
        ts.alias("started_at"),
        pl.coalesce("landing_page", page).alias("landing_page"),
        pl.when(medium == "organic")
        .then(pl.lit("(not provided)"))
        .when((medium == "cpc") & (pl.col("source") == "google"))
        .then(keyword)
        .alias("term"),
        pl.when(pl.col("contact_key") >= 0).then("contact_key").alias("contact_key"),
    ).sort("started_at", "visitor_key")
    first_seen = sessions.group_by("visitor_key").agg(
        pl.col("started_at").min().dt.epoch("s").alias("_first")
    )
    vk = first_seen["visitor_key"].to_numpy()
    first_seen = first_seen.with_columns(
        pl.format("{}.{}", pl.Series(scramble(vk, 4_242)), "_first").alias("visitor_id")
    )
    sessions = sessions.join(
        first_seen.select("visitor_key", "visitor_id"), on="visitor_key", maintain_order="left"
    ).with_columns(
        pl.format("s{}", pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(7)).alias(
            "session_id"
        )
    )
    # a contact's visitor id: the device they first identified on
    visitor = (
        sessions.filter((pl.col("visitor_key") % _ONE_PER_KEY).is_in([_DEVICE, _KNOWN]))
        .select((pl.col("visitor_key") // _ONE_PER_KEY).alias("key"), "visitor_id")
        .unique("key", keep="first", maintain_order=True)
    )
    return sessions, visitor
