"""socialroi: which deals did our social contacts bring in, what did it cost, and which policy pays.

The public Python API. Notebooks and the CLI both call what is listed in ``__all__``.
"""

from __future__ import annotations

from socialroi.config import Settings
from socialroi.config import load as load_config
from socialroi.errors import (
    ConfigError,
    DataError,
    PartialSuccess,
    RateLimited,
    SocialROIError,
    StoreError,
    StoreLocked,
    UpstreamError,
)
from socialroi.store import Store

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DataError",
    "PartialSuccess",
    "RateLimited",
    "Settings",
    "SocialROIError",
    "Store",
    "StoreError",
    "StoreLocked",
    "UpstreamError",
    "load_config",
]
