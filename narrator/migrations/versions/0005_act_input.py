"""What the journal keeps of an act's input.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-15

* ``run_acts`` gains ``input``: the act's rendered arguments (a command act: one
  object per command, ``{"command", "args"}``; a model act: its profile, system
  prompt and prompt) as JSON, secrets redacted (narrator/logs.py). Written in the
  act's one transaction with its output; ``narrator runs show ID --full`` shows it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.Text().with_variant(postgresql.JSON(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("run_acts") as batch:
        batch.add_column(sa.Column("input", _json(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run_acts") as batch:
        batch.drop_column("input")
