"""Indexes the purge finds expired rows by (without them each pass scans whole tables while
holding SQLite's writer: ~100 ms at 500,000 WebView sessions).

Revision ID: 0006_purge_indexes
Revises: 0005_stripe_lengths
"""

from __future__ import annotations

from alembic import op

revision = "0006_purge_indexes"
down_revision = "0005_stripe_lengths"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_webview_sessions_expires_at": ("webview_sessions", "expires_at"),
    "ix_stripe_customer_sessions_expires_at": ("stripe_customer_sessions", "expires_at"),
    "ix_stripe_idempotency_created_at": ("stripe_idempotency", "created_at"),
}


def upgrade() -> None:
    for name, (table, column) in INDEXES.items():
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, (table, _column) in INDEXES.items():
        op.drop_index(name, table_name=table)
