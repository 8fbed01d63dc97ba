"""The schema, as SQLAlchemy Core tables. Alembic migrations (``migrations/versions``) create it.

Conventions: integer primary keys (LoyaltyLion's ids are numbers); timestamps are aware UTC
(``DateTime(timezone=True)``); secrets are stored only as SHA-256 hex in ``*_hash`` columns;
every row that belongs to a tenant carries ``program_id`` so each lookup can be scoped by it.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Timestamp = sa.DateTime(timezone=True)

programs = sa.Table(
    "programs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

sites = sa.Table(
    "sites",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("url", sa.String(500), nullable=False),
    sa.Column("platform", sa.String(50), nullable=False),
    sa.Column("default_language", sa.String(20), nullable=False),
    sa.Column("languages", sa.JSON, nullable=False),
    sa.Column("default_currency", sa.String(3), nullable=False),
    sa.Column("currencies", sa.JSON, nullable=False),
    # Legacy SiteTokenSecret auth: the token is an identifier (Basic user name), the secret a
    # password, so only the secret is hashed.
    sa.Column("token", sa.String(64), nullable=False, unique=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("theme", sa.JSON, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    # First characters of the key (``pat_1a2b``), so a person can tell keys apart in a list.
    sa.Column("display_prefix", sa.String(16), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("rate_limit", sa.String(50), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("revoked_at", Timestamp, nullable=True),
)

program_configurations = sa.Table(
    "program_configurations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("document", sa.JSON, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.UniqueConstraint("program_id", "version", name="uq_program_configurations_version"),
)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
    sa.Column("site_id", sa.Integer, sa.ForeignKey("sites.id"), nullable=False),
    sa.Column("merchant_id", sa.String(255), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("program_id", "merchant_id", name="uq_customers_merchant_id"),
)

# Append-only: a balance is derived from these rows, never stored beside them.
ledger_entries = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("reason", sa.String(100), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

webview_sessions = sa.Table(
    "webview_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
    sa.Column("site_id", sa.Integer, sa.ForeignKey("sites.id"), nullable=False),
    sa.Column("channel", sa.String(255), nullable=False),
    sa.Column("language", sa.String(20), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("merchant_id", sa.String(255), nullable=True),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    # Opening the URL exchanges the token for a visit cookie; only its hash is kept.
    sa.Column("visit_hash", sa.String(64), nullable=True, unique=True),
    sa.Column("visit_expires_at", Timestamp, nullable=True),
)
