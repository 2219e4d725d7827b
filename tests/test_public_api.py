"""The public API: every name in __all__ resolves, and a notebook-style run works end to end."""

import pytest

import socialroi as sr


@pytest.mark.parametrize("name", sr.__all__)
def test_every_public_name_resolves(name):
    assert getattr(sr, name) is not None


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = sr.nope


@pytest.mark.slow  # the whole demo
def test_demo_to_numbers_through_the_public_api(tmp_path):
    company = sr.generate_demo(seed=3, months=12)
    with sr.Store.open(tmp_path / "s.duckdb") as store:
        sr.write_demo(company, store)
    with sr.Store.open(tmp_path / "s.duckdb", read_only=True) as store:
        result = sr.analyze(store, settings=sr.Settings())
        report = sr.write_report(sr.analyze(store, settings=sr.Settings()), tmp_path / "r.html")
    won = company.tables["deals"].filter("won")["amount"].sum()
    assert result.summary.all_revenue == pytest.approx(won)
    assert report.read_text(encoding="utf-8").count("<script") >= 1
