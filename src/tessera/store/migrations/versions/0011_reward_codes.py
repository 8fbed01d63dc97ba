"""Pre-generated reward codes (a pool per reward), the loyalty email unsubscribe list, and
claimed reward codes unique per program rather than across every program (an imported code
may equal one another merchant imported).

Revision ID: 0011_reward_codes
Revises: 0010_activities
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_reward_codes"
# After the loyalty branch (claimed_rewards), which 0008_orders merges into this chain.
down_revision = "0010_activities"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    # SQLite cannot drop a constraint in place: batch mode copies the table.
    with op.batch_alter_table("claimed_rewards") as batch:
        batch.drop_constraint("uq_claimed_rewards_code", type_="unique")
        batch.create_unique_constraint("uq_claimed_rewards_program_code", ["program_id", "code"])
    op.create_table(
        "reward_codes",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("program_id", sa.Integer, nullable=False),
        sa.Column("reward_id", sa.Integer, nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("imported_at", Timestamp, nullable=False),
        sa.Column("claimed_reward_id", sa.Integer, nullable=True),
        sa.Column("claimed_at", Timestamp, nullable=True),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name="fk_reward_codes_program_id_programs"
        ),
        sa.ForeignKeyConstraint(
            ["claimed_reward_id"],
            ["claimed_rewards.id"],
            name="fk_reward_codes_claimed_reward_id_claimed_rewards",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reward_codes"),
        sa.UniqueConstraint("program_id", "code", name="uq_reward_codes_program_code"),
    )
    op.create_index(
        "ix_reward_codes_unused",
        "reward_codes",
        ["program_id", "reward_id", "claimed_at", "id"],
    )
    op.create_table(
        "email_unsubscribes",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("program_id", sa.Integer, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("email_key", sa.String(320), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name="fk_email_unsubscribes_program_id_programs"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_email_unsubscribes"),
        sa.UniqueConstraint("program_id", "email_key", name="uq_email_unsubscribes_program_email"),
    )


def downgrade() -> None:
    op.drop_table("email_unsubscribes")
    op.drop_index("ix_reward_codes_unused", table_name="reward_codes")
    op.drop_table("reward_codes")
    with op.batch_alter_table("claimed_rewards") as batch:
        batch.drop_constraint("uq_claimed_rewards_program_code", type_="unique")
        batch.create_unique_constraint("uq_claimed_rewards_code", ["code"])
