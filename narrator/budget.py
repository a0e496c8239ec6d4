"""Token and request accounting: pure decisions, short windows, the ledger seam.

Two kinds of budget guard every model call of a profile:

* **Short windows** — ``rpm`` and ``tpm`` — live in this process, counted with
  the ``limits`` library (:class:`Windows`). When a window is full the call
  waits if the wait fits in the profile's ``max_wait``, else it stops.
* **Daily budgets** — ``rpd`` and ``tpd`` — live in a :class:`Ledger`: in the
  database (:mod:`narrator.state.ledger`) so separate processes and workers
  share them, or :class:`MemoryLedger` for one process. A spent daily budget
  always stops, until 00:00 UTC.

Each call *reserves* its estimate (prompt tokens estimated + ``max_tokens``)
before it is sent and *settles* to the provider's reported usage afterwards;
a failed call is *refunded*. ``budget_multiplier`` (0 < m <= 1) scales every
limit (:func:`scale`).

Everything but :class:`Windows` and :class:`MemoryLedger` is a pure function
of its arguments.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from narrator.config import ModelProfile
from narrator.protocols import Ledger, ModelRequest, UsageRow

__all__ = [
    "DEFAULT_COMPLETION_ESTIMATE",
    "Budget",
    "Ledger",
    "MemoryLedger",
    "Remaining",
    "Stop",
    "UsageRow",
    "Wait",
    "Windows",
    "daily_stop",
    "day_of",
    "decide_window",
    "estimate_prompt_tokens",
    "estimate_reservation",
    "exhausted_message",
    "next_reset",
    "scale",
]

DEFAULT_COMPLETION_ESTIMATE = 512  # reserved for an act without max_tokens
MESSAGE_OVERHEAD = 4  # tokens a chat format spends per message


# --------------------------------------------------------------------------- estimates


def estimate_prompt_tokens(request: ModelRequest) -> int:
    """A provider-independent estimate of the prompt: about four characters a token."""
    chars = len(request.system or "") + sum(len(m.content) for m in request.messages)
    messages = len(request.messages) + (1 if request.system else 0)
    return math.ceil(chars / 4) + MESSAGE_OVERHEAD * messages


def estimate_reservation(request: ModelRequest) -> int:
    """Tokens reserved before sending: the prompt estimate plus ``max_tokens``."""
    completion = request.max_tokens or DEFAULT_COMPLETION_ESTIMATE
    return estimate_prompt_tokens(request) + completion


# --------------------------------------------------------------------------- limits


def scale(limit: int | None, multiplier: float) -> int | None:
    """A limit times ``budget_multiplier``, rounded down, at least 1; None stays None."""
    if limit is None:
        return None
    if not 0 < multiplier <= 1:
        raise ValueError(f"budget_multiplier must be in (0, 1], got {multiplier}")
    return max(1, math.floor(limit * multiplier + 1e-9))


@dataclass(frozen=True, slots=True)
class Budget:
    """The limits that apply to one profile's calls, already scaled."""

    rpm: int | None = None
    tpm: int | None = None
    rpd: int | None = None
    tpd: int | None = None
    max_wait: float = 120.0

    @classmethod
    def of(cls, profile: ModelProfile | None, multiplier: float = 1.0) -> Budget:
        if profile is None:
            return cls()
        return cls(
            rpm=scale(profile.rpm, multiplier),
            tpm=scale(profile.tpm, multiplier),
            rpd=scale(profile.rpd, multiplier),
            tpd=scale(profile.tpd, multiplier),
            max_wait=profile.max_wait,
        )

    @property
    def has_daily(self) -> bool:
        return self.rpd is not None or self.tpd is not None


class Remaining(NamedTuple):
    """What is left of today's budget; None where there is no daily limit."""

    requests: int | None
    tokens: int | None


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True, slots=True)
class Wait:
    """Sleep ``seconds``, then try the window again."""

    seconds: float
    message: str


@dataclass(frozen=True, slots=True)
class Stop:
    """Give up on this call: no budget until ``until``."""

    until: datetime
    message: str


def day_of(now: datetime) -> str:
    """The UTC day a call is counted on: ``YYYY-MM-DD``."""
    return now.astimezone(UTC).date().isoformat()


def next_reset(now: datetime) -> datetime:
    """When daily budgets reset: the next 00:00 UTC."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


def exhausted_message(until: datetime, why: str) -> str:
    """``budget exhausted until HH:MM UTC (why)``."""
    return f"budget exhausted until {until.astimezone(UTC):%H:%M} UTC ({why})"


def decide_window(
    profile: str,
    window: str,
    wait_needed: float,
    waited: float,
    max_wait: float,
    now: datetime,
) -> Wait | Stop:
    """A full short window: wait if the total wait stays within ``max_wait``, else stop.

    ``waited`` is how long this call has already waited, so a call never waits
    more than ``max_wait`` in all.
    """
    wait_needed = max(0.0, wait_needed)
    if waited + wait_needed <= max_wait:
        return Wait(
            wait_needed,
            f"model profile '{profile}': {window} window full, waiting {wait_needed:.1f} s",
        )
    if math.isinf(wait_needed):
        until = now + timedelta(minutes=1)
        return Stop(
            until,
            exhausted_message(
                until,
                f"model profile '{profile}': this call may need more tokens than the whole "
                f"{window} window allows; lower the act's max_tokens or raise {window}",
            ),
        )
    until = now + timedelta(seconds=wait_needed)
    # round up to the next minute so "until HH:MM" is never in the past
    if until.second or until.microsecond:
        until = until.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return Stop(
        until,
        exhausted_message(
            until,
            f"model profile '{profile}': the {window} window needs {wait_needed:.0f} s, "
            f"more than max_wait = {max_wait:g} s",
        ),
    )


def daily_stop(profile: str, budget: Budget, used: UsageRow, estimate: int, now: datetime) -> Stop:
    """The stop decision when the ledger refused a reservation."""
    if budget.rpd is not None and used.requests + 1 > budget.rpd:
        why = (
            f"rpd = {budget.rpd} requests a day for model profile '{profile}', {used.requests} used"
        )
    else:
        why = (
            f"tpd = {budget.tpd} tokens a day for model profile '{profile}', "
            f"{used.tokens} used, this call needs up to {estimate}"
        )
    until = next_reset(now)
    return Stop(until, exhausted_message(until, why))


# --------------------------------------------------------------------------- windows


class Windows:
    """RPM and TPM windows per profile, counted with ``limits`` (sliding window).

    ``window`` is the window length in seconds (60: per minute); tests shorten
    it. :meth:`acquire` either takes one request and ``tokens`` from both
    windows at once, or takes nothing and says how long to wait.
    """

    def __init__(self, window: int = 60) -> None:
        self.window = window
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._lock = threading.Lock()

    def _item(self, amount: int) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(amount, self.window)

    def acquire(self, profile: str, budget: Budget, tokens: int) -> tuple[str, float] | None:
        """None when acquired; else ``(window name, seconds to wait)``.

        A call that needs more tokens than ``tpm`` allows can never fit: the
        wait is reported as infinite.
        """
        checks: list[tuple[str, RateLimitItemPerSecond, int]] = []
        if budget.rpm is not None:
            checks.append(("rpm", self._item(budget.rpm), 1))
        if budget.tpm is not None:
            if tokens > budget.tpm:
                return ("tpm", math.inf)
            checks.append(("tpm", self._item(budget.tpm), tokens))
        with self._lock:
            for name, item, cost in checks:
                if cost and not self._limiter.test(item, profile, name, cost=cost):
                    stats = self._limiter.get_window_stats(item, profile, name)
                    return (name, max(0.05, stats.reset_time - time.time()))
            for name, item, cost in checks:
                if cost:
                    self._limiter.hit(item, profile, name, cost=cost)
        return None

    def charge(self, profile: str, budget: Budget, extra_tokens: int) -> None:
        """Count tokens used beyond the estimate (a window cannot be refunded)."""
        if budget.tpm is not None and extra_tokens > 0:
            with self._lock:
                self._limiter.hit(self._item(budget.tpm), profile, "tpm", cost=extra_tokens)


# --------------------------------------------------------------------------- the ledger seam


class MemoryLedger:
    """A :class:`Ledger` for one process (no database)."""

    blocking = False  # fast enough to call on the event loop (no thread hop)

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], UsageRow] = {}
        self._lock = threading.Lock()

    def _row(self, profile: str, day: str) -> UsageRow:
        return self._rows.get((profile, day), UsageRow(profile, day))

    def reserve(
        self, profile: str, day: str, tokens: int, *, rpd: int | None, tpd: int | None
    ) -> bool:
        with self._lock:
            row = self._row(profile, day)
            if rpd is not None and row.requests + 1 > rpd:
                return False
            if tpd is not None and row.tokens + tokens > tpd:
                return False
            self._rows[(profile, day)] = UsageRow(
                profile,
                day,
                row.requests + 1,
                row.prompt_tokens,
                row.completion_tokens,
                row.reserved_tokens + tokens,
            )
            return True

    def settle(
        self, profile: str, day: str, reserved: int, prompt_tokens: int, completion_tokens: int
    ) -> None:
        with self._lock:
            row = self._row(profile, day)
            self._rows[(profile, day)] = UsageRow(
                profile,
                day,
                row.requests,
                row.prompt_tokens + prompt_tokens,
                row.completion_tokens + completion_tokens,
                max(0, row.reserved_tokens - reserved),
            )

    def refund(self, profile: str, day: str, reserved: int) -> None:
        with self._lock:
            row = self._row(profile, day)
            self._rows[(profile, day)] = UsageRow(
                profile,
                day,
                max(0, row.requests - 1),
                row.prompt_tokens,
                row.completion_tokens,
                max(0, row.reserved_tokens - reserved),
            )

    def usage(self, profile: str, day: str) -> UsageRow:
        with self._lock:
            return self._row(profile, day)

    def totals(self, *, profile: str | None = None, since_day: str | None = None) -> list[UsageRow]:
        with self._lock:
            rows: Iterable[UsageRow] = self._rows.values()
            return sorted(
                (
                    r
                    for r in rows
                    if (profile is None or r.profile == profile)
                    and (since_day is None or r.day >= since_day)
                ),
                key=lambda r: (r.day, r.profile),
            )
