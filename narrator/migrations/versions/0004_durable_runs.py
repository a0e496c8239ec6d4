"""Durable runs: run ownership and leases, narrative locks, schedules that keep their text.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

* ``runs`` gains its owner (``owner_host``, ``owner_pid``, ``owner_token``) and a
  ``lease_expires_at`` the running process renews; a run whose owner is gone is
  *abandoned* and can be resumed (narrator/state/journal.py).
* ``locks`` — one row per held lock (one run of a narrative at a time): the
  holder, the run it serves, when it was taken and when its lease expires.
* ``schedules`` keeps the narrative it runs: ``narrative_text``, the nested
  files it reads (``narrative_files``, a JSON object path → text) and a
  ``narrative_hash`` over both, so every worker runs exactly what was scheduled.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.Text().with_variant(postgresql.JSON(), "postgresql")


def _ts() -> sa.types.TypeEngine:
    return sa.BigInteger().with_variant(sa.DateTime(timezone=True), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("owner_host", sa.String(200), nullable=True))
        batch.add_column(sa.Column("owner_pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("owner_token", sa.String(64), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", _ts(), nullable=True))
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_table(
        "locks",
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("owner_host", sa.String(200), nullable=False),
        sa.Column("owner_pid", sa.Integer(), nullable=False),
        sa.Column("owner_token", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("acquired_at", _ts(), nullable=False),
        sa.Column("expires_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_locks"),
    )
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(sa.Column("narrative_text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("narrative_files", _json(), nullable=True))
        batch.add_column(sa.Column("narrative_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("narrative_hash")
        batch.drop_column("narrative_files")
        batch.drop_column("narrative_text")
    op.drop_table("locks")
    op.drop_index("ix_runs_status", "runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("owner_token")
        batch.drop_column("owner_pid")
        batch.drop_column("owner_host")
