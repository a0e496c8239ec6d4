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
A busy SQLite database is retried a bounded number of times.

Table (migration 0002): ``usage_ledger(profile, day, requests, prompt_tokens,
completion_tokens, reserved_tokens, updated_at)``, primary key ``(profile, day)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Connection, Engine

from narrator.budget import UsageRow
from narrator.errors import StateError
from narrator.state.tables import metadata

__all__ = ["UsageLedger", "usage_ledger"]

T = TypeVar("T")
WRITE_ATTEMPTS = 40

usage_ledger = sa.Table(
    "usage_ledger",
    metadata,
    sa.Column("profile", sa.String(200), primary_key=True),
    sa.Column("day", sa.String(10), primary_key=True),  # YYYY-MM-DD, UTC
    sa.Column("requests", sa.Integer, nullable=False, server_default="0"),
    sa.Column("prompt_tokens", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("completion_tokens", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("reserved_tokens", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("updated_at", sa.BigInteger, nullable=False, server_default="0"),  # epoch µs
)

_t = usage_ledger.c


def _now_micros() -> int:
    return int(datetime.now(UTC).timestamp() * 1_000_000)


class UsageLedger:
    """A :class:`narrator.budget.Ledger` on a SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = engine.dialect.name == "sqlite"

    def __repr__(self) -> str:
        return f"<UsageLedger {self.engine.dialect.name}>"

    # ------------------------------------------------------------------ plumbing

    def _write(self, fn: Callable[[Connection], T]) -> T:
        delay = 0.005
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with self.engine.connect() as conn:
                    if self._sqlite:
                        conn = conn.execution_options(narrator_write=True)
                    with conn.begin():
                        return fn(conn)
            except exc.OperationalError as error:
                text = str(error.orig).lower()
                if ("locked" in text or "busy" in text) and attempt < WRITE_ATTEMPTS - 1:
                    time.sleep(delay)
                    delay = min(delay * 2, 0.5)
                    continue
                raise self._translate(error) from None
            except exc.SQLAlchemyError as error:
                raise self._translate(error) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, fn: Callable[[Connection], T]) -> T:
        try:
            with self.engine.connect() as conn:
                return fn(conn)
        except exc.SQLAlchemyError as error:
            raise self._translate(error) from None

    @staticmethod
    def _translate(error: exc.SQLAlchemyError) -> StateError:
        detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        if "no such table" in detail or "does not exist" in detail:
            return StateError(
                f"the usage ledger table is missing: {detail}", hint="run: narrator db upgrade"
            )
        return StateError(f"usage ledger: {detail}", hint="check the database and retry")

    def _ensure_row(self, conn: Connection, profile: str, day: str) -> None:
        values = {"profile": profile, "day": day, "updated_at": _now_micros()}
        name = conn.dialect.name
        if name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            conn.execute(sqlite_insert(usage_ledger).values(values).on_conflict_do_nothing())
        elif name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            conn.execute(pg_insert(usage_ledger).values(values).on_conflict_do_nothing())
        else:
            exists = conn.execute(
                sa.select(_t.profile).where(_t.profile == profile, _t.day == day)
            ).first()
            if exists is None:
                conn.execute(usage_ledger.insert().values(values))

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
                updated_at=_now_micros(),
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

        return self._write(run)

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
                    updated_at=_now_micros(),
                )
            )

        self._write(run)

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
                    updated_at=_now_micros(),
                )
            )

        self._write(run)

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

        return self._read(run)
