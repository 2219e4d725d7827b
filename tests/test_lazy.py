"""tests/lazy.py: a library is imported by the first test that uses it, not at collection."""

from __future__ import annotations

import importlib
import sys

import pytest

from tests.lazy import lazy


def test_a_lazy_module_is_imported_on_its_first_public_attribute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = "wave"  # a standard-library module nothing in the suite imports
    monkeypatch.delitem(sys.modules, name, raising=False)
    module = lazy(name)
    # pytest's collection probes every module global for private and dunder names
    assert not hasattr(module, "_fixture_function_marker")
    assert not hasattr(module, "__test__")
    assert name not in sys.modules
    assert module.Error is importlib.import_module(name).Error
    assert name in sys.modules
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018
