"""Orders: the orders table, the order each ledger entry was earned or taken back for, and the
order that completed a referral.

Revision ID: 0008_orders
Revises: 0007_revocations, 0003_loyalty (it alters the loyalty branch's tables)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_orders"
down_revision = ("0007_revocations", "0003_loyalty")
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
        sa.Column("site_id", sa.Integer, sa.ForeignKey("sites.id"), nullable=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("merchant_id", sa.String(255), nullable=False),
        sa.Column("merchant_number", sa.String(255), nullable=True),
        sa.Column("total", sa.Numeric(14, 4), nullable=False),
        sa.Column("total_shipping", sa.Numeric(14, 4), nullable=False),
        sa.Column("total_paid", sa.Numeric(14, 4), nullable=False),
        sa.Column("total_refunded", sa.Numeric(14, 4), nullable=False),
        sa.Column("payment_status", sa.String(20), nullable=False),
        sa.Column("refund_status", sa.String(20), nullable=False),
        sa.Column("cancellation_status", sa.String(20), nullable=False),
        sa.Column("guest", sa.Boolean, nullable=False),
        sa.Column("discount_codes", sa.JSON, nullable=False),
        sa.Column("claimed_reward_ids", sa.JSON, nullable=False),
        sa.Column("ip_address", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(1000), nullable=True),
        sa.Column("referral_id", sa.String(255), nullable=True),
        sa.Column("tracking_id", sa.String(255), nullable=True),
        sa.Column("points_earned", sa.Integer, nullable=True),
        sa.Column("points_not_taken_back", sa.Integer, nullable=False),
        sa.Column("ordered_at", Timestamp, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.UniqueConstraint("program_id", "merchant_id", name="uq_orders_merchant_id"),
    )
    op.create_index("ix_orders_program_id", "orders", ["program_id", "id"])
    op.create_index("ix_orders_customer_id", "orders", ["customer_id"])
    with op.batch_alter_table("ledger_entries") as batch:
        batch.add_column(sa.Column("order_id", sa.Integer, nullable=True))
    op.create_index("ix_ledger_entries_order_id", "ledger_entries", ["order_id"])
    with op.batch_alter_table("referee_incentives") as batch:
        batch.add_column(sa.Column("completed_order_id", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("referee_incentives") as batch:
        batch.drop_column("completed_order_id")
    op.drop_index("ix_ledger_entries_order_id", table_name="ledger_entries")
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_column("order_id")
    op.drop_index("ix_orders_customer_id", table_name="orders")
    op.drop_index("ix_orders_program_id", table_name="orders")
    op.drop_table("orders")
