"""Initial schema: state, state history, snapshots, run journal, blobs.

Revision ID: 0001
Revises:
Create Date: 2024-06-01

Column types, as in narrator/state/tables.py: JSON documents are TEXT on SQLite
and ``json`` (text-preserving) on PostgreSQL; timestamps are integer
microseconds since the epoch on SQLite and ``timestamptz`` on PostgreSQL; keys
use the "C" collation on PostgreSQL so prefix ranges compare by code point.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.Text().with_variant(postgresql.JSON(), "postgresql")


def _ts() -> sa.types.TypeEngine:
    return sa.BigInteger().with_variant(sa.DateTime(timezone=True), "postgresql")


def _key() -> sa.types.TypeEngine:
    return sa.String(512).with_variant(sa.String(512, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "state",
        sa.Column("key", _key(), nullable=False),
        sa.Column("value", _json(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.Column("expires_at", _ts(), nullable=True),
        sa.Column("metadata", _json(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.PrimaryKeyConstraint("key", name="pk_state"),
    )
    op.create_index("ix_state_expires_at", "state", ["expires_at"])

    op.create_table(
        "state_history",
        sa.Column(
            "id",
            sa.Integer().with_variant(sa.BigInteger(), "postgresql"),
            nullable=False,
            autoincrement=True,
        ),
        sa.Column("key", _key(), nullable=False),
        sa.Column("op", sa.String(8), nullable=False),
        sa.Column("before", _json(), nullable=True),
        sa.Column("after", _json(), nullable=True),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("act", sa.String(200), nullable=True),
        sa.Column("changed_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_state_history"),
    )
    op.create_index("ix_state_history_key_id", "state_history", ["key", "id"])
    op.create_index("ix_state_history_changed_at", "state_history", ["changed_at"])

    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("prefix", sa.String(512), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("key_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_snapshots"),
    )
    op.create_table(
        "snapshot_entries",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("key", _key(), nullable=False),
        sa.Column("value", _json(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.Column("expires_at", _ts(), nullable=True),
        sa.Column("metadata", _json(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("snapshot_id", "key", name="pk_snapshot_entries"),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["snapshots.id"],
            name="fk_snapshot_entries_snapshot_id",
            ondelete="CASCADE",
        ),
    )

    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("narrative", sa.String(200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("summary", _json(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", _ts(), nullable=False),
        sa.Column("finished_at", _ts(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name="pk_runs"),
    )
    op.create_index("ix_runs_started_at", "runs", ["started_at"])
    op.create_table(
        "run_acts",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("iteration", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("output", _json(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", _ts(), nullable=True),
        sa.Column("finished_at", _ts(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", "seq", name="pk_run_acts"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.run_id"], name="fk_run_acts_run_id", ondelete="CASCADE"
        ),
    )

    op.create_table(
        "blobs",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("value", _json(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_blobs"),
    )


def downgrade() -> None:
    op.drop_table("blobs")
    op.drop_table("run_acts")
    op.drop_table("runs")
    op.drop_table("snapshot_entries")
    op.drop_table("snapshots")
    op.drop_index("ix_state_history_changed_at", table_name="state_history")
    op.drop_index("ix_state_history_key_id", table_name="state_history")
    op.drop_table("state_history")
    op.drop_index("ix_state_expires_at", table_name="state")
    op.drop_table("state")
