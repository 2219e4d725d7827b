"""Reference libraries imported when a test first uses them, not when the suite is collected.

Every xdist worker collects (imports) every test module, so a module-level
`import statsmodels.api` costs each worker over a second before any test runs, whether or not
that worker runs the tests that use it. `sm = lazy("statsmodels.api")` imports on the first
attribute read instead.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for module `name`; imports it on the first attribute read."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):  # pytest probes every module global (fixture markers, __test__)
            raise AttributeError(attr)
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


def lazy(name: str) -> Any:
    """Module `name`, imported on first use (typed Any, as the untyped reference libraries are)."""
    return LazyModule(name)
