"""stripe dialect: keys, customers, payment methods, customer sessions, idempotency

Revision ID: 0002_stripe
Revises: 0001
Create Date: 2026-11-21 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_stripe"
down_revision = "0001"
branch_labels = ("stripe",)
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "stripe_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("display_prefix", sa.String(length=16), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=True),
        sa.Column("rate_limit", sa.String(length=50), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("revoked_at", Timestamp, nullable=True),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_stripe_keys_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_stripe_keys_key_hash")),
    )
    op.create_index(op.f("ix_stripe_keys_program_id"), "stripe_keys", ["program_id"])
    op.create_table(
        "stripe_customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=64), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("email", sa.String(length=512), nullable=True),
        sa.Column("name", sa.String(length=256), nullable=True),
        sa.Column("description", sa.String(length=5000), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("invoice_prefix", sa.String(length=12), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_stripe_customers_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_customers")),
        sa.UniqueConstraint("public_id", name=op.f("uq_stripe_customers_public_id")),
    )
    op.create_index(
        "ix_stripe_customers_program_list", "stripe_customers", ["program_id", "livemode", "id"]
    )
    op.create_table(
        "stripe_payment_methods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=64), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("billing_details", sa.JSON(), nullable=False),
        sa.Column("allow_redisplay", sa.String(length=20), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_stripe_payment_methods_program_id_programs"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["stripe_customers.id"],
            name=op.f("fk_stripe_payment_methods_customer_id_stripe_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_payment_methods")),
        sa.UniqueConstraint("public_id", name=op.f("uq_stripe_payment_methods_public_id")),
    )
    op.create_index(
        op.f("ix_stripe_payment_methods_customer_id"), "stripe_payment_methods", ["customer_id"]
    )
    op.create_table(
        "stripe_customer_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("customer_account", sa.String(length=255), nullable=True),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("claimed_at", Timestamp, nullable=True),
        sa.Column("ephemeral_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_stripe_customer_sessions_program_id_programs"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["stripe_customers.id"],
            name=op.f("fk_stripe_customer_sessions_customer_id_stripe_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_customer_sessions")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_stripe_customer_sessions_secret_hash")),
        sa.UniqueConstraint(
            "ephemeral_hash", name=op.f("uq_stripe_customer_sessions_ephemeral_hash")
        ),
    )
    op.create_table(
        "stripe_idempotency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_stripe_idempotency_program_id_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_idempotency")),
        sa.UniqueConstraint(
            "program_id", "livemode", "idempotency_key", name="uq_stripe_idempotency_key"
        ),
    )


def downgrade() -> None:
    op.drop_table("stripe_idempotency")
    op.drop_table("stripe_customer_sessions")
    op.drop_index(op.f("ix_stripe_payment_methods_customer_id"), "stripe_payment_methods")
    op.drop_table("stripe_payment_methods")
    op.drop_index("ix_stripe_customers_program_list", "stripe_customers")
    op.drop_table("stripe_customers")
    op.drop_index(op.f("ix_stripe_keys_program_id"), "stripe_keys")
    op.drop_table("stripe_keys")
