"""Owning a run: the narrative lock, the run's owner row and their leases.

One run of a narrative at a time (``locks`` table), and a run that knows who
runs it (``runs.owner_*``): :class:`Ownership` takes both for the length of a
``with`` block and renews their leases from one thread — never a commit per
act. The pure rules (who is gone, how a holder is described) are in
:mod:`narrator.leases`.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from narrator.errors import NarratorError
from narrator.leases import LockHolder, describe_holder, new_owner, owner_gone, pid_alive, this_host
from narrator.protocols import RunJournal, RunOwner, RunRecord

if TYPE_CHECKING:
    from narrator.protocols import Clock
    from narrator.state.locks import LockStore

__all__ = ["LEASE_SECONDS", "RENEW_SECONDS", "LockHeld", "Ownership", "RunBusy"]

LEASE_SECONDS = 30.0  # a run's (and its lock's) lease; renewed every RENEW_SECONDS
RENEW_SECONDS = 10.0


class RunBusy(NarratorError):
    """A run (or a narrative's lock) belongs to a process that is still alive."""


class LockHeld(RunBusy):
    """Another process runs this narrative now."""


class Ownership:
    """Owns a run for the length of a ``with`` block.

    Entering takes the narrative lock (``lock``; waiting up to ``wait`` seconds
    when another live process holds it, else :class:`LockHeld`), takes over an
    existing run (``resume``: a conditional UPDATE on its old owner token, so of
    two concurrent resumes one proceeds) and starts a thread that renews the
    run's lease and the lock's every ``renew`` seconds. Leaving stops the thread
    and releases the lock — on every exit path that runs Python at all; after a
    ``kill -9`` the dead pid (same host) or the expired lease frees both.
    """

    def __init__(
        self,
        journal: RunJournal,
        locks: LockStore | None,
        run_id: str,
        *,
        lock: str | None = None,
        resume: RunRecord | None = None,
        wait: float | None = None,
        on_wait: Callable[[str], None] | None = None,
        lease: float = LEASE_SECONDS,
        renew: float = RENEW_SECONDS,
        clock: Clock | None = None,
    ) -> None:
        from narrator.clock import SystemClock

        self.journal = journal
        self.locks = locks if lock else None
        self.run_id = run_id
        self.lock = lock
        self.resume = resume
        self.wait = wait
        self.on_wait = on_wait or (lambda _text: None)
        self.lease = lease
        self.renew = renew
        self.clock: Clock = clock or SystemClock()  # leases; the lock wait polls in real time
        self.owner: RunOwner = new_owner()
        self._held = False
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def lease_until(self) -> datetime:
        return self.clock.now() + timedelta(seconds=self.lease)

    def __enter__(self) -> Ownership:
        self._take_lock()
        try:
            if self.resume is not None:
                self._take_run(self.resume)
        except BaseException:
            self._release()
            raise
        self._thread = threading.Thread(target=self._renew, name="run-lease", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        self._release()

    # ------------------------------------------------------------------ parts

    def _gone(self, holder: LockHolder) -> bool:
        return owner_gone(
            holder.owner, holder.expires_at, self.clock.now(), host=this_host(), alive=pid_alive
        )

    def _take_lock(self) -> None:
        if self.locks is None or self.lock is None:
            return
        deadline = None if self.wait is None else time.monotonic() + self.wait
        seen: str | None = None
        while True:
            holder = self.locks.acquire(
                self.lock, self.owner, self.run_id, self.lease_until(), self._gone
            )
            if holder is None:
                self._held = True
                return
            who = describe_holder(holder)
            if deadline is None or time.monotonic() >= deadline:
                waited = "" if deadline is None else f"; gave up waiting after {self.wait:g} s"
                raise LockHeld(
                    f"{self.lock.removeprefix('narrative:')} is being run by {who}{waited}",
                    hint="one run of a narrative at a time: wait for it with "
                    "`--wait` (or `--wait 10m`), or stop that run and resume it later",
                )
            if who != seen:
                limit = "" if math.isinf(self.wait or 0) else f" (up to {self.wait:g} s)"
                self.on_wait(f"waiting{limit} for {self.lock} — held by {who}")
                seen = who
            time.sleep(min(0.5, max(0.05, deadline - time.monotonic())))

    def _take_run(self, record: RunRecord) -> None:
        status = record.status
        token = record.owner.token if record.owner else None
        if not self.journal.take_over(
            record.run_id,
            expected_token=token,
            expected_status=status,
            owner=self.owner,
            lease_expires_at=self.lease_until(),
        ):
            raise RunBusy(
                f"run {record.run_id} was just taken over by another process",
                hint="`narrator runs show " + record.run_id + "` shows who runs it now",
            )

    def _renew(self) -> None:
        while not self._done.wait(self.renew):
            try:
                self.journal.renew_lease(self.run_id, self.owner.token, self.lease_until())
                if self.locks is not None and self._held and self.lock:
                    self.locks.renew(self.lock, self.owner.token, self.lease_until())
            except NarratorError:  # a database hiccup: the next renewal tries again
                continue

    def _release(self) -> None:
        if self.locks is not None and self._held and self.lock:
            self._held = False
            with contextlib.suppress(NarratorError):  # else its lease expires on its own
                self.locks.release(self.lock, self.owner.token)
