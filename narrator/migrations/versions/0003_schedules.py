"""Schedules and slot claims: recurring runs that fire exactly once across workers.

Revision ID: 0003
Revises: 0002
Create Date: 2024-06-03

``schedules`` holds each schedule and the worker's bookkeeping (``next_due_at``,
the overlap guard ``running_slot``, the last run). ``schedule_slots`` holds one
row per claimed slot; its primary key ``(schedule_id, scheduled_for)`` is the
unique constraint that makes a slot claimable once (narrator/state/schedules.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.Text().with_variant(postgresql.JSON(), "postgresql")


def _ts() -> sa.types.TypeEngine:
    return sa.BigInteger().with_variant(sa.DateTime(timezone=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("uid", sa.String(32), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("vars", _json(), nullable=False),
        sa.Column("every_seconds", sa.Float(), nullable=True),
        sa.Column("cron", sa.String(200), nullable=True),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("catch_up", sa.String(8), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("next_due_at", _ts(), nullable=False),
        sa.Column("running_slot", _ts(), nullable=True),
        sa.Column("last_slot_at", _ts(), nullable=True),
        sa.Column("last_run_at", _ts(), nullable=True),
        sa.Column("last_status", sa.String(16), nullable=True),
        sa.Column("last_run_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_schedules"),
        sa.UniqueConstraint("name", name="uq_schedules_name"),
    )
    op.create_index("ix_schedules_next_due_at", "schedules", ["next_due_at"])
    op.create_table(
        "schedule_slots",
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("scheduled_for", _ts(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("worker_id", sa.String(100), nullable=False),
        sa.Column("lease_expires_at", _ts(), nullable=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("claimed_at", _ts(), nullable=False),
        sa.Column("finished_at", _ts(), nullable=True),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name="fk_schedule_slots_schedule_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("schedule_id", "scheduled_for", name="pk_schedule_slots"),
    )
    op.create_index("ix_schedule_slots_lease_expires_at", "schedule_slots", ["lease_expires_at"])


def downgrade() -> None:
    op.drop_index("ix_schedule_slots_lease_expires_at", table_name="schedule_slots")
    op.drop_table("schedule_slots")
    op.drop_index("ix_schedules_next_due_at", table_name="schedules")
    op.drop_table("schedules")
