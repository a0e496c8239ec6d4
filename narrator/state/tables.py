"""Every database table (SQLAlchemy Core), on one ``metadata``: what the migrations create.

Migration 0001 creates ``state`` … ``blobs``, 0002 ``usage_ledger``, 0003
``schedules`` and ``schedule_slots``, 0004 ``locks`` and the ownership columns,
0006 ``content_rows``, 0007 ``schedules.narrative_name``.
No other module defines a table, so importing this one registers them all
(``narrator/migrations/env.py`` needs nothing else). Two column types keep both
engines exact and fast:

* :class:`JsonText` — JSON documents as text. TEXT on SQLite; ``json`` (not
  ``jsonb``) on PostgreSQL, which keeps the text as written: key order, number
  spelling and duplicate-free objects come back byte for byte.
* :class:`Timestamp` — aware UTC datetimes. Integer microseconds since the epoch
  on SQLite (exact, compact, compared as integers); ``timestamptz`` on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

# their home is the sqlalchemy-free module of the driver reads; re-exported for the tables' users
from narrator.state.sqlite_reads import from_micros as from_micros
from narrator.state.sqlite_reads import to_micros as to_micros


class _PgJson(UserDefinedType[str]):
    """PostgreSQL ``json`` bound from text with an explicit cast."""

    cache_ok = True
    render_bind_cast = True

    def get_col_spec(self, **kw: Any) -> str:
        return "JSON"


class JsonText(TypeDecorator[str]):
    """A JSON document kept as its text (the repository serialises and parses)."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_PgJson())
        return dialect.type_descriptor(sa.Text())


class Timestamp(TypeDecorator[datetime]):
    """Aware UTC datetime: microseconds (BIGINT) on SQLite, timestamptz on PostgreSQL."""

    impl = sa.BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.DateTime(timezone=True))
        return dialect.type_descriptor(sa.BigInteger())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return to_micros(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return from_micros(int(value))


def _key_type() -> TypeEngine[str]:
    return sa.String(512).with_variant(sa.String(512, collation="C"), "postgresql")


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Keys compare by code point on both engines: SQLite's default BINARY collation,
# and "C" on PostgreSQL (the column collation) so prefix ranges are exact.
state = sa.Table(
    "state",
    metadata,
    sa.Column("key", _key_type(), primary_key=True),
    sa.Column("value", JsonText(), nullable=False),
    sa.Column("created_at", Timestamp(), nullable=False),
    sa.Column("updated_at", Timestamp(), nullable=False),
    sa.Column("expires_at", Timestamp(), nullable=True, index=True),
    sa.Column("metadata", JsonText(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
)

state_history = sa.Table(
    "state_history",
    metadata,
    sa.Column("id", sa.Integer().with_variant(sa.BigInteger(), "postgresql"), primary_key=True),
    sa.Column("key", _key_type(), nullable=False),
    sa.Column("op", sa.String(8), nullable=False),
    sa.Column("before", JsonText(), nullable=True),
    sa.Column("after", JsonText(), nullable=True),
    sa.Column("run_id", sa.String(64), nullable=True),
    sa.Column("act", sa.String(200), nullable=True),
    sa.Column("changed_at", Timestamp(), nullable=False, index=True),
    sa.Index("ix_state_history_key_id", "key", "id"),
)

snapshots = sa.Table(
    "snapshots",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("prefix", sa.String(512), nullable=False),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("created_at", Timestamp(), nullable=False),
    sa.Column("key_count", sa.Integer(), nullable=False),
)

snapshot_entries = sa.Table(
    "snapshot_entries",
    metadata,
    sa.Column(
        "snapshot_id",
        sa.Integer(),
        sa.ForeignKey("snapshots.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("key", _key_type(), primary_key=True),
    sa.Column("value", JsonText(), nullable=False),
    sa.Column("created_at", Timestamp(), nullable=False),
    sa.Column("updated_at", Timestamp(), nullable=False),
    sa.Column("expires_at", Timestamp(), nullable=True),
    sa.Column("metadata", JsonText(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("narrative", sa.String(200), nullable=False),
    sa.Column("source", sa.Text(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("summary", JsonText(), nullable=True),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("started_at", Timestamp(), nullable=False, index=True),
    sa.Column("finished_at", Timestamp(), nullable=True),
    # ownership (migration 0004): who runs it, and until when its lease holds
    sa.Column("owner_host", sa.String(200), nullable=True),
    sa.Column("owner_pid", sa.Integer(), nullable=True),
    sa.Column("owner_token", sa.String(64), nullable=True),
    sa.Column("lease_expires_at", Timestamp(), nullable=True),
    sa.Index("ix_runs_status", "status"),
)

# One row per held lock (migration 0004): one run of a narrative at a time.
locks = sa.Table(
    "locks",
    metadata,
    sa.Column("name", sa.String(512), primary_key=True),
    sa.Column("owner_host", sa.String(200), nullable=False),
    sa.Column("owner_pid", sa.Integer(), nullable=False),
    sa.Column("owner_token", sa.String(64), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=True),
    sa.Column("acquired_at", Timestamp(), nullable=False),
    sa.Column("expires_at", Timestamp(), nullable=False),
)

run_acts = sa.Table(
    "run_acts",
    metadata,
    sa.Column(
        "run_id",
        sa.String(64),
        sa.ForeignKey("runs.run_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("seq", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("iteration", sa.Integer(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("output", JsonText(), nullable=True),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("started_at", Timestamp(), nullable=True),
    sa.Column("finished_at", Timestamp(), nullable=True),
    # the act's rendered input, secrets redacted (migration 0005)
    sa.Column("input", JsonText(), nullable=True),
)

blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("value", JsonText(), nullable=False),
    sa.Column("updated_at", Timestamp(), nullable=False),
)

# Daily model usage per profile and UTC day (migration 0002): narrator.state.ledger.
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

# Schedules and claimed slots (migration 0003): narrator.state.schedules.
schedules = sa.Table(
    "schedules",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("uid", sa.String(32), nullable=False),
    sa.Column("file", sa.Text(), nullable=False),
    sa.Column("vars", JsonText(), nullable=False),
    sa.Column("every_seconds", sa.Float(), nullable=True),
    sa.Column("cron", sa.String(200), nullable=True),
    sa.Column("tz", sa.String(64), nullable=False),
    sa.Column("catch_up", sa.String(8), nullable=False),
    sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("created_at", Timestamp(), nullable=False),
    sa.Column("next_due_at", Timestamp(), nullable=False, index=True),
    sa.Column("running_slot", Timestamp(), nullable=True),
    sa.Column("last_slot_at", Timestamp(), nullable=True),
    sa.Column("last_run_at", Timestamp(), nullable=True),
    sa.Column("last_status", sa.String(16), nullable=True),
    sa.Column("last_run_id", sa.String(64), nullable=True),
    # what was scheduled (migration 0004): the text, nested files, and their hash
    sa.Column("narrative_text", sa.Text(), nullable=True),
    sa.Column("narrative_files", JsonText(), nullable=True),
    sa.Column("narrative_hash", sa.String(64), nullable=True),
    # which [narrative.NAME] of a file with several (migration 0007; NULL: the only one)
    sa.Column("narrative_name", sa.String(200), nullable=True),
)

schedule_slots = sa.Table(
    "schedule_slots",
    metadata,
    sa.Column(
        "schedule_id",
        sa.Integer(),
        sa.ForeignKey("schedules.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("scheduled_for", Timestamp(), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("worker_id", sa.String(100), nullable=False),
    sa.Column("lease_expires_at", Timestamp(), nullable=True, index=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("claimed_at", Timestamp(), nullable=False),
    sa.Column("finished_at", Timestamp(), nullable=True),
)


def _text_c(length: int) -> TypeEngine[str]:
    """Text compared by code point on both engines ("C" collation on PostgreSQL)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


# Content tables (migration 0006): narrator.state.content. One table for every content
# table; the reasons for each index are in docs/content.md § Storage.
content_rows = sa.Table(
    "content_rows",
    metadata,
    sa.Column("id", sa.Integer().with_variant(sa.BigInteger(), "postgresql"), primary_key=True),
    sa.Column("table_name", _text_c(200), nullable=False),
    sa.Column("fields", JsonText(), nullable=False),
    sa.Column("status", _text_c(64), nullable=False),
    sa.Column("narrative", _text_c(200), nullable=True),
    sa.Column("run_id", _text_c(64), nullable=True),
    sa.Column("act", _text_c(200), nullable=True),
    sa.Column("model", _text_c(200), nullable=True),
    sa.Column("content_hash", _text_c(64), nullable=True),
    sa.Column("message_id", _text_c(64), nullable=True),
    sa.Column("claimed_by", _text_c(300), nullable=True),
    sa.Column("claimed_at", Timestamp(), nullable=True),
    sa.Column("claimed_status", _text_c(64), nullable=True),
    sa.Column("created_at", Timestamp(), nullable=False),
    sa.Column("updated_at", Timestamp(), nullable=False),
    sa.Index("ix_content_rows_table_status", "table_name", "status", "created_at", "id"),
    sa.Index("ix_content_rows_table_id", "table_name", "id"),
    sa.Index("ix_content_rows_table_hash", "table_name", "content_hash"),
    sa.Index("ix_content_rows_claimed_by", "claimed_by"),
    sqlite_autoincrement=True,  # ids are never reused: a deleted row's id stays dead
)
