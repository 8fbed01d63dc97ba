"""Loyalty engine: customer details, ledger references, claimed rewards, referrals.

Revision ID: 0003_loyalty
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_loyalty"
down_revision = "0001"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("first_name", sa.String(255), nullable=True))
        batch.add_column(sa.Column("last_name", sa.String(255), nullable=True))
        batch.add_column(sa.Column("email_key", sa.String(320), nullable=True))
        batch.add_column(sa.Column("enrolled_at", Timestamp, nullable=True))
        batch.add_column(sa.Column("birthday_month", sa.Integer, nullable=True))
        batch.add_column(sa.Column("birthday_day", sa.Integer, nullable=True))
        batch.add_column(sa.Column("birthday_year", sa.Integer, nullable=True))
        batch.add_column(sa.Column("email_marketing", sa.String(20), nullable=True))
        batch.add_column(sa.Column("referral_code", sa.String(32), nullable=True))
        batch.create_unique_constraint("uq_customers_referral_code", ["referral_code"])
    op.create_index("uq_customers_email_key", "customers", ["program_id", "email_key"], unique=True)
    with op.batch_alter_table("ledger_entries") as batch:
        batch.add_column(sa.Column("kind", sa.String(40), nullable=True))
        batch.add_column(sa.Column("rule_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("reward_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("claimed_reward_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("tier_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("label", sa.String(255), nullable=True))
        batch.add_column(sa.Column("spend", sa.Numeric(14, 2), nullable=True))
        batch.add_column(sa.Column("channel", sa.String(20), nullable=True))
    op.create_index(
        "ix_ledger_entries_rule_completions",
        "ledger_entries",
        ["customer_id", "rule_id", "created_at"],
    )
    op.create_table(
        "claimed_rewards",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("program_id", sa.Integer, nullable=False),
        sa.Column("customer_id", sa.Integer, nullable=False),
        sa.Column("reward_id", sa.Integer, nullable=False),
        sa.Column("reward_kind", sa.String(50), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("points_cost", sa.Integer, nullable=False),
        sa.Column("code", sa.String(40), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("cart_id", sa.String(255), nullable=True),
        sa.Column("claimed_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=True),
        sa.Column("used_at", Timestamp, nullable=True),
        sa.Column("refunded_at", Timestamp, nullable=True),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name="fk_claimed_rewards_program_id_programs"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_claimed_rewards_customer_id_customers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_claimed_rewards"),
        sa.UniqueConstraint("code", name="uq_claimed_rewards_code"),
    )
    op.create_index(
        "ix_claimed_rewards_customer", "claimed_rewards", ["customer_id", "reward_id", "claimed_at"]
    )
    op.create_table(
        "referral_shares",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("program_id", sa.Integer, nullable=False),
        sa.Column("customer_id", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name="fk_referral_shares_program_id_programs"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_referral_shares_customer_id_customers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_referral_shares"),
    )
    op.create_table(
        "referee_incentives",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("program_id", sa.Integer, nullable=False),
        sa.Column("referrer_id", sa.Integer, nullable=False),
        sa.Column("referee_key", sa.String(320), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("ip_address", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(1000), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name="fk_referee_incentives_program_id_programs"
        ),
        sa.ForeignKeyConstraint(
            ["referrer_id"], ["customers.id"], name="fk_referee_incentives_referrer_id_customers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_referee_incentives"),
        sa.UniqueConstraint("code", name="uq_referee_incentives_code"),
        sa.UniqueConstraint(
            "program_id", "referrer_id", "referee_key", name="uq_referee_incentives"
        ),
    )


def downgrade() -> None:
    op.drop_table("referee_incentives")
    op.drop_table("referral_shares")
    op.drop_index("ix_claimed_rewards_customer", table_name="claimed_rewards")
    op.drop_table("claimed_rewards")
    op.drop_index("ix_ledger_entries_rule_completions", table_name="ledger_entries")
    with op.batch_alter_table("ledger_entries") as batch:
        for column in (
            "channel",
            "spend",
            "label",
            "tier_id",
            "claimed_reward_id",
            "reward_id",
            "rule_id",
            "kind",
        ):
            batch.drop_column(column)
    op.drop_index("uq_customers_email_key", table_name="customers")
    with op.batch_alter_table("customers") as batch:
        batch.drop_constraint("uq_customers_referral_code", type_="unique")
        for column in (
            "referral_code",
            "email_marketing",
            "birthday_year",
            "birthday_day",
            "birthday_month",
            "enrolled_at",
            "email_key",
            "last_name",
            "first_name",
        ):
            batch.drop_column(column)
