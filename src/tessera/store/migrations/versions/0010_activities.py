"""Activities tracked through the Admin API, and the ledger's links to them and between pending
entries and the entries that settle them.

Revision ID: 0010_activities
Revises: 0009_customer_admin
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_activities"
down_revision = "0009_customer_admin"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
        sa.Column("site_id", sa.Integer, sa.ForeignKey("sites.id"), nullable=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("merchant_id", sa.String(255), nullable=True),
        sa.Column("rule_id", sa.Integer, nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("value", sa.Integer, nullable=False),
        sa.Column("points_not_taken_back", sa.Integer, nullable=False),
        sa.Column("properties", sa.JSON, nullable=False),
        sa.Column("occurred_at", Timestamp, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
    )
    op.create_index(
        "uq_activities_merchant_id",
        "activities",
        ["program_id", "name", "merchant_id"],
        unique=True,
    )
    op.create_index("ix_activities_program_list", "activities", ["program_id", "id"])
    with op.batch_alter_table("ledger_entries") as batch:
        batch.add_column(sa.Column("activity_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("settles_id", sa.Integer, nullable=True))
    op.create_index("ix_ledger_entries_activity_id", "ledger_entries", ["activity_id"])
    op.create_index("ix_ledger_entries_settles_id", "ledger_entries", ["settles_id"])


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_settles_id", "ledger_entries")
    op.drop_index("ix_ledger_entries_activity_id", "ledger_entries")
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_column("settles_id")
        batch.drop_column("activity_id")
    op.drop_table("activities")
