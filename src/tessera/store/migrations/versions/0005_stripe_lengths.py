"""Stripe customer sessions: ``customer_account`` holds the 5,000 characters the contract allows.

Revision ID: 0005_stripe_lengths
Revises: 0002_stripe
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_stripe_lengths"
down_revision = "0002_stripe"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stripe_customer_sessions") as batch:
        batch.alter_column("customer_account", type_=sa.String(5000), existing_type=sa.String(255))


def downgrade() -> None:
    with op.batch_alter_table("stripe_customer_sessions") as batch:
        batch.alter_column("customer_account", type_=sa.String(255), existing_type=sa.String(5000))
