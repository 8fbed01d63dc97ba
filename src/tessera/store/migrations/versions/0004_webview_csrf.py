"""WebView visits: a per-visit CSRF secret for the Loyalty Page's redeem forms.

Revision ID: 0004_webview_csrf
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_webview_csrf"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webview_sessions") as batch:
        batch.add_column(sa.Column("csrf_secret", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webview_sessions") as batch:
        batch.drop_column("csrf_secret")
