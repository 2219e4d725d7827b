"""socialroi: which deals did our social contacts bring in, what did it cost, and which policy pays.

The public Python API. Notebooks and the CLI both call what is listed in ``__all__``::

    import socialroi as sr

    with sr.Store.open("reports/demo/socialroi.duckdb", read_only=True) as store:
        result = sr.analyze(store, settings=sr.load_config())
    result.summary                      # social-credited and social-sourced revenue, ROI…
    sr.write_report(result, "reports/socialroi-report.html")

`sr.compute(tables, as_of=...)` is the same analysis on frames, with no store.

Heavy parts (the report, the demo generator) are imported on first use, so ``import socialroi``
stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from socialroi.errors import (
    AuthFailed,
    ConfigError,
    DataError,
    PartialSuccess,
    RateLimited,
    SocialROIError,
    StoreError,
    StoreLocked,
    UpstreamError,
)

if TYPE_CHECKING:
    from socialroi.adapters.files import import_file, read_table_file
    from socialroi.adapters.importer import import_export, read_export
    from socialroi.adapters.sync import pull
    from socialroi.analysis import analyze, prepare
    from socialroi.config import Settings
    from socialroi.config import load as load_config
    from socialroi.core.attribution import (
        RULE_MODELS,
        attribute,
        credit_models,
        credit_touches,
        summarize,
    )
    from socialroi.core.conversions import deal_conversions, lead_conversions
    from socialroi.core.identity import resolve as resolve_identity
    from socialroi.core.kpis import Analysis, Summary, compute
    from socialroi.core.period import Period, parse_period
    from socialroi.core.pipeline import Pipeline
    from socialroi.demo import generate as generate_demo
    from socialroi.demo import write_demo
    from socialroi.monthly import run_monthly
    from socialroi.policy import PolicyComparison
    from socialroi.policy import compare as compare_policies
    from socialroi.policy_file import load_policies
    from socialroi.reports import write_report
    from socialroi.reports.export import write_exports
    from socialroi.store import Store

__version__ = "0.1.0"

_LAZY: dict[str, tuple[str, str]] = {
    "Settings": ("socialroi.config", "Settings"),
    "load_config": ("socialroi.config", "load"),
    "Store": ("socialroi.store", "Store"),
    "analyze": ("socialroi.analysis", "analyze"),
    "prepare": ("socialroi.analysis", "prepare"),
    "compute": ("socialroi.core.kpis", "compute"),
    "Analysis": ("socialroi.core.kpis", "Analysis"),
    "Summary": ("socialroi.core.kpis", "Summary"),
    "Period": ("socialroi.core.period", "Period"),
    "Pipeline": ("socialroi.core.pipeline", "Pipeline"),
    "PolicyComparison": ("socialroi.policy", "PolicyComparison"),
    "attribute": ("socialroi.core.attribution", "attribute"),
    "credit_models": ("socialroi.core.attribution", "credit_models"),
    "credit_touches": ("socialroi.core.attribution", "credit_touches"),
    "summarize": ("socialroi.core.attribution", "summarize"),
    "RULE_MODELS": ("socialroi.core.attribution", "RULE_MODELS"),
    "lead_conversions": ("socialroi.core.conversions", "lead_conversions"),
    "deal_conversions": ("socialroi.core.conversions", "deal_conversions"),
    "resolve_identity": ("socialroi.core.identity", "resolve"),
    "generate_demo": ("socialroi.demo", "generate"),
    "write_demo": ("socialroi.demo", "write_demo"),
    "import_file": ("socialroi.adapters.files", "import_file"),
    "read_table_file": ("socialroi.adapters.files", "read_table_file"),
    "import_export": ("socialroi.adapters.importer", "import_export"),
    "read_export": ("socialroi.adapters.importer", "read_export"),
    "write_report": ("socialroi.reports", "write_report"),
    "write_exports": ("socialroi.reports.export", "write_exports"),
    "pull": ("socialroi.adapters.sync", "pull"),
    "compare_policies": ("socialroi.policy", "compare"),
    "load_policies": ("socialroi.policy_file", "load_policies"),
    "parse_period": ("socialroi.core.period", "parse_period"),
    "run_monthly": ("socialroi.monthly", "run_monthly"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'socialroi' has no attribute '{name}'") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


__all__ = [
    "RULE_MODELS",
    "Analysis",
    "AuthFailed",
    "ConfigError",
    "DataError",
    "PartialSuccess",
    "Period",
    "Pipeline",
    "PolicyComparison",
    "RateLimited",
    "Settings",
    "SocialROIError",
    "Store",
    "StoreError",
    "StoreLocked",
    "Summary",
    "UpstreamError",
    "analyze",
    "attribute",
    "compare_policies",
    "compute",
    "credit_models",
    "credit_touches",
    "deal_conversions",
    "generate_demo",
    "import_export",
    "import_file",
    "lead_conversions",
    "load_config",
    "load_policies",
    "parse_period",
    "prepare",
    "pull",
    "read_export",
    "read_table_file",
    "resolve_identity",
    "run_monthly",
    "summarize",
    "write_demo",
    "write_exports",
    "write_report",
]
