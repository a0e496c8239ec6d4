"""The usage ledger: model requests and tokens per profile and UTC day, in the database.

Daily budgets (``rpd``, ``tpd``) must hold across separate processes and many
workers sharing one database, so a reservation is one conditional ``UPDATE``::

    UPDATE usage_ledger SET requests = requests + 1, reserved_tokens = reserved_tokens + :t
     WHERE profile = :p AND day = :d
       AND requests + 1 <= :rpd
       AND prompt_tokens + completion_tokens + reserved_tokens + :t <= :tpd

The database applies it atomically (SQLite has one writer at a time, and
narrator's engine opens write transactions with ``BEGIN IMMEDIATE``;
PostgreSQL locks the row and re-checks the condition), so two processes can
never both spend the last request: exactly one sees ``rowcount == 1``.
Transactions, busy retry and error translation are the gateway's, as for
every repository (:mod:`narrator.state.gateway`).

Table (migration 0002, defined in :mod:`narrator.state.tables`): ``usage_ledger(profile,
day, requests, prompt_tokens, completion_tokens, reserved_tokens, updated_at)``, primary
key ``(profile, day)``.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from narrator.protocols import UsageRow
from narrator.state.gateway import Gateway
from narrator.state.tables import to_micros, usage_ledger

__all__ = ["UsageLedger", "usage_ledger"]

_t = usage_ledger.c


class UsageLedger:
    """A :class:`narrator.protocols.Ledger` on the database (SQLite or PostgreSQL)."""

    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway
        self._insert_row = gateway.insert(usage_ledger).on_conflict_do_nothing()

    def __repr__(self) -> str:
        return f"<UsageLedger {self._gw.engine.dialect.name}>"

    def _now(self) -> int:
        return to_micros(self._gw.clock())  # updated_at: epoch microseconds

    def _ensure_row(self, conn: Connection, profile: str, day: str) -> None:
        conn.execute(self._insert_row, {"profile": profile, "day": day, "updated_at": self._now()})

    # ------------------------------------------------------------------ the Ledger protocol

    def reserve(
        self, profile: str, day: str, tokens: int, *, rpd: int | None, tpd: int | None
    ) -> bool:
        """Count one request and reserve ``tokens``, unless a daily limit would be passed."""

        conditions = [_t.profile == profile, _t.day == day]
        if rpd is not None:
            conditions.append(_t.requests + 1 <= rpd)
        if tpd is not None:
            used = _t.prompt_tokens + _t.completion_tokens + _t.reserved_tokens
            conditions.append(used + tokens <= tpd)
        statement = (
            usage_ledger.update()
            .where(*conditions)
            .values(
                requests=_t.requests + 1,
                reserved_tokens=_t.reserved_tokens + tokens,
                updated_at=self._now(),
            )
        )

        def run(conn: Connection) -> bool:
            if conn.execute(statement).rowcount == 1:
                return True
            # no row yet for (profile, day), or a limit would be passed: tell them apart
            exists = conn.execute(
                sa.select(_t.profile).where(_t.profile == profile, _t.day == day)
            ).first()
            if exists is not None:
                return False
            self._ensure_row(conn, profile, day)
            return bool(conn.execute(statement).rowcount == 1)

        return self._gw.write(run)

    def settle(
        self, profile: str, day: str, reserved: int, prompt_tokens: int, completion_tokens: int
    ) -> None:
        """Replace a reservation with what the provider reported."""

        def run(conn: Connection) -> None:
            conn.execute(
                usage_ledger.update()
                .where(_t.profile == profile, _t.day == day)
                .values(
                    prompt_tokens=_t.prompt_tokens + prompt_tokens,
                    completion_tokens=_t.completion_tokens + completion_tokens,
                    reserved_tokens=sa.case(
                        (_t.reserved_tokens >= reserved, _t.reserved_tokens - reserved), else_=0
                    ),
                    updated_at=self._now(),
                )
            )

        self._gw.write(run)

    def refund(self, profile: str, day: str, reserved: int) -> None:
        """Undo a reservation whose call failed: the request and its tokens."""

        def run(conn: Connection) -> None:
            conn.execute(
                usage_ledger.update()
                .where(_t.profile == profile, _t.day == day)
                .values(
                    requests=sa.case((_t.requests > 0, _t.requests - 1), else_=0),
                    reserved_tokens=sa.case(
                        (_t.reserved_tokens >= reserved, _t.reserved_tokens - reserved), else_=0
                    ),
                    updated_at=self._now(),
                )
            )

        self._gw.write(run)

    def usage(self, profile: str, day: str) -> UsageRow:
        rows = self._select(sa.and_(_t.profile == profile, _t.day == day))
        return rows[0] if rows else UsageRow(profile, day)

    def totals(self, *, profile: str | None = None, since_day: str | None = None) -> list[UsageRow]:
        """Spending rows, sorted by day then profile; filtered by profile and first day."""
        conditions: list[sa.ColumnElement[bool]] = []
        if profile is not None:
            conditions.append(_t.profile == profile)
        if since_day is not None:
            conditions.append(_t.day >= since_day)
        return self._select(sa.and_(sa.true(), *conditions))

    def _select(self, where: sa.ColumnElement[bool]) -> list[UsageRow]:
        query = (
            sa.select(
                _t.profile,
                _t.day,
                _t.requests,
                _t.prompt_tokens,
                _t.completion_tokens,
                _t.reserved_tokens,
            )
            .where(where)
            .order_by(_t.day, _t.profile)
        )

        def run(conn: Connection) -> list[UsageRow]:
            return [
                UsageRow(
                    str(r.profile),
                    str(r.day),
                    int(r.requests),
                    int(r.prompt_tokens),
                    int(r.completion_tokens),
                    int(r.reserved_tokens),
                )
                for r in conn.execute(query)
            ]

        return self._gw.read(run)
