"""Who owns a run or a lock, and whether that owner is gone — pure decisions.

A run records its owner (host, pid, a random start token) and a lease the
owner renews while it runs; a narrative lock does the same. An owner is
*gone* when its lease has expired, or when it ran on this host and its pid is
dead. A ``running`` run whose owner is gone is *abandoned*: shown so, and
resumable. The only I/O here is :func:`pid_alive` (a signal 0 to a pid).
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from narrator.protocols import RunOwner, RunRecord

__all__ = [
    "LockHolder",
    "describe_holder",
    "display_status",
    "lock_name",
    "new_owner",
    "owner_gone",
    "pid_alive",
    "run_status",
    "this_host",
]


def this_host() -> str:
    return socket.gethostname()


def new_owner() -> RunOwner:
    """This process, with a fresh start token."""
    return RunOwner(host=this_host(), pid=os.getpid(), token=secrets.token_hex(16))


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists on this host (signal 0)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to another user
        return True
    except OSError:
        return False
    return True


def owner_gone(
    owner: RunOwner | None,
    lease_expires_at: datetime | None,
    now: datetime,
    *,
    host: str,
    alive: Callable[[int], bool],
) -> bool:
    """True when the owner can no longer be running: no owner or lease, an expired
    lease, or a dead pid on this host. A pid on another host is trusted until its
    lease expires."""
    if owner is None or lease_expires_at is None:
        return True
    if lease_expires_at <= now:
        return True
    return owner.host == host and not alive(owner.pid)


def display_status(
    record: RunRecord, now: datetime, *, host: str, alive: Callable[[int], bool]
) -> str:
    """The status people see: a ``running`` run whose owner is gone is ``abandoned``."""
    if record.status == "running" and owner_gone(
        record.owner, record.lease_expires_at, now, host=host, alive=alive
    ):
        return "abandoned"
    return record.status


def run_status(record: RunRecord, now: datetime | None = None) -> str:
    """The status people see (``abandoned`` for a running run whose owner is gone)."""
    return display_status(record, now or datetime.now(UTC), host=this_host(), alive=pid_alive)


@dataclass(frozen=True, slots=True)
class LockHolder:
    """The current holder of a narrative lock."""

    name: str
    owner: RunOwner
    run_id: str | None
    acquired_at: datetime
    expires_at: datetime


def describe_holder(holder: LockHolder) -> str:
    """``pid 123 on host-a (run 0190…) since 2026-01-01 12:00:00 UTC``."""
    run = f" (run {holder.run_id})" if holder.run_id else ""
    since = holder.acquired_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"pid {holder.owner.pid} on {holder.owner.host}{run} since {since}"


def lock_name(narrative: str, guild: str | None) -> str:
    """One run of a narrative at a time: per narrative name, and per guild for Discord setups."""
    return f"narrative:{narrative}" + (f"@{guild}" if guild else "")
