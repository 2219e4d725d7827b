"""An imported LinkedIn post (activity URN) and the pulled one (share/ugcPost URN) are one post.

Ids are written out with their time by hand: id = ms × 4194304 + low bits (4194304 = 2**22), so
id >> 22 = ms. The ones near T0 = 1795166100000 ms (2026-11-20 09:15:00.000 UTC):

    SHARE_A  1795166100000 × 4194304 + 1234 = 7529472353894401234   T0
    ACT_A    1795166100087 × 4194304 + 5678 = 7529472354259310126   T0 + 87 ms
    UGC_B    1795166101500 × 4194304 + 99   = 7529472360185856099   T0 + 1500 ms (1413 from ACT_A)
    ACT_LATE 1795166101900 × 4194304 + 7    = 7529472361863577607   T0 + 1900 ms
    ACT_TIE  1795166099913 × 4194304 + 3    = 7529472353529495555   T0 − 87 ms
    SHARE_C  1795166102500 × 4194304 + 11   = 7529472364380160011   T0 + 2500 ms (2413 from ACT_A)
    SHARE_F  1795166160000 × 4194304 + 3    = 7529472605552640003   T0 + 60 s
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import responses

from socialroi.adapters import linkedin
from socialroi.adapters.batches import load_batch, undo
from socialroi.adapters.linkedin_ids import (
    created_ms,
    match_activities,
    rekey_import,
    rekey_linkedin_posts,
)
from socialroi.adapters.sync import run_stream
from socialroi.store import Store
from tests.adapters.conftest import MakeContext
from tests.adapters.test_linkedin import SHARE, UGC, add_posts
from tests.adapters.test_linkedin import adapter as linkedin_adapter

ORG = "urn:li:organization:12345678"
SHARE_A = "urn:li:share:7529472353894401234"
ACT_A = "urn:li:activity:7529472354259310126"
UGC_B = "urn:li:ugcPost:7529472360185856099"
ACT_LATE = "urn:li:activity:7529472361863577607"
ACT_TIE = "urn:li:activity:7529472353529495555"
SHARE_C = "urn:li:share:7529472364380160011"
SHARE_F = "urn:li:share:7529472605552640003"


def ids(*post_ids: str, account: str | None = None) -> pl.DataFrame:
    return pl.DataFrame(
        {"post_id": list(post_ids), "account_id": [account] * len(post_ids)},
        schema={"post_id": pl.String, "account_id": pl.String},
    )


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


# --- ids and matching -------------------------------------------------------------------------


def test_the_documented_activity_and_share_decode_to_their_creation_times() -> None:
    # 6422861848709726123 = 1531329595735 × 4194304 + 32683
    # 6422861848344821123 = 1531329595648 × 4194304 + 32131
    activity = created_ms("urn:li:activity:6422861848709726123")
    share = created_ms("urn:li:share:6422861848344821123")
    assert (activity, share) == (1531329595735, 1531329595648)
    assert activity is not None
    assert share is not None
    assert activity - share == 87
    for ms in (activity, share):
        when = datetime.fromtimestamp(ms / 1000, UTC)
        assert when.replace(microsecond=0) == utc(2018, 7, 11, 17, 19, 55)
    assert created_ms(UGC_B) == 1795166101500
    # Not a post URN, or an old id too small to carry a time (12 >> 22 = 0).
    assert created_ms("urn:li:organization:12345678") is None
    assert created_ms("urn:li:share:12") is None
    assert created_ms("7529472353894401234") is None
    assert created_ms(None) is None


def test_an_activity_matches_the_one_share_created_within_the_tolerance() -> None:
    got = match_activities(ids(ACT_A), ids(SHARE_A, SHARE_F))
    assert got == {ACT_A: SHARE_A}  # 87 ms apart; SHARE_F is 59 913 ms away
    assert match_activities(ids(ACT_A), ids(SHARE_A), tolerance_ms=80) == {}  # 87 > 80
    assert match_activities(ids(ACT_A), ids(SHARE_C)) == {}  # 2413 ms > 2000
    assert match_activities(ids(ACT_A), ids(SHARE_C), tolerance_ms=3000) == {ACT_A: SHARE_C}
    # Rows of the other kind play no part: a share among the activities, an activity among posts.
    assert match_activities(ids(ACT_A, SHARE_F), ids(SHARE_A, ACT_LATE)) == {ACT_A: SHARE_A}


def test_two_candidates_within_two_seconds_are_no_match() -> None:
    # SHARE_A is 87 ms and UGC_B 1413 ms from ACT_A: both within 2000 ms, so neither.
    assert match_activities(ids(ACT_A), ids(SHARE_A, UGC_B)) == {}


def test_a_share_nearer_to_another_activity_is_not_matched_to_this_one() -> None:
    # SHARE_A is the only candidate of ACT_A (87 ms) and of ACT_LATE (1900 ms): the nearer wins.
    assert match_activities(ids(ACT_A, ACT_LATE), ids(SHARE_A)) == {ACT_A: SHARE_A}
    # ACT_A and ACT_TIE are both 87 ms from SHARE_A: neither can be told to be its activity.
    assert match_activities(ids(ACT_A, ACT_TIE), ids(SHARE_A)) == {}


def test_accounts_must_agree_when_both_are_known() -> None:
    other = "urn:li:organization:999"
    assert match_activities(ids(ACT_A, account=ORG), ids(SHARE_A, account=other)) == {}
    assert match_activities(ids(ACT_A, account=ORG), ids(SHARE_A, account=ORG)) == {ACT_A: SHARE_A}
    assert match_activities(ids(ACT_A), ids(SHARE_A, account=ORG)) == {ACT_A: SHARE_A}
    # A share of another page does not make ACT_A's match ambiguous.
    posts = pl.concat([ids(SHARE_A, account=ORG), ids(UGC_B, account=other)])
    assert match_activities(ids(ACT_A, account=ORG), posts) == {ACT_A: SHARE_A}


# --- the store --------------------------------------------------------------------------------

ACT_URL = f"https://www.linkedin.com/feed/update/{ACT_A}/"
SHARE_URL = f"https://www.linkedin.com/feed/update/{SHARE_A}/"
LINK = "https://acme.example/report?utm_source=linkedin&utm_medium=social&utm_campaign=annual"
#: An imported post with no share near it: 1795166400000 × 4194304 + 1 (T0 + 5 min).
ACT_ALONE = "urn:li:activity:7529473612185600001"


def imported_posts() -> pl.DataFrame:
    """Two posts as the linkedin-page import stores them (the Post title as text)."""
    return pl.DataFrame(
        {
            "platform": ["linkedin", "linkedin"],
            "post_id": [ACT_A, ACT_ALONE],
            "account_id": [ORG, ORG],
            "created_at": [utc(2026, 11, 20), utc(2026, 11, 20)],
            "text": ["Our 2026 report is out", "Team day"],
            "kind": ["broadcast", "broadcast"],
            "url": [ACT_URL, f"https://www.linkedin.com/feed/update/{ACT_ALONE}/"],
            "link_url": [LINK, None],
            "utm_source": ["linkedin", None],
            "utm_medium": ["social", None],
            "utm_campaign": ["annual", None],
            "campaign": ["annual", None],
        }
    )


def pulled_share() -> pl.DataFrame:
    """The same post as the pull stores it: a reshare-like row without commentary or link."""
    return pl.DataFrame(
        {
            "platform": ["linkedin"],
            "post_id": [SHARE_A],
            "account_id": [ORG],
            "created_at": [utc(2026, 11, 20, 9, 15)],
            "text": [None],
            "kind": ["share"],
            "url": [SHARE_URL],
        },
        schema_overrides={"text": pl.String},
    )


def snapshots(rows: list[tuple[str, datetime, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "platform": ["linkedin"] * len(rows),
            "post_id": [r[0] for r in rows],
            "as_of": [r[1] for r in rows],
            "impressions": [r[2] for r in rows],
            "clicks": [r[3] for r in rows],
        }
    )


def metrics_of(store: Store) -> list[tuple[str, datetime, int | None, int | None]]:
    m = store.read("post_metrics")
    return [
        (r[0], r[1], r[2], r[3])
        for r in m.select("post_id", "as_of", "impressions", "clicks").rows()
    ]


def test_rekey_merges_the_imported_activity_into_the_pulled_share(store: Store) -> None:
    store.upsert("posts", imported_posts())
    store.upsert(
        "post_metrics",
        snapshots([(ACT_A, utc(2026, 11, 21), 100, 5), (ACT_A, utc(2026, 11, 23), 150, 8)]),
    )
    store.upsert("posts", pulled_share())
    store.upsert("post_metrics", snapshots([(SHARE_A, utc(2026, 11, 22), 120, 6)]))
    store.upsert(
        "touchpoints",
        pl.DataFrame(
            {
                "contact_id": ["c1"],
                "ts": [utc(2026, 11, 21, 10)],
                "channel": ["linkedin"],
                "ref": ["s1"],
                "platform": ["linkedin"],
                "kind": ["post_click"],
                "post_id": [ACT_A],
            }
        ),
    )

    assert rekey_linkedin_posts(store) == 1

    posts = store.read("posts")
    assert posts["post_id"].to_list() == [ACT_ALONE, SHARE_A]  # the lone activity stays
    share = posts.row(1, named=True)
    assert share["url"] == SHARE_URL  # the share's own values win
    assert share["created_at"] == utc(2026, 11, 20, 9, 15)
    assert share["kind"] == "share"
    assert share["text"] == "Our 2026 report is out"  # the share had none: from the activity
    assert (share["link_url"], share["utm_campaign"], share["campaign"]) == (
        LINK,
        "annual",
        "annual",
    )
    assert metrics_of(store) == [
        (SHARE_A, utc(2026, 11, 21), 100, 5),
        (SHARE_A, utc(2026, 11, 22), 120, 6),
        (SHARE_A, utc(2026, 11, 23), 150, 8),
    ]
    assert store.read("touchpoints")["post_id"].to_list() == [SHARE_A]

    before = store.read_all()
    assert rekey_linkedin_posts(store) == 0
    after = store.read_all()
    for name, df in before.items():
        assert after[name].equals(df), name


def test_rekey_keeps_the_share_snapshot_of_the_same_day(store: Store) -> None:
    store.upsert("posts", pl.concat([imported_posts().head(1), pulled_share()], how="diagonal"))
    day = utc(2026, 11, 22)
    store.upsert("post_metrics", snapshots([(ACT_A, day, 100, 5), (SHARE_A, day, 120, 6)]))
    assert rekey_linkedin_posts(store) == 1
    assert metrics_of(store) == [(SHARE_A, day, 120, 6)]
    assert store.read("posts")["post_id"].to_list() == [SHARE_A]


def test_rekey_leaves_an_ambiguous_activity_alone(store: Store) -> None:
    ugc = pulled_share().with_columns(pl.lit(UGC_B).alias("post_id"))
    store.upsert(
        "posts", pl.concat([imported_posts().head(1), pulled_share(), ugc], how="diagonal")
    )
    assert rekey_linkedin_posts(store) == 0
    assert store.read("posts")["post_id"].to_list() == [ACT_A, SHARE_A, UGC_B]


def test_an_import_loads_straight_under_the_stored_share_and_stays_undoable(
    store: Store,
) -> None:
    store.upsert("posts", pulled_share())
    store.upsert("post_metrics", snapshots([(SHARE_A, utc(2026, 11, 22), 120, 6)]))
    stored = store.read_all()
    frames = {
        "posts": imported_posts(),
        "post_metrics": snapshots(
            [
                (ACT_A, utc(2026, 11, 21), 100, 5),
                (ACT_A, utc(2026, 11, 22), 110, 4),  # the share has this day: dropped
                (ACT_ALONE, utc(2026, 11, 21), 30, 1),
            ]
        ),
    }
    got = rekey_import(store, frames)
    assert sorted(got["posts"]["post_id"].to_list()) == [ACT_ALONE, SHARE_A]
    row = got["posts"].filter(pl.col("post_id") == SHARE_A).row(0, named=True)
    assert (row["url"], row["kind"], row["text"]) == (SHARE_URL, "share", "Our 2026 report is out")
    assert sorted(got["post_metrics"].select("post_id", "as_of").rows()) == [
        (ACT_ALONE, utc(2026, 11, 21)),
        (SHARE_A, utc(2026, 11, 21)),
    ]

    result = load_batch(store, got, target="linkedin-page acme_content.xls")
    assert rekey_linkedin_posts(store) == 0  # nothing left to merge after such a load
    assert store.read("posts")["post_id"].to_list() == [ACT_ALONE, SHARE_A]
    assert metrics_of(store) == [
        (ACT_ALONE, utc(2026, 11, 21), 30, 1),
        (SHARE_A, utc(2026, 11, 21), 100, 5),
        (SHARE_A, utc(2026, 11, 22), 120, 6),
    ]
    undo(store, result.batch_id)
    after = store.read_all()
    for name, df in stored.items():
        assert after[name].equals(df), name


def test_rekey_import_without_a_sure_stored_share_changes_nothing(store: Store) -> None:
    frames = {"posts": imported_posts()}
    assert rekey_import(store, frames)["posts"].equals(imported_posts())
    # The file itself holds UGC_B (a ugcPost link, 1413 ms from ACT_A) and the store SHARE_A
    # (87 ms): two candidates, so ACT_A keeps its id.
    store.upsert("posts", pulled_share())
    ugc = imported_posts().head(1).with_columns(pl.lit(UGC_B).alias("post_id"))
    frames = {"posts": pl.concat([imported_posts(), ugc])}
    assert rekey_import(store, frames)["posts"]["post_id"].to_list() == [ACT_A, ACT_ALONE, UGC_B]


# --- the pull ---------------------------------------------------------------------------------

#: The pulled fixture's SHARE is 7261000000000000001 = 1731157302856 × 4194304 + 1867777, so
#: 1731157302856 ms; this activity is 1731157303106 × 4194304 + 42, 250 ms later. (Its creation
#: time in the fixture, 2026-11-20, does not agree with its id: matching reads the ids alone.)
#: UGC is 7259000000000000002 = 1730680465698 × 4194304 + 1015810: 5.5 days before, no candidate.
ACT_OF_SHARE = "urn:li:activity:7261000001046708266"


def test_pulling_linkedin_posts_merges_the_imported_activity(
    store: Store, make_context: MakeContext
) -> None:
    imported = (
        imported_posts()
        .head(1)
        .with_columns(
            pl.lit(ACT_OF_SHARE).alias("post_id"),
            pl.lit(f"https://www.linkedin.com/feed/update/{ACT_OF_SHARE}/").alias("url"),
        )
    )
    store.upsert("posts", imported)
    store.upsert("post_metrics", snapshots([(ACT_OF_SHARE, utc(2026, 11, 21), 100, 5)]))
    posts_stream = next(s for s in linkedin.STREAMS if s.name == "posts")
    with responses.RequestsMock() as rsps:
        add_posts(rsps)
        result = run_stream(store, linkedin_adapter(make_context), posts_stream)
    assert result.ok, result.error
    assert result.cursor == {"created_at": "2026-11-20T09:15:00+00:00"}
    assert store.get_state("linkedin", "posts")["cursor"] == result.cursor  # type: ignore[index]
    posts = store.read("posts")
    assert sorted(posts["post_id"].to_list()) == sorted(
        [SHARE, UGC, "urn:li:share:7200000000000000003"]
    )
    share = posts.filter(pl.col("post_id") == SHARE).row(0, named=True)
    assert share["url"] == f"https://www.linkedin.com/feed/update/{SHARE}/"
    assert share["text"].startswith("Our 2026 report is out: what 300 IT leaders")  # the API's
    assert metrics_of(store) == [(SHARE, utc(2026, 11, 21), 100, 5)]
