"""Which narrative of a file with several a schedule runs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

* ``schedules`` gains ``narrative_name``: the ``[narrative.NAME]`` that
  ``narrator schedule add FILE --narrative NAME`` chose in a Botticelli file with
  several narratives (NULL: the file's only narrative). Workers parse the stored
  text with it, as ``narrator run FILE --narrative NAME`` does.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(sa.Column("narrative_name", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("narrative_name")
