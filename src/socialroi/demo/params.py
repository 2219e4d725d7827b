"""Every number the demo company is generated from, in one place.

The generator turns these into expected rates (day by day) and samples the data from them; the
ground truth is computed from the same expected rates. Sourced anchors (research/product-anchors.md
§4–§5): staff networks about 10× the company page's followers, employee shares about 2× the
click-through rate, loaded cost ≈ wage × 1.43–1.46, cost per hire about $4,700, a complete social
media block loses about 20.3 workdays per employee a year (partial blocking gains about 6.2).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

COMPANY = "Northwind IT Services"
CURRENCY = "USD"
DOMAIN = "northwind-it.example"
DEFAULT_SEED = 7
DEFAULT_MONTHS = 24
DEFAULT_END = date(2026, 11, 1)
MIN_MONTHS = 6
MAX_MONTHS = 120

PLATFORMS: tuple[str, ...] = ("linkedin", "x", "facebook", "instagram")
TEAMS: tuple[str, ...] = ("Sales", "Delivery", "Marketing", "Support")
TEAM_SIZES: dict[str, int] = {"Sales": 10, "Delivery": 14, "Marketing": 6, "Support": 10}
#: Teams that move to employee advocacy; the others stay on acceptable use (the control group).
ADVOCACY_TEAMS: tuple[str, ...] = ("Sales", "Marketing")
#: Policies the timeline uses, in code order (an index into this tuple is a policy code).
POLICY_CODES: tuple[str, ...] = ("blanket_ban", "acceptable_use", "employee_advocacy")
#: Months simulated before the reported period so that pipelines are already flowing on its
#: first day (their CRM records are kept; web, social and cost rows start with the period).
WARMUP_MONTHS = 6
#: Where the switches fall in the default 24 months; scaled for other lengths.
BAN_MONTHS_OF_24 = 8
ADVOCACY_MONTH_OF_24 = 14


@dataclass(frozen=True)
class Mechanism:
    """How a policy changes one employee's posting (per calendar month)."""

    participation: float  # chance an employee posts at all in a month
    posts_per_active_month: float  # posts in a month when posting
    link_share: float  # share of posts that link to the company site
    tracked_share: float  # share of those links built as tracked links (utm + link code)
    reshare_share: float  # share of linked posts that reshare brand content (kind 'share')
    reach_multiplier: float  # impressions per post relative to the staff baseline
    identify_multiplier: float  # visitor → contact rate relative to the funnel's baseline


MECHANISMS: dict[str, Mechanism] = {
    # Brand accounts only: staff do not post for the company at all.
    "blanket_ban": Mechanism(0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0),
    # Responsible use allowed, no programme: a few staff post now and then, half their links tagged.
    "acceptable_use": Mechanism(0.30, 2.0, 0.35, 0.5, 0.2, 1.0, 1.0),
    # Advocates post about weekly, nearly always a tracked link, mostly curated brand content that
    # colleagues reshare (wider reach) and that lands on dedicated pages (better identification).
    # Staff who are not advocates keep acceptable-use behaviour.
    "employee_advocacy": Mechanism(0.85, 4.3, 0.90, 0.95, 0.75, 1.25, 1.15),
}


@dataclass(frozen=True)
class Platform:
    brand_followers: int  # company page followers at the start
    brand_growth: float  # page follower growth per month (compounded)
    brand_posts_per_month: float
    brand_link_share: float
    brand_tracked_share: float
    brand_impressions_per_follower: float
    staff_impressions_per_follower: float
    ctr: float  # clicks per impression for a brand post with a link
    engagement_rate: float  # reactions, comments, shares per impression
    conversations_per_impression: float  # replies/mentions/DMs that become a CRM contact (staff)
    staff_account_share: float  # chance an employee has an account here
    staff_network: float  # mean followers/connections of a staff account (linkedin: scaled)
    staff_post_weight: float  # how often staff pick this platform when posting
    referrers: tuple[str, ...]  # GA4 sources of clicks on untagged links
    ad_spend: float  # monthly paid-social budget
    cpc: float


# fmt: off
PLATFORM: dict[str, Platform] = {
    # brand: followers, growth, posts/month, link share, tracked share, impressions/follower;
    # staff impressions/follower; ctr; engagement rate; conversations/impression;
    # staff: account share, network, post weight; referrers; ad spend; cpc
    "linkedin": Platform(2400, 0.030, 12, 0.85, 0.9, 0.12, 0.6, 0.005, 0.025, 0.0003,
                         1.0, 600, 0.75, ("lnkd.in", "linkedin.com"), 1000, 7.0),
    "x": Platform(1800, 0.008, 16, 0.70, 0.9, 0.08, 0.25, 0.003, 0.012, 0.0002,
                  0.35, 300, 0.15, ("t.co", "x.com"), 100, 1.5),
    "facebook": Platform(1500, 0.005, 8, 0.80, 0.9, 0.06, 0.2, 0.006, 0.020, 0.0002,
                         0.30, 250, 0.06, ("m.facebook.com", "l.facebook.com", "facebook.com"),
                         200, 2.5),
    "instagram": Platform(1100, 0.015, 6, 0.30, 0.9, 0.15, 0.3, 0.002, 0.035, 0.0001,
                          0.20, 400, 0.04, ("l.instagram.com", "instagram.com"), 150, 3.0),
}
# fmt: on

#: Staff networks in total are this many times the company page's followers (LinkedIn, 2017).
STAFF_NETWORK_MULTIPLE = 10.0
#: Employee shares get this many times the click-through rate of brand posts (LinkedIn, 2016).
STAFF_CTR_MULTIPLIER = 2.0
#: Brand posts start fewer conversations per impression than a person's post.
BRAND_CONVERSATION_FACTOR = 0.3
#: Relative network size by team (sales people are the best connected).
TEAM_NETWORK_FACTOR: dict[str, float] = {
    "Sales": 1.4,
    "Delivery": 0.8,
    "Marketing": 1.3,
    "Support": 0.7,
}


@dataclass(frozen=True)
class Funnel:
    """From an origin event (a click, a conversation, a visit…) to revenue."""

    lead_source: str  # leads.source of the leads it creates
    web: bool  # the origin is a web visit (a session is recorded)
    p_session: float  # origin → recorded session (clicks lost before analytics loads)
    p_identify: float  # session (or conversation) → contact
    contact_lag: str  # name of the lag pmf from origin to contact
    p_lead: float
    p_deal: float
    p_won: float
    mean_amount: float
    amount_sigma: float  # lognormal sigma of the deal amount


FUNNELS: dict[str, Funnel] = {
    # lead source, web, p_session, p_identify, contact lag, p_lead, p_deal, p_won, amount, sigma
    "social_click": Funnel(
        "organic_social", True, 0.9, 0.30, "contact_web", 0.10, 0.35, 0.33, 38_000, 0.55
    ),
    "social_other": Funnel(
        "organic_social", True, 1.0, 0.25, "contact_web", 0.07, 0.35, 0.30, 38_000, 0.55
    ),
    "conversation": Funnel(
        "organic_social", False, 1.0, 1.0, "contact_conversation", 0.20, 0.40, 0.35, 40_000, 0.55
    ),
    "paid_social": Funnel(
        "paid_social", True, 1.0, 0.16, "contact_web", 0.04, 0.30, 0.25, 30_000, 0.55
    ),
    "organic_search": Funnel(
        "organic_search", True, 1.0, 0.05, "contact_web", 0.10, 0.30, 0.28, 35_000, 0.6
    ),
    "paid_search": Funnel(
        "paid_search", True, 1.0, 0.07, "contact_web", 0.12, 0.30, 0.25, 32_000, 0.6
    ),
    "direct": Funnel("direct", True, 1.0, 0.03, "contact_web", 0.12, 0.35, 0.30, 36_000, 0.6),
    "web_referral": Funnel(
        "web_referral", True, 1.0, 0.06, "contact_web", 0.10, 0.30, 0.28, 34_000, 0.6
    ),
    "event": Funnel("event", False, 1.0, 1.0, "contact_now", 0.15, 0.40, 0.30, 42_000, 0.5),
    "referral": Funnel("referral", False, 1.0, 1.0, "contact_now", 0.50, 0.50, 0.45, 42_000, 0.5),
}

#: New-visitor sessions a month (at seasonality × trend = 1) from channels the policy never touches.
CHANNEL_SESSIONS: dict[str, float] = {
    "organic_search": 900,
    "direct": 450,
    "paid_search": 250,
    "web_referral": 120,
    "social_other": 90,  # untagged social visits nobody's post explains (bio links, third parties)
}
#: GA4 source/medium of each channel's sessions: (source, medium, weight).
CHANNEL_SOURCES: dict[str, tuple[tuple[str, str, float], ...]] = {
    "organic_search": (
        ("google", "organic", 0.86),
        ("bing", "organic", 0.1),
        ("duckduckgo", "organic", 0.04),
    ),
    "direct": (("(direct)", "(none)", 1.0),),
    "paid_search": (("google", "cpc", 1.0),),
    "web_referral": (
        ("clutch.co", "referral", 0.5),
        ("partners.example.com", "referral", 0.3),
        ("github.com", "referral", 0.2),
    ),
    "social_other": (
        ("linkedin.com", "referral", 0.45),
        ("lnkd.in", "referral", 0.2),
        ("t.co", "referral", 0.15),
        ("m.facebook.com", "referral", 0.12),
        ("l.instagram.com", "referral", 0.08),
    ),
}
#: Calendar-month demand (Jan..Dec); normalised to mean 1 where used.
SEASONALITY: tuple[float, ...] = (
    0.95,
    1.0,
    1.08,
    1.05,
    1.02,
    0.95,
    0.85,
    0.82,
    1.05,
    1.12,
    1.08,
    1.03,
)
#: Demand growth per month, compounded from the first month.
TREND_PER_MONTH = 0.008
#: Weekday / weekend activity factors (mean over a week is 1).
WEEKDAY_FACTOR = 1.2
WEEKEND_FACTOR = 0.5


@dataclass(frozen=True)
class Lag:
    """A lag in whole days: `p0` at `zero`, the rest geometric with rate `q` over [first, last]."""

    first: int
    last: int
    q: float
    p0: float = 0.0


LAGS: dict[str, Lag] = {
    "click": Lag(1, 6, 0.45, p0=0.62),  # post → click
    "conversation": Lag(1, 5, 0.5, p0=0.6),  # post → reply, mention or DM
    "contact_web": Lag(1, 45, 0.10, p0=0.55),  # first visit → form fill
    "contact_conversation": Lag(1, 4, 0.5, p0=0.5),  # conversation → CRM contact
    "contact_now": Lag(0, 0, 1.0, p0=1.0),
    "lead": Lag(1, 90, 0.06, p0=0.15),  # contact → lead
    "deal": Lag(3, 90, 0.05),  # lead → deal
    "close": Lag(14, 240, 0.02),  # deal → won or lost
    "return": Lag(1, 90, 0.05),  # a visitor's later visits
    "referral": Lag(30, 365, 0.01),  # a won client → an introduction
}

#: Later visits per visitor and where they come from.
RETURN_VISITS = 0.4
RETURN_CHANNELS: tuple[tuple[str, str, float], ...] = (
    ("(direct)", "(none)", 0.5),
    ("google", "organic", 0.3),
    ("google", "cpc", 0.1),
    ("newsletter", "email", 0.1),
)
SECOND_DEVICE_SHARE = 0.2  # identified visitors who also visit from a second device
CONTINUATION_SHARE = 0.08  # click-id sessions split again with a fresh visitor id (consent reset)
KNOWN_CONTACT_VISIT_SHARE = 0.3  # conversation/event/referral contacts who later visit the site
NEWSLETTER_CLICK_RATE = 0.03
EMAIL_TOUCHES_BEFORE_LEAD = 1.2  # sales-sequence replies between contact and lead (mean)
FOLLOW_UP_ENGAGEMENTS = 0.4  # later engagements per contact with a LinkedIn handle (mean)
LEGACY_CLIENTS = 60
LEGACY_REFERRALS_PER_MONTH = 1.2
REFERRALS_PER_WIN = 0.3
EVENT_EVERY_MONTHS = 4
EVENT_NEW_CONTACTS = 30.0
EVENT_KNOWN_ATTENDEES = 12.0


@dataclass(frozen=True)
class Staff:
    hourly_wage: dict[str, float]
    loaded_multiplier: float  # BLS ECEC: wages are ~68–70% of compensation
    advocate_share: float  # share of advocacy-team staff enrolled as advocates
    annual_turnover: float
    minutes_per_post: dict[str, float]
    minutes_per_conversation: float
    minutes_per_brand_post: float


STAFF = Staff(
    hourly_wage={"Sales": 38.0, "Delivery": 45.0, "Marketing": 36.0, "Support": 30.0},
    loaded_multiplier=1.45,
    advocate_share=0.8,
    annual_turnover=0.15,
    minutes_per_post={"broadcast": 20.0, "reply": 5.0, "share": 6.0},
    minutes_per_conversation=15.0,
    minutes_per_brand_post=30.0,
)


@dataclass(frozen=True)
class Costs:
    tools_per_month: float  # scheduler, analytics, link shortener
    advocacy_licence_per_advocate: float
    reward_per_active_advocate: float
    advocacy_training_hours: float
    advocacy_trainer_fee: float
    policy_briefing_hours: float  # every employee, when the ban is lifted
    monitoring_per_seat: float  # during the ban
    monitoring_admin_hours: float  # IT admin time a month during the ban
    # Not a cash cost: workdays per employee a year, signed (Chen & Chan 2026). Kept for the
    # policy comparison; the costs table holds only what was paid.
    ban_productivity_workdays: float
    partial_block_productivity_workdays: float


COSTS = Costs(
    tools_per_month=177.0,
    advocacy_licence_per_advocate=15.0,
    reward_per_active_advocate=25.0,
    advocacy_training_hours=2.0,
    advocacy_trainer_fee=1800.0,
    policy_briefing_hours=1.0,
    monitoring_per_seat=6.0,
    monitoring_admin_hours=6.0,
    ban_productivity_workdays=-20.3,
    partial_block_productivity_workdays=6.2,
)

#: Hiring: share of hires by source under each company-wide policy, and cost per hire by source.
HIRE_SOURCES: tuple[str, ...] = ("social", "employee_referral", "job_board", "agency")
HIRE_MIX: dict[str, tuple[float, ...]] = {
    "blanket_ban": (0.05, 0.25, 0.45, 0.25),
    "acceptable_use": (0.25, 0.25, 0.35, 0.15),
    "employee_advocacy": (0.40, 0.25, 0.25, 0.10),
}
HIRE_COST: dict[str, float] = {
    "social": 1800.0,
    "employee_referral": 2500.0,
    "job_board": 4700.0,  # SHRM average cost per hire
    "agency": 14000.0,
}

#: Customer service: cases a month, channel mix by the Support team's policy, minutes per case.
SERVICE_CASES_PER_MONTH = 140.0
SERVICE_CHANNELS: tuple[str, ...] = ("phone", "email", "chat", "x", "facebook", "linkedin")
SERVICE_MIX: dict[str, tuple[float, ...]] = {
    "blanket_ban": (0.50, 0.35, 0.12, 0.01, 0.015, 0.005),
    "acceptable_use": (0.42, 0.30, 0.14, 0.05, 0.05, 0.04),
    "employee_advocacy": (0.42, 0.30, 0.14, 0.05, 0.05, 0.04),
}
SERVICE_MINUTES: dict[str, float] = {
    "phone": 14.0,
    "email": 11.0,
    "chat": 9.0,
    "x": 6.0,
    "facebook": 6.0,
    "linkedin": 6.0,
}


def as_dict() -> dict[str, Any]:
    """The parameters as plain JSON-ready values (written next to the data as ground truth)."""
    return {
        "company": COMPANY,
        "currency": CURRENCY,
        "teams": dict(TEAM_SIZES),
        "advocacy_teams": list(ADVOCACY_TEAMS),
        "mechanisms": {k: asdict(v) for k, v in MECHANISMS.items()},
        "platforms": {k: asdict(v) for k, v in PLATFORM.items()},
        "staff_network_multiple": STAFF_NETWORK_MULTIPLE,
        "staff_ctr_multiplier": STAFF_CTR_MULTIPLIER,
        "brand_conversation_factor": BRAND_CONVERSATION_FACTOR,
        "team_network_factor": dict(TEAM_NETWORK_FACTOR),
        "funnels": {k: asdict(v) for k, v in FUNNELS.items()},
        "channel_sessions_per_month": dict(CHANNEL_SESSIONS),
        "seasonality": list(SEASONALITY),
        "trend_per_month": TREND_PER_MONTH,
        "weekday_factor": WEEKDAY_FACTOR,
        "weekend_factor": WEEKEND_FACTOR,
        "lags": {k: asdict(v) for k, v in LAGS.items()},
        "return_visits": RETURN_VISITS,
        "second_device_share": SECOND_DEVICE_SHARE,
        "continuation_share": CONTINUATION_SHARE,
        "staff": asdict(STAFF),
        "costs": asdict(COSTS),
        "hire_mix": {k: list(v) for k, v in HIRE_MIX.items()},
        "hire_cost": dict(HIRE_COST),
        "service_mix": {k: list(v) for k, v in SERVICE_MIX.items()},
        "referrals_per_win": REFERRALS_PER_WIN,
        "legacy_referrals_per_month": LEGACY_REFERRALS_PER_MONTH,
    }
