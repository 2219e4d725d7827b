"""`socialroi link`: tracked links for employee advocacy, read back by the session classifier."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, date, datetime

import polars as pl
import pytest
from click.testing import CliRunner

from socialroi import Store, clock
from socialroi.adapters._utm import parse_utm
from socialroi.cli import main
from socialroi.core.channels import classify_sessions

DAY = datetime(2026, 9, 14, 8, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fixed_day(monkeypatch, tmp_path):
    monkeypatch.setattr(clock, "now", lambda: DAY)
    monkeypatch.delenv("SOCIALROI_CONFIG", raising=False)
    monkeypatch.delenv("SOCIALROI_STORE", raising=False)
    monkeypatch.chdir(tmp_path)


def link(*args: str):
    return CliRunner().invoke(main, ["link", *args])


def made_id(url: str, platform: str, employee: str, campaign: str = "") -> str:
    """The documented recipe: the day, then 6 hex digits of sha256(url, platform, employee,
    campaign joined by newlines)."""
    key = f"{url}\n{platform}\n{employee}\n{campaign}"
    return "20260914-" + hashlib.sha256(key.encode()).hexdigest()[:6]


def test_one_link_keeps_query_and_fragment_and_replaces_utms():
    result = link(
        "https://example.com/offer?ref=nav&utm_source=newsletter&UTM_Medium=email&q=a%20b#pricing",
        "--employee",
        "e014",
        "--platform",
        "LinkedIn",
        "--campaign",
        "Q3 launch",
        "--post-id",
        "7712",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "https://example.com/offer?ref=nav&q=a%20b&utm_source=linkedin&utm_medium=social"
        "&utm_campaign=Q3%20launch&utm_content=sr~linkedin~7712~e014#pricing\n"
    )


def test_source_and_medium_can_be_overridden_and_brand_posts_say_brand():
    result = link(
        "http://example.com",
        "--employee",
        "brand",
        "--platform",
        "twitter",
        "--post-id",
        "p1",
        "--source",
        "twitter.com",
        "--medium",
        "social-network",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "http://example.com/?utm_source=twitter.com&utm_medium=social-network"
        "&utm_content=sr~x~p1~brand\n"
    )


def test_without_post_id_the_id_is_the_day_and_a_stable_hash():
    url = "https://example.com/blog/launch"
    first = link(url, "--employee", "e7", "--platform", "x", "--campaign", "launch")
    again = link(url, "--employee", "e7", "--platform", "x", "--campaign", "launch")
    other = link(url, "--employee", "e8", "--platform", "x", "--campaign", "launch")
    assert first.exit_code == 0, first.output
    post = made_id(url, "x", "e7", "launch")
    assert first.stdout == (
        f"{url}?utm_source=x&utm_medium=social&utm_campaign=launch&utm_content=sr~x~{post}~e7\n"
    )
    assert again.stdout == first.stdout
    assert f"~{made_id(url, 'x', 'e8', 'launch')}~e8" in other.stdout
    assert made_id(url, "x", "e8", "launch") != post


@pytest.mark.parametrize(
    ("platform", "source", "post", "employee"),
    [
        ("LinkedIn", "linkedin", "7712", "e014"),
        ("x", "x", "1801", "e2"),
        ("facebook", "facebook", "p9", "brand"),
        ("ig", "instagram", "C3xyz", "e3"),
        ("bsky", "bluesky", "3kabc", "e4"),
    ],
)
def test_round_trip_a_printed_link_is_classified_as_that_post_and_employee(
    platform, source, post, employee
):
    result = link(
        "https://example.com/p?x=1",
        "--employee",
        employee,
        "--platform",
        platform,
        "--campaign",
        "autumn",
        "--post-id",
        post,
    )
    assert result.exit_code == 0, result.output
    utm = parse_utm(result.stdout.strip())
    assert utm["utm_source"] == source
    assert utm["link_code"] == utm["utm_content"]
    session = pl.DataFrame(
        {
            "session_id": ["s1"],
            "source": [utm["utm_source"]],
            "medium": [utm["utm_medium"]],
            "content": [utm["utm_content"]],
            "campaign": [utm["utm_campaign"]],
        }
    )
    got = classify_sessions(session).row(0, named=True)
    canonical = source
    assert got == {
        "session_id": "s1",
        "source": source,
        "medium": "social",
        "content": f"sr~{canonical}~{post}~{employee}",
        "campaign": "autumn",
        "channel": canonical,
        "platform": canonical,
        "kind": "post_click",
        "post_id": post,
        "employee_id": None if employee == "brand" else employee,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["example.com/p", "--employee", "e1", "--platform", "x"], "not an http(s) URL"),
        (["ftp://example.com/p", "--employee", "e1", "--platform", "x"], "not an http(s) URL"),
        (["https://", "--employee", "e1", "--platform", "x"], "not a valid URL"),
        (["https://e.com", "--employee", "e1", "--platform", "tiktok"], "'tiktok' is not a social"),
        (["https://e.com", "--employee", "e1", "--platform", "google_ads"], "not a social"),
        (["https://e.com", "--employee", "e~1", "--platform", "x"], "must not be empty nor hold"),
        (["https://e.com", "--employee", "e1", "--platform", "x", "--post-id", "a~b"], "hold '~'"),
        (["https://e.com", "--platform", "x"], "--employee ID is required"),
        (["https://e.com", "--employee", "e1"], "give one --platform"),
        (["https://e.com", "--employee", "e1", "--platform", "x", "--platform", "fb"], "one"),
        (["--all", "https://e.com", "--employee", "e1"], "leave out --employee"),
        (["--all", "https://e.com", "--post-id", "p1"], "--post-id names one post"),
    ],
)
def test_bad_input_is_a_usage_error(args, message):
    result = link(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""


def employees_store(path, advocates: dict[str, bool | None]) -> None:
    names = {"e1": "Ana Silva", "e2": "Ben Okafor", "e3": "Chloé Martin", "e4": "Dev Patel"}
    ids = list(advocates)
    df = pl.DataFrame(
        {
            "employee_id": ids,
            "name": [names[i] for i in ids],
            "start_date": [date(2024, 1, 1)] * len(ids),
            # e4 left in August: not current on 2026-09-14
            "end_date": [date(2026, 8, 31) if i == "e4" else None for i in ids],
            "advocate": [advocates[i] for i in ids],
        },
        schema_overrides={"advocate": pl.Boolean},
    )
    with Store.open(path) as store:
        store.upsert("employees", df)


def test_all_makes_one_link_per_advocate_and_platform_as_csv(tmp_path):
    store = tmp_path / "s.duckdb"
    employees_store(store, {"e1": True, "e2": False, "e3": True, "e4": None})
    url = "https://example.com/launch"
    result = link("--all", url, "--format", "csv", "--campaign", "fall", "--store", str(store))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["employee_id", "name", "platform", "url"]

    def expected(emp: str, platform: str) -> str:
        post = made_id(url, platform, emp, "fall")
        return (
            f"{url}?utm_source={platform}&utm_medium=social&utm_campaign=fall"
            f"&utm_content=sr~{platform}~{post}~{emp}"
        )

    assert rows[1:] == [
        ["e1", "Ana Silva", "linkedin", expected("e1", "linkedin")],
        ["e1", "Ana Silva", "x", expected("e1", "x")],
        ["e1", "Ana Silva", "facebook", expected("e1", "facebook")],
        ["e3", "Chloé Martin", "linkedin", expected("e3", "linkedin")],
        ["e3", "Chloé Martin", "x", expected("e3", "x")],
        ["e3", "Chloé Martin", "facebook", expected("e3", "facebook")],
    ]


def test_all_without_flagged_advocates_takes_current_employees_and_says_so(tmp_path):
    store = tmp_path / "s.duckdb"
    employees_store(store, {"e1": None, "e2": False, "e4": None})
    result = link(
        "--all",
        "https://example.com/",
        "--platform",
        "Instagram",
        "--platform",
        "lnkd.in",
        "--platform",
        "ig",
        "--format",
        "json",
        "--store",
        str(store),
    )
    assert result.exit_code == 0, result.output
    assert "no employee is flagged as an advocate" in result.stderr
    assert "all 2 current employees" in result.stderr
    got = [(r["employee_id"], r["name"], r["platform"]) for r in json.loads(result.stdout)]
    assert got == [
        ("e1", "Ana Silva", "instagram"),
        ("e1", "Ana Silva", "linkedin"),
        ("e2", "Ben Okafor", "instagram"),
        ("e2", "Ben Okafor", "linkedin"),
    ]


def test_all_with_no_employees_is_a_data_error(tmp_path):
    store = tmp_path / "s.duckdb"
    with Store.open(store):
        pass
    result = link("--all", "https://example.com/", "--store", str(store))
    assert result.exit_code == 1
    assert "the store has no employees" in result.stderr
