"""The Admin API's customers: what a blocked customer was before (unblocking restores it), and
the indexes its program-wide lists page by (newest first, by id, within a program).

Revision ID: 0009_customer_admin
Revises: 0008_orders
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_customer_admin"
down_revision = "0008_orders"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_customers_program_list": ("customers", ["program_id", "id"]),
    "ix_ledger_entries_program_list": ("ledger_entries", ["program_id", "id"]),
}


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("state_before_block", sa.String(20), nullable=True))
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("state_before_block")
