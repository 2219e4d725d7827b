"""Docs that are generated from the code stay in step with it."""

from pathlib import Path

from socialroi import schema

ROOT = Path(__file__).resolve().parents[1]


def test_data_model_doc_is_current():
    doc = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert doc == schema.markdown(), "regenerate docs/data-model.md (its header says how)"


def test_readme_quick_start_is_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme
    assert "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
