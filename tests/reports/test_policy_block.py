"""The report's policy comparison: computed once, its recommendation in the summary; without the
policy engine, the observed months per policy instead."""

from __future__ import annotations

import html

import pytest

from socialroi import Settings, Store
from socialroi.analysis import analyze, read_tables
from socialroi.core.kpis import compute
from socialroi.policy_file import load_policies
from socialroi.reports import _policy_block as block
from socialroi.reports import write_report
from socialroi.reports.html import SECTIONS
from tests.reports.fixture import AS_OF, tables


def test_summary_shows_the_comparisons_recommendation(fixture_store, tmp_path, monkeypatch):
    calls = []
    engine = block._engine()
    if engine is None:
        pytest.skip("the policy engine is not installed")
    compare, section = engine
    load = load_policies

    def counted(*args, **kwargs):
        calls.append(kwargs)
        return compare(*args, **kwargs)

    monkeypatch.setattr(block, "_engine", lambda: (counted, section))
    with Store.open(fixture_store, read_only=True) as store:
        a = analyze(store, settings=Settings())
        t = read_tables(store)
    out = write_report(a, tmp_path / "r.html", options=load(None, Settings()))
    assert len(calls) == 1  # once per report
    assert calls[0]["draws"] == block.REPORT_DRAWS
    assert calls[0]["options"] == load(None, Settings())
    # on the analysis' own pipeline: the same as a comparison on the tables at the same date
    assert calls[0].get("as_of") is None
    same = compare(
        t,
        options=load(None, Settings()),
        as_of=a.as_of,
        draws=block.REPORT_DRAWS,
        seed=0,
        currency=a.currency,
        months=block.REPORT_MONTHS,
    )
    expected = section.recommendation(same, block.context(a)).headline
    doc = out.read_text(encoding="utf-8")
    summary = doc[doc.index('<section id="summary">') : doc.index('<section id="deals">')]
    assert "Recommendation (simulated options)" in summary
    assert html.escape(expected) in summary
    assert f"{block.REPORT_DRAWS:,} draws" in doc  # the method notes say how many


def test_a_comparison_the_caller_has_is_not_computed_again(fixture_store, tmp_path, monkeypatch):
    engine = block._engine()
    if engine is None:
        pytest.skip("the policy engine is not installed")
    compare, section = engine
    with Store.open(fixture_store, read_only=True) as store:
        a = analyze(store, settings=Settings())
    mine = compare(a.pipeline, draws=300, seed=1, currency=a.currency)

    def refuse(*args, **kwargs):
        raise AssertionError("compared again")

    monkeypatch.setattr(block, "_engine", lambda: (refuse, section))
    doc = write_report(a, tmp_path / "r.html", policy=mine).read_text(encoding="utf-8")
    assert html.escape(section.recommendation(mine, block.context(a)).headline) in doc
    assert "300 draws" in doc


def test_without_the_engine_the_observed_view(monkeypatch, fixture_store, tmp_path):
    monkeypatch.setattr(block, "_engine", lambda: None)
    with Store.open(fixture_store, read_only=True) as store:
        out = write_report(analyze(store, settings=Settings()), tmp_path / "r.html")
    doc = out.read_text(encoding="utf-8")
    assert "Recommendation (observed months, no simulation)" in doc


def test_observed_block_by_hand():
    t = tables()
    a = compute(t, as_of=AS_OF)
    b = block.observed_block(a)
    assert not b.simulated
    periods = a.policy_periods
    if periods.height == 0:
        assert "No policy periods" in b.html
    else:
        assert "<table" in b.html
        assert "Observed so far" in b.recommendation


def test_an_empty_store_still_gets_a_report(tmp_path):
    path = tmp_path / "empty.duckdb"
    with Store.open(path) as store:
        store.set_meta("as_of", "2026-01-01T00:00:00+00:00")
    with Store.open(path, read_only=True) as store:
        doc = write_report(analyze(store, settings=Settings()), tmp_path / "r.html").read_text(
            "utf-8"
        )
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in doc
    if block._engine() is not None:  # nothing to project from: said so, no number
        summary = doc[doc.index('<section id="summary">') : doc.index('<section id="deals">')]
        assert "We cannot tell yet" in summary or "could not be simulated" in summary
    assert "No policy periods recorded" in doc
