"""Session channel rules (GA4 defaults) and tracked-link codes."""

import re

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialroi.core.channels import classify_sessions, link_code_parts
from socialroi.core.links import make_link_code, parse_link_code


def classify(source, medium, content=None) -> dict[str, object]:
    df = pl.DataFrame(
        {"session_id": ["s1"], "source": [source], "medium": [medium], "content": [content]},
        schema=dict.fromkeys(("session_id", "source", "medium", "content"), pl.String),
    )
    return classify_sessions(df).row(0, named=True)


@pytest.mark.parametrize(
    ("source", "medium", "channel", "platform", "kind"),
    [
        ("linkedin.com", "referral", "linkedin", "linkedin", "web"),
        ("www.LinkedIn.com", "referral", "linkedin", "linkedin", "web"),
        ("lnkd.in", None, "linkedin", "linkedin", "web"),
        ("t.co", "referral", "x", "x", "web"),
        ("twitter.com", "social", "x", "x", "web"),
        ("X.com", "(none)", "x", "x", "web"),
        ("m.facebook.com", "referral", "facebook", "facebook", "web"),
        ("fb", "social", "facebook", "facebook", "web"),
        ("l.instagram.com", "referral", "instagram", "instagram", "web"),
        ("mastodon.social", "referral", "mastodon", "mastodon", "web"),
        ("bsky.app", "referral", "bluesky", "bluesky", "web"),
        ("facebook", "CPC", "paid_social", "facebook", "paid"),
        ("linkedin", "paid", "paid_social", "linkedin", "paid"),
        # GA4's Paid Social medium rule ^(.*cp.*|ppc|retargeting|paid.*)$, case-insensitive
        ("l.facebook.com", "paid_social", "paid_social", "facebook", "paid"),
        ("linkedin.com", "Paid-Social", "paid_social", "linkedin", "paid"),
        ("instagram", "retargeting", "paid_social", "instagram", "paid"),
        ("t.co", "cpm", "paid_social", "x", "paid"),
        ("x.com", "ppc", "paid_social", "x", "paid"),
        # not paid: the regex is anchored ('unpaid' neither starts with paid nor holds 'cp')
        ("linkedin.com", "unpaid", "linkedin", "linkedin", "web"),
        ("facebook.com", "retargeting-test", "facebook", "facebook", "web"),
        # a paid social medium from a source that is not social is not paid social
        ("newsletter-tool", "paid_social", "other", None, "web"),
        ("newsletter-tool", "social-media", "social_other", None, "web"),
        ("someblog.example", "Social Network", "social_other", None, "web"),
        ("(direct)", "(none)", "direct", None, "direct"),
        ("(direct)", "(not set)", "direct", None, "direct"),
        ("(direct)", None, "direct", None, "direct"),
        ("google", "organic", "organic_search", None, "search"),
        ("bing", "cpc", "paid_search", None, "paid"),
        ("google", "ppc", "paid_search", None, "paid"),
        ("mailchimp", "email", "email", None, "email"),
        ("mailchimp", "Newsletter", "email", None, "email"),
        ("mailer", "e-mail", "email", None, "email"),
        ("partner.example", "referral", "referral", None, "referral"),
        ("partner.example", "banner", "other", None, "web"),
        # 'sms' is not 'sm': the social mediums are matched whole
        ("textbot", "sms", "other", None, "web"),
    ],
)
def test_source_and_medium_decide_the_channel(source, medium, channel, platform, kind):
    got = classify(source, medium)
    assert (got["channel"], got["platform"], got["kind"]) == (channel, platform, kind)
    assert got["post_id"] is None
    assert got["employee_id"] is None


def test_link_code_names_post_employee_and_platform():
    got = classify("linkedin.com", "social", "sr~linkedin~7712~e014")
    assert got["channel"] == "linkedin"
    assert (got["platform"], got["post_id"], got["employee_id"], got["kind"]) == (
        "linkedin",
        "7712",
        "e014",
        "post_click",
    )


def test_link_code_gives_the_platform_when_only_the_medium_is_social():
    got = classify("shortener.example", "social", "sr~bluesky~p9~brand")
    assert (got["channel"], got["platform"], got["post_id"], got["employee_id"]) == (
        "bluesky",
        "bluesky",
        "p9",
        None,
    )


def test_paid_social_with_code_keeps_paid_channel():
    got = classify("facebook.com", "cpc", "sr~facebook~ad1~brand")
    assert (got["channel"], got["platform"], got["kind"]) == (
        "paid_social",
        "facebook",
        "post_click",
    )


PAID_SOCIAL_RE = re.compile(r"^(.*cp.*|ppc|retargeting|paid.*)$")


@settings(max_examples=60, deadline=None)
@given(
    source=st.sampled_from(["facebook.com", "t.co", "lnkd.in", "bsky.app", "instagram"]),
    medium=st.text(alphabet="cpaidrsoetgnml_-", max_size=14),
)
def test_a_social_source_is_paid_exactly_when_ga4s_medium_rule_matches(source, medium):
    got = classify(source, medium)
    paid = PAID_SOCIAL_RE.match(medium.strip().lower()) is not None
    assert (got["channel"] == "paid_social") == paid
    assert got["kind"] == ("paid" if paid else "web")


def test_text_that_is_not_a_code_is_ignored():
    for content in ("spring-banner", "sr~x~~e1", "sr~x~1", "xx~x~1~e1", "sr~x~1~e1~extra"):
        got = classify("x.com", "social", content)
        assert got["post_id"] is None, content
        assert got["kind"] == "web"


def test_input_columns_are_kept():
    df = pl.DataFrame({"session_id": ["s1"], "visitor_id": ["v1"], "source": ["t.co"]})
    got = classify_sessions(df)
    assert got.columns == ["session_id", "visitor_id", "source", *got.columns[3:]]
    assert got["channel"].to_list() == ["x"]


# printable ASCII, as in URLs
part = st.text(
    st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="~"),
    min_size=1,
    max_size=8,
)


@given(platform=part, post=part, employee=st.one_of(st.none(), part))
def test_vectorised_parser_agrees_with_parse_link_code(platform, post, employee):
    code = make_link_code(platform, post, employee)
    expected = parse_link_code(code)
    assert expected is not None
    df = pl.DataFrame({"c": [code]}).select(
        *(e.alias(n) for e, n in zip(link_code_parts(pl.col("c")), "abc", strict=True))
    )
    assert df.row(0) == (expected.platform.lower(), expected.post_id, expected.employee_id)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([None, "", "linkedin.com", " LNKD.IN", "google", "(direct)", "t.co"]),
            st.sampled_from([None, "", "referral", "CPC", "social", "(none)", "organic"]),
            st.sampled_from(
                [None, "", "hero", make_link_code("linkedin", "p1", "e1"), "srl:x:p2:brand"]
            ),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_each_session_is_classified_as_if_alone(rows):
    """Sessions sharing a (source, medium, content), nulls included, get that combination's
    answer, in their own order, with the columns they came with."""
    df = pl.DataFrame(
        {
            "session_id": [f"s{i}" for i in range(len(rows))],
            "source": [r[0] for r in rows],
            "medium": [r[1] for r in rows],
            "content": [r[2] for r in rows],
            "platform": ["stale"] * len(rows),  # an input column classification replaces
        },
        schema=dict.fromkeys(("session_id", "source", "medium", "content", "platform"), pl.String),
    )
    out = classify_sessions(df)
    assert out.columns == [
        "session_id", "source", "medium", "content", "channel", "platform", "kind", "post_id",
        "employee_id",
    ]  # fmt: skip
    assert out["session_id"].to_list() == df["session_id"].to_list()
    alone = [{**classify(*r), "session_id": f"s{i}"} for i, r in enumerate(rows)]
    assert out.rows(named=True) == alone
