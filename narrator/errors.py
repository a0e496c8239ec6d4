"""Every error narrator raises on purpose.

Each error knows where it comes from (``file:line:col`` when it concerns a
narrative file) and ends with what to do about it. Foreign exceptions
(sqlalchemy, discord.py, httpx, jinja2, tomllib) are translated into this tree
at the one module that imports the foreign library.

::

    NarratorError
    ├── UsageError                 bad command-line usage or input (exit 2)
    ├── ConfigError                narrator.toml, missing token or key, unknown profile (exit 2)
    ├── NarrativeInvalid           one or more load-time Problems of a narrative file (exit 2)
    ├── StateError                 the state store refused or failed
    │   ├── InvalidKey             empty, whitespace, control characters, too long
    │   ├── InvalidValue           not JSON-serialisable
    │   └── VersionConflict        compare-and-set lost the race
    ├── ActFailed                  an act could not complete (exit 1)
    │   ├── ReferenceFailed        a reference in an act's arguments did not resolve
    │   ├── NotConfigured          the act needs a platform or model that is not configured
    │   │   └── GuildMissing       a command needs a guild and none resolved
    │   ├── DestructiveRefused     a destructive command without permission
    │   ├── PlatformError          Discord (or another platform) said no
    │   │   ├── PermissionDenied   403 / missing permission
    │   │   ├── ResourceNotFound   404 / unknown channel, role, message ...
    │   │   └── RateLimited        gave up waiting on a 429
    │   ├── ProviderError          a model provider said no
    │   └── BudgetExhausted        no budget left for this call
    └── RunNotFound                no run with that id
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a narrative file: 1-based line and column."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a narrative file, printed as ``PATH:LINE:COL: message``."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class NarratorError(Exception):
    """Base of every error narrator raises on purpose.

    ``str(error)`` is the whole message a user sees: where, what, and the fix.
    """

    exit_code = 1

    def __init__(
        self, message: str, *, location: Location | None = None, hint: str | None = None
    ) -> None:
        self.message = message
        self.location = location
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text = f"{text}\n  hint: {self.hint}"
        return text

    def __str__(self) -> str:
        return self.render()


class UsageError(NarratorError):
    """Bad command-line usage or input."""

    exit_code = 2


class ConfigError(NarratorError):
    """Configuration is missing or wrong."""

    exit_code = 2


class NarrativeInvalid(NarratorError):
    """A narrative file has one or more problems; all of them are in ``problems``."""

    exit_code = 2

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(
            problems, key=lambda p: (p.location.path, p.location.line, p.location.col)
        )
        first = self.problems[0] if self.problems else None
        super().__init__(
            "\n".join(str(p) for p in self.problems) or "invalid narrative",
            location=None,
        )
        self.first = first


class StateError(NarratorError):
    """The state store refused or failed."""


class InvalidKey(StateError):
    """A state key that cannot be stored."""

    exit_code = 2


class InvalidValue(StateError):
    """A state value that cannot be stored."""

    exit_code = 2


class VersionConflict(StateError):
    """Compare-and-set found another version than expected."""


class ActFailed(NarratorError):
    """An act could not complete."""

    def __init__(
        self,
        message: str,
        *,
        act: str | None = None,
        location: Location | None = None,
        hint: str | None = None,
    ) -> None:
        self.act = act
        if act and not message.startswith(f"act '{act}'"):
            message = f"act '{act}': {message}"
        super().__init__(message, location=location, hint=hint)


class ReferenceFailed(ActFailed):
    """A reference in an act did not resolve (missing state key, variable, act output)."""


class NotConfigured(ActFailed):
    """The act needs a platform or a model that is not configured."""


class GuildMissing(NotConfigured):
    """A command needs a guild and none resolved (``narrator.guilds.missing_guild``)."""


class DestructiveRefused(ActFailed):
    """A destructive command was refused for lack of explicit permission."""


class PlatformError(ActFailed):
    """A platform (Discord) refused or failed a command."""


class PermissionDenied(PlatformError):
    """The bot lacks a permission."""


class ResourceNotFound(PlatformError):
    """A channel, role, message ... does not exist."""


class RateLimited(PlatformError):
    """Rate limited for longer than we are willing to wait."""


class ProviderError(ActFailed):
    """A model provider refused or failed a request."""


class BudgetExhausted(ActFailed):
    """No budget left for this call."""


class RunNotFound(NarratorError):
    """No run with that id."""

    exit_code = 2


def did_you_mean(name: str, candidates: list[str] | tuple[str, ...] | set[str]) -> str | None:
    """Return ``did you mean 'x'?`` for the closest candidate, or None."""
    import difflib

    matches = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None
