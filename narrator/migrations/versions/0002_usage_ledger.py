"""Usage ledger: model requests and tokens per profile and UTC day (daily budgets).

Revision ID: 0002
Revises: 0001
Create Date: 2024-06-02

One row per (profile, day). Reservations are conditional UPDATEs of that row,
so ``rpd``/``tpd`` hold across processes and workers (narrator/state/ledger.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_ledger",
        sa.Column("profile", sa.String(200), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("reserved_tokens", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("updated_at", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("profile", "day", name="pk_usage_ledger"),
    )


def downgrade() -> None:
    op.drop_table("usage_ledger")
