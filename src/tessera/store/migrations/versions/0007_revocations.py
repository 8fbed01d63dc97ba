"""Credential revocations: one counter row that each revocation raises, so every worker can
drop its cached keys as soon as it sees the number move.

Revision ID: 0007_revocations
Revises: 0006_purge_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_revocations"
down_revision = "0006_purge_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "revocations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])


def downgrade() -> None:
    op.drop_table("revocations")
