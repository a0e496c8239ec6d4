"""Named locks with leases in the ``locks`` table: one run of a narrative at a time.

Taking a lock is one write transaction: insert the row if there is none
(``ON CONFLICT DO NOTHING``); otherwise, when the holder is gone (the caller's
``gone`` decides: lease expired, or a dead pid on this host), replace it with
an UPDATE conditional on the old holder's token. Of two processes racing for
one lock, on SQLite or PostgreSQL, exactly one gets it; the other learns who
holds it. Renewal and release are conditional on the token too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from narrator.leases import LockHolder
from narrator.protocols import RunOwner
from narrator.state.gateway import Gateway
from narrator.state.tables import locks


def _holder(row: Row[Any]) -> LockHolder:
    return LockHolder(
        name=row.name,
        owner=RunOwner(row.owner_host, row.owner_pid, row.owner_token),
        run_id=row.run_id,
        acquired_at=row.acquired_at,
        expires_at=row.expires_at,
    )


class LockStore:
    """Acquire, renew, release and read narrative locks."""

    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    def now(self) -> datetime:
        return self._gw.clock()

    def acquire(
        self,
        name: str,
        owner: RunOwner,
        run_id: str | None,
        expires_at: datetime,
        gone: Callable[[LockHolder], bool],
    ) -> LockHolder | None:
        """Take the lock: None when taken, else the holder that keeps it."""
        values = {
            "name": name,
            "owner_host": owner.host,
            "owner_pid": owner.pid,
            "owner_token": owner.token,
            "run_id": run_id,
            "acquired_at": self._gw.clock(),
            "expires_at": expires_at,
        }
        insert = (
            self._gw.insert(locks)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(locks.c.name)  # a row back when inserted (rowcount is not portable here)
        )

        def tx(conn: Connection) -> LockHolder | None:
            for _ in range(3):  # the holder may release between two statements
                if conn.execute(insert).first() is not None:
                    return None
                row = conn.execute(sa.select(locks).where(locks.c.name == name)).first()
                if row is None:
                    continue
                holder = _holder(row)
                if holder.owner.token == owner.token:
                    return None  # ours already
                if not gone(holder):
                    return holder
                take = (
                    sa.update(locks)
                    .where(locks.c.name == name, locks.c.owner_token == holder.owner.token)
                    .values(**values)
                )
                if conn.execute(take).rowcount:
                    return None
            row = conn.execute(sa.select(locks).where(locks.c.name == name)).first()
            if row is None:  # pragma: no cover - three releases in one transaction
                raise AssertionError(f"lock {name!r} could not be read or taken")
            return _holder(row)

        return self._gw.write(tx)

    def holder(self, name: str) -> LockHolder | None:
        def read(conn: Connection) -> LockHolder | None:
            row = conn.execute(sa.select(locks).where(locks.c.name == name)).first()
            return None if row is None else _holder(row)

        return self._gw.read(read)

    def renew(self, name: str, token: str, expires_at: datetime) -> bool:
        """Extend the lease; False when the lock is no longer ours."""
        stmt = (
            sa.update(locks)
            .where(locks.c.name == name, locks.c.owner_token == token)
            .values(expires_at=expires_at)
        )
        return bool(self._gw.write(lambda c: c.execute(stmt).rowcount))

    def release(self, name: str, token: str) -> bool:
        stmt = sa.delete(locks).where(locks.c.name == name, locks.c.owner_token == token)
        return bool(self._gw.write(lambda c: c.execute(stmt).rowcount))
