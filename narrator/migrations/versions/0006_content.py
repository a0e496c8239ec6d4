"""Content tables (issue 11): one ``content_rows`` table holds the rows of every content table.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

* ``content_rows`` — one generated item per row: ``table_name``, ``fields`` (the
  item, JSON), ``status``, provenance (``narrative``, ``run_id``, ``act``,
  ``model``), ``content_hash``, ``message_id``, the claim of a run that took it
  (``claimed_by``, ``claimed_at``, ``claimed_status``) and ``created_at`` /
  ``updated_at``. Ids are never reused (AUTOINCREMENT on SQLite).
* Indexes: (table_name, status, created_at, id) for status filters in time
  order, (table_name, id) for id order and paging, (table_name, content_hash)
  for dedupe, (claimed_by) for releasing a run's claims. docs/content.md § Storage.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.Text().with_variant(postgresql.JSON(), "postgresql")


def _ts() -> sa.types.TypeEngine:
    return sa.BigInteger().with_variant(sa.DateTime(timezone=True), "postgresql")


def _text(length: int) -> sa.types.TypeEngine:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "content_rows",
        sa.Column(
            "id",
            sa.Integer().with_variant(sa.BigInteger(), "postgresql"),
            nullable=False,
            autoincrement=True,
        ),
        sa.Column("table_name", _text(200), nullable=False),
        sa.Column("fields", _json(), nullable=False),
        sa.Column("status", _text(64), nullable=False),
        sa.Column("narrative", _text(200), nullable=True),
        sa.Column("run_id", _text(64), nullable=True),
        sa.Column("act", _text(200), nullable=True),
        sa.Column("model", _text(200), nullable=True),
        sa.Column("content_hash", _text(64), nullable=True),
        sa.Column("message_id", _text(64), nullable=True),
        sa.Column("claimed_by", _text(300), nullable=True),
        sa.Column("claimed_at", _ts(), nullable=True),
        sa.Column("claimed_status", _text(64), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_content_rows"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_content_rows_table_status",
        "content_rows",
        ["table_name", "status", "created_at", "id"],
    )
    op.create_index("ix_content_rows_table_id", "content_rows", ["table_name", "id"])
    op.create_index("ix_content_rows_table_hash", "content_rows", ["table_name", "content_hash"])
    op.create_index("ix_content_rows_claimed_by", "content_rows", ["claimed_by"])


def downgrade() -> None:
    op.drop_index("ix_content_rows_claimed_by", "content_rows")
    op.drop_index("ix_content_rows_table_hash", "content_rows")
    op.drop_index("ix_content_rows_table_id", "content_rows")
    op.drop_index("ix_content_rows_table_status", "content_rows")
    op.drop_table("content_rows")
