"""Sessions tied to contacts by each of the four rules; anonymous reach; match rates; employees."""

from datetime import UTC, datetime

import polars as pl
import pytest

from socialroi import schema
from socialroi.core.identity import ALL_SOCIAL, resolve


def at(d: int, h: int = 0) -> datetime:
    return datetime(2025, 4, d, h, tzinfo=UTC)


SESSION_COLUMNS = (
    "session_id", "started_at", "source", "medium", "campaign", "content",
    "click_id", "visitor_id", "contact_id",
)  # fmt: skip

SESSIONS = pl.DataFrame(
    [
        # rule 1: the session names its contact; code: linkedin post p1 shared by e7
        ("s1", at(1), "linkedin.com", "social", None, "sr~linkedin~p1~e7", None, "v1", "c1"),
        # rule 2: visitor v2 is contact c2's visitor id; code for brand post p3
        ("s2", at(2), "t.co", "social", "(not set)", "sr~x~p3~brand", None, "v2", None),
        # rule 3: visitor v1 also had s1, which belongs to c1
        ("s3", at(3), "facebook.com", "referral", "spring", None, "k3", "v1", None),
        # rule 4: click k3 is shared with s3 (matched by rule 3)
        ("s4", at(4), "google", "cpc", None, None, "k3", "v4", None),
        # nobody: social, instagram
        ("s5", at(5), "instagram.com", "referral", None, None, None, "v5", None),
        # nobody: social medium, unknown source, no code
        ("s6", at(6), "forum.example", "social", None, None, None, "v6", None),
        # nobody: not social, so not in the match rate
        ("s7", at(7), "google", "organic", None, None, None, None, None),
    ],
    schema=list(SESSION_COLUMNS),
    orient="row",
)
CONTACTS = pl.DataFrame(
    {"contact_id": ["c1", "c2"], "visitor_id": [None, "v2"]},
    schema={"contact_id": pl.String, "visitor_id": pl.String},
)
POSTS = pl.DataFrame(
    {
        "platform": ["linkedin", "x", "x"],
        "post_id": ["p1", "p2", "p3"],
        "account_id": ["a-e5", "a-e9", "a-brand"],
        "campaign": ["launch", None, "brand-week"],
    }
)
ACCOUNTS = pl.DataFrame(
    {
        "platform": ["linkedin", "x", "x"],
        "account_id": ["a-e5", "a-e9", "a-brand"],
        "owner": ["e5", "e9", "brand"],
    }
)
STORED = pl.DataFrame(
    {
        # an engagement on e9's post p2, known from the platform, with no employee on it
        "contact_id": ["c2", "c1"],
        "ts": [at(1, 12), at(1)],
        "channel": ["x", "linkedin"],
        "ref": ["m1", "s1"],  # the second repeats the touch session s1 makes
        "platform": ["x", "linkedin"],
        "kind": ["engagement", "post_click"],
        "post_id": ["p2", "p1"],
        "employee_id": [None, "e7"],
    }
)


@pytest.fixture(scope="module")
def identity():
    return resolve(
        sessions=SESSIONS, contacts=CONTACTS, touchpoints=STORED, posts=POSTS, accounts=ACCOUNTS
    )


def test_each_rule_ties_its_session_to_the_contact(identity):
    by_ref = {r["ref"]: r["contact_id"] for r in identity.touchpoints.iter_rows(named=True)}
    assert by_ref == {"s1": "c1", "s2": "c2", "s3": "c1", "s4": "c1", "m1": "c2"}


def test_touchpoints_are_canonical_and_deduplicated(identity):
    tp = identity.touchpoints
    assert tp.schema == pl.Schema(schema.table("touchpoints").polars_schema)
    # s1 was both stored and a session: once
    assert tp.height == 5
    # in time order: s1 Apr 1 00:00, m1 Apr 1 12:00, s2 Apr 2, s3 Apr 3, s4 Apr 4
    assert tp.select("contact_id", "ref").rows() == [
        ("c1", "s1"),
        ("c2", "m1"),
        ("c2", "s2"),
        ("c1", "s3"),
        ("c1", "s4"),
    ]


def test_touch_fields(identity):
    rows = {r["ref"]: r for r in identity.touchpoints.iter_rows(named=True)}
    # link code employee e7 wins over the post's account owner e5; campaign from the post
    assert (rows["s1"]["employee_id"], rows["s1"]["campaign"]) == ("e7", "launch")
    # brand account: no employee; '(not set)' campaign falls back to the post's
    assert (rows["s2"]["employee_id"], rows["s2"]["campaign"]) == (None, "brand-week")
    assert (rows["s2"]["channel"], rows["s2"]["kind"], rows["s2"]["post_id"]) == (
        "x",
        "post_click",
        "p3",
    )
    # no post: session campaign kept
    assert (rows["s3"]["channel"], rows["s3"]["campaign"]) == ("facebook", "spring")
    assert (rows["s4"]["channel"], rows["s4"]["kind"]) == ("paid_search", "paid")
    # stored touch on p2 gets the owner of p2's account
    assert rows["m1"]["employee_id"] == "e9"


def test_unmatched_sessions_are_anonymous(identity):
    anon = identity.anonymous
    assert anon.columns == [
        "session_id", "started_at", "channel", "platform", "post_id", "employee_id", "campaign",
        "count",
    ]  # fmt: skip
    assert anon.select("session_id", "channel", "platform").rows() == [
        ("s5", "instagram", "instagram"),
        ("s6", "social_other", None),
        ("s7", "organic_search", None),
    ]


def test_match_rate(identity):
    # social sessions: s1 linkedin, s2 x, s3 facebook (matched); s5 instagram, s6 other (not)
    # s4 (paid search) and s7 (organic search) are not social
    assert identity.match_rate.rows() == [
        ("facebook", 1, 1, 1.0),
        ("instagram", 1, 0, 0.0),
        ("linkedin", 1, 1, 1.0),
        ("social_other", 1, 0, 0.0),
        ("x", 1, 1, 1.0),
        (ALL_SOCIAL, 5, 3, 0.6),
    ]


def test_a_shared_device_goes_to_the_nearest_known_session():
    sessions = pl.DataFrame(
        {
            "session_id": ["a", "b", "x"],
            "started_at": [at(1), at(10), at(8)],
            "visitor_id": ["v", "v", "v"],
            "contact_id": ["c1", "c2", None],
        }
    )
    got = resolve(
        sessions=sessions,
        contacts=pl.DataFrame({"contact_id": ["c1", "c2"]}),
        touchpoints=schema.empty("touchpoints"),
        posts=schema.empty("posts"),
        accounts=schema.empty("accounts"),
    )
    # x (Apr 8) is 2 days from b (c2) and 7 from a (c1)
    assert got.touchpoints.filter(pl.col("ref") == "x")["contact_id"].to_list() == ["c2"]
    # nothing social: only the '(all social)' row, with no rate
    assert got.match_rate.rows() == [(ALL_SOCIAL, 0, 0, None)]


def test_match_rate_weighs_rows_by_their_session_count():
    # a GA4-style daily aggregate (40 linkedin sessions, nobody known) next to single sessions
    sessions = pl.DataFrame(
        {
            "session_id": ["agg", "one", "two", "zero"],
            "started_at": [at(1), at(2), at(3), at(4)],
            "source": ["linkedin.com", "linkedin.com", "t.co", "t.co"],
            "medium": ["social", "social", "social", "social"],
            "contact_id": [None, "c1", "c1", None],
            "count": [40, None, 3, 0],
        },
        schema_overrides={"count": pl.Int64},
    )
    got = resolve(
        sessions=sessions,
        contacts=pl.DataFrame({"contact_id": ["c1"]}),
        touchpoints=schema.empty("touchpoints"),
        posts=schema.empty("posts"),
        accounts=schema.empty("accounts"),
    )
    # linkedin: 40 anonymous + 1 matched (empty count = 1); x: 3 matched + 0 anonymous
    assert got.match_rate.rows() == [
        ("linkedin", 41, 1, 1 / 41),
        ("x", 3, 3, 1.0),
        (ALL_SOCIAL, 44, 4, 4 / 44),
    ]
    # one touch per matched row, whatever its count
    assert sorted(got.touchpoints["ref"].to_list()) == ["one", "two"]
