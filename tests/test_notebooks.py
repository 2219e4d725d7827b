"""The notebooks in reports/ run top to bottom against a demo store, through the public API only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from socialroi.demo import generate, write_demo
from socialroi.store import Store

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "reports").glob("*.ipynb"))


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("nb") / "socialroi.duckdb"
    with Store.open(path) as store:
        write_demo(generate(seed=11, months=18), store)
    return path


def test_the_three_notebooks_are_there():
    assert [p.stem for p in NOTEBOOKS] == [
        "attribution-deep-dive",
        "monthly-review",
        "policy-what-if",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs_and_uses_only_the_public_api(path):
    import nbformat  # here, not at collection: every worker collects this module

    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    nbformat.validate(nb)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    private = re.findall(
        r"socialroi\.[\w.]*\._\w+|from socialroi\.(?:core|policy|adapters)\b", source
    )
    assert not private, f"{path.name} reaches past the public API: {private}"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, demo_store, tmp_path, monkeypatch):
    monkeypatch.setenv("SOCIALROI_STORE", str(demo_store))
    monkeypatch.delenv("SOCIALROI_CONFIG", raising=False)
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    NotebookClient(
        nb, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    last = nb.cells[-1].outputs
    assert last, f"{path.name}: the last cell shows nothing"
