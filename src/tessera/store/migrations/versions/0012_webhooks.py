"""Events and webhooks: the outbox, the endpoints events are posted to, their deliveries and
every attempt; and the site secret sealed under the server key, to sign LoyaltyLion webhooks.

Revision ID: 0012_webhooks
Revises: 0011_reward_codes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_webhooks"
down_revision = "0011_reward_codes"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("secret_sealed", sa.LargeBinary, nullable=True))
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("public_id", sa.String(64), nullable=False),
        sa.Column("program_id", sa.Integer, nullable=False),
        sa.Column("dialect", sa.String(20), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("livemode", sa.Boolean, nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("fanned_out", sa.Boolean, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        _fk("events", "program_id", "programs"),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.UniqueConstraint("public_id", name="uq_events_public_id"),
    )
    op.create_index("ix_events_fan_out", "events", ["fanned_out", "id"])
    op.create_index("ix_events_program_list", "events", ["program_id", "dialect", "livemode", "id"])
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("public_id", sa.String(64), nullable=False),
        sa.Column("program_id", sa.Integer, nullable=False),
        sa.Column("dialect", sa.String(20), nullable=False),
        sa.Column("livemode", sa.Boolean, nullable=False),
        sa.Column("site_id", sa.Integer, nullable=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("topics", sa.JSON, nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary, nullable=True),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("disabled_reason", sa.String(500), nullable=True),
        sa.Column("failing_since", Timestamp, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("deleted_at", Timestamp, nullable=True),
        _fk("webhook_endpoints", "program_id", "programs"),
        _fk("webhook_endpoints", "site_id", "sites"),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_endpoints"),
        sa.UniqueConstraint("public_id", name="uq_webhook_endpoints_public_id"),
    )
    op.create_index(
        "ix_webhook_endpoints_program",
        "webhook_endpoints",
        ["program_id", "dialect", "livemode", "id"],
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.Column("endpoint_id", sa.Integer, nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", Timestamp, nullable=False),
        sa.Column("leased_until", Timestamp, nullable=True),
        sa.Column("first_attempt_at", Timestamp, nullable=True),
        sa.Column("last_attempt_at", Timestamp, nullable=True),
        sa.Column("last_status", sa.Integer, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        _fk("webhook_deliveries", "event_id", "events"),
        _fk("webhook_deliveries", "endpoint_id", "webhook_endpoints"),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
    )
    op.create_index("ix_webhook_deliveries_event_id", "webhook_deliveries", ["event_id"])
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["state", "next_attempt_at"])
    op.create_index(
        "ix_webhook_deliveries_order",
        "webhook_deliveries",
        ["endpoint_id", "subject", "state", "event_id"],
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("delivery_id", sa.Integer, nullable=False),
        sa.Column("attempted_at", Timestamp, nullable=False),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("status", sa.Integer, nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("response_excerpt", sa.String(1000), nullable=True),
        _fk("webhook_attempts", "delivery_id", "webhook_deliveries"),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_attempts"),
    )
    op.create_index("ix_webhook_attempts_delivery_id", "webhook_attempts", ["delivery_id"])


def downgrade() -> None:
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
    op.drop_table("events")
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("secret_sealed")
