"""narrator: run narratives — TOML files of acts that drive Discord and language models.

The public door. Heavy parts (the parser, the executor, the state store) are
imported on first use so ``import narrator`` stays cheap.
"""

from __future__ import annotations

from typing import Any

from narrator.errors import (
    ActFailed,
    BudgetExhausted,
    ConfigError,
    DestructiveRefused,
    Location,
    NarrativeInvalid,
    NarratorError,
    NotConfigured,
    PermissionDenied,
    PlatformError,
    Problem,
    ProviderError,
    RateLimited,
    ReferenceFailed,
    ResourceNotFound,
    StateError,
    UsageError,
)

__version__ = "0.1.0"

_LAZY = {
    "parse": "narrator.parser",
    "parse_file": "narrator.parser",
    "Plan": "narrator.plan",
    "Act": "narrator.plan",
    "Executor": "narrator.executor",
    "Services": "narrator.executor",
    "RunOutcome": "narrator.executor",
    "open_database": "narrator.state",
}

__all__ = [
    "Act",
    "ActFailed",
    "BudgetExhausted",
    "ConfigError",
    "DestructiveRefused",
    "Executor",
    "Location",
    "NarrativeInvalid",
    "NarratorError",
    "NotConfigured",
    "PermissionDenied",
    "Plan",
    "PlatformError",
    "Problem",
    "ProviderError",
    "RateLimited",
    "ReferenceFailed",
    "ResourceNotFound",
    "RunOutcome",
    "Services",
    "StateError",
    "UsageError",
    "__version__",
    "open_database",
    "parse",
    "parse_file",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'narrator' has no attribute {name!r}")
