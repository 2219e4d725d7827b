"""UTM parameters and tracked-link codes from post links."""

from __future__ import annotations

from socialroi.adapters._utm import link_columns, parse_utm
from socialroi.core.links import make_link_code


def test_utm_values_are_decoded_and_names_case_insensitive():
    utm = parse_utm(
        "https://acme.example/p?UTM_Source=linkedin&utm_medium=social&utm_campaign=Spring%20Sale+2026"
    )
    assert utm["utm_source"] == "linkedin"
    assert utm["utm_medium"] == "social"
    assert utm["utm_campaign"] == "Spring Sale 2026"
    assert utm["utm_content"] is None
    assert utm["link_code"] is None


def test_a_tracked_link_code_in_utm_content_is_recognised():
    code = make_link_code("x", "1850000000000000001", "e014")
    utm = parse_utm(f"https://acme.example/?utm_content={code}&utm_term=crm")
    assert utm["utm_content"] == code
    assert utm["link_code"] == code
    assert utm["utm_term"] == "crm"
    assert parse_utm("https://acme.example/?utm_content=banner")["link_code"] is None


def test_no_query_empty_values_and_none():
    assert set(parse_utm(None).values()) == {None}
    assert set(parse_utm("https://acme.example/path").values()) == {None}
    assert parse_utm("https://a.example/?utm_source=&utm_source=x")["utm_source"] == "x"


def test_link_columns_fill_the_posts_table():
    cols = link_columns("https://a.example/?utm_source=x")
    assert cols == {
        "link_url": "https://a.example/?utm_source=x",
        "utm_source": "x",
        "utm_medium": None,
        "utm_campaign": None,
        "utm_content": None,
        "utm_term": None,
    }
    assert link_columns(None)["link_url"] is None
