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
# The largest id an Integer column holds on every backend (int32 on PostgreSQL).
MAX_ID = 2**31 - 1

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
    # The purge's (tessera.purge; migration 0006_purge_indexes, as are the two below).
    sa.Index("ix_webview_sessions_expires_at", "expires_at"),
)


# ---------------------------------------------------------------------------------------------
# Stripe dialect (migration 0002_stripe). Stripe customers are their own rows, not the
# LoyaltyLion ``customers`` table: Stripe's are keyed by a ``cus_`` id the API mints, carry
# livemode and a deleted flag, and never need a merchant_id or site. Every row carries
# ``program_id`` and ``livemode`` so test and live data never mix.
# ---------------------------------------------------------------------------------------------

stripe_keys = sa.Table(
    "stripe_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False, index=True),
    # "secret", "restricted" or "publishable".
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("livemode", sa.Boolean, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    # ``sk_test_`` and the last four characters: enough to mask the key in errors and lists.
    sa.Column("display_prefix", sa.String(16), nullable=False),
    sa.Column("last4", sa.String(4), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    # Restricted keys only: ["customers:write", "customer_sessions:write", ...].
    sa.Column("permissions", sa.JSON, nullable=True),
    sa.Column("rate_limit", sa.String(50), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("revoked_at", Timestamp, nullable=True),
)

stripe_customers = sa.Table(
    "stripe_customers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("public_id", sa.String(64), nullable=False, unique=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
    sa.Column("livemode", sa.Boolean, nullable=False),
    sa.Column("email", sa.String(512), nullable=True),
    sa.Column("name", sa.String(256), nullable=True),
    sa.Column("description", sa.String(5000), nullable=True),
    sa.Column("phone", sa.String(20), nullable=True),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("invoice_prefix", sa.String(12), nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Index("ix_stripe_customers_program_list", "program_id", "livemode", "id"),
)

stripe_payment_methods = sa.Table(
    "stripe_payment_methods",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("public_id", sa.String(64), nullable=False, unique=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
    sa.Column("livemode", sa.Boolean, nullable=False),
    sa.Column(
        "customer_id", sa.Integer, sa.ForeignKey("stripe_customers.id"), nullable=True, index=True
    ),
    sa.Column("type", sa.String(30), nullable=False),
    # The card's public details (brand, last4, expiry...), never a card number.
    sa.Column("card", sa.JSON, nullable=False),
    sa.Column("billing_details", sa.JSON, nullable=False),
    sa.Column("allow_redisplay", sa.String(20), nullable=False),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

stripe_customer_sessions = sa.Table(
    "stripe_customer_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
    sa.Column("livemode", sa.Boolean, nullable=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("stripe_customers.id"), nullable=True),
    sa.Column("customer_account", sa.String(5000), nullable=True),
    sa.Column("components", sa.JSON, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    # The client secret is single-use: claiming it sets these, and hands out an ephemeral key
    # (stored as a hash) for the front end's later calls within the session's lifetime.
    sa.Column("claimed_at", Timestamp, nullable=True),
    sa.Column("ephemeral_hash", sa.String(64), nullable=True, unique=True),
    sa.Index("ix_stripe_customer_sessions_expires_at", "expires_at"),
)

stripe_idempotency = sa.Table(
    "stripe_idempotency",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
    sa.Column("livemode", sa.Boolean, nullable=False),
    # A hash of the key: the key itself is what decrypts ``body`` (see api/stripe/idempotency).
    sa.Column("idempotency_key", sa.String(255), nullable=False),
    # SHA-256 of method, path and the decoded parameters.
    sa.Column("fingerprint", sa.String(64), nullable=False),
    # "in_flight" until the first request's answer is stored, then "done".
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("status", sa.Integer, nullable=True),
    sa.Column("body", sa.LargeBinary, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.UniqueConstraint(
        "program_id", "livemode", "idempotency_key", name="uq_stripe_idempotency_key"
    ),
    sa.Index("ix_stripe_idempotency_created_at", "created_at"),
)


# ---------------------------------------------------------------------------------------------
# Loyalty engine (migration 0003_loyalty): customer details, the ledger's references, claimed
# rewards, referral shares and referee incentives. Columns added to tables defined above are
# appended here so that this domain's schema reads in one place.
# ---------------------------------------------------------------------------------------------

customers.append_column(sa.Column("first_name", sa.String(255), nullable=True))
customers.append_column(sa.Column("last_name", sa.String(255), nullable=True))
# Lowercased email: one customer per email in a program (Initialize Session's
# email_already_in_use). NULL for rows from before this column, which the index then ignores.
customers.append_column(sa.Column("email_key", sa.String(320), nullable=True))
customers.append_column(sa.Column("enrolled_at", Timestamp, nullable=True))
customers.append_column(sa.Column("birthday_month", sa.Integer, nullable=True))
customers.append_column(sa.Column("birthday_day", sa.Integer, nullable=True))
customers.append_column(sa.Column("birthday_year", sa.Integer, nullable=True))
# "subscribed", "not_subscribed" or "unknown".
customers.append_column(sa.Column("email_marketing", sa.String(20), nullable=True))
customers.append_column(sa.Column("referral_code", sa.String(32), nullable=True, unique=True))
sa.Index("uq_customers_email_key", customers.c.program_id, customers.c.email_key, unique=True)

# What an entry is (history kind), and what it refers to. ``points`` keeps its sign rule: spent
# and expired points are negative.
ledger_entries.append_column(sa.Column("kind", sa.String(40), nullable=True))
ledger_entries.append_column(sa.Column("rule_id", sa.Integer, nullable=True))
ledger_entries.append_column(sa.Column("reward_id", sa.Integer, nullable=True))
ledger_entries.append_column(sa.Column("claimed_reward_id", sa.Integer, nullable=True))
ledger_entries.append_column(sa.Column("tier_id", sa.Integer, nullable=True))
ledger_entries.append_column(sa.Column("label", sa.String(255), nullable=True))
# Orders (purchase rule): the amount spent, in the program's units, for spend- and order-tiers.
ledger_entries.append_column(sa.Column("spend", sa.Numeric(14, 2), nullable=True))
ledger_entries.append_column(sa.Column("channel", sa.String(20), nullable=True))
sa.Index(
    "ix_ledger_entries_rule_completions",
    ledger_entries.c.customer_id,
    ledger_entries.c.rule_id,
    ledger_entries.c.created_at,
)

claimed_rewards = sa.Table(
    "claimed_rewards",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("reward_id", sa.Integer, nullable=False),
    sa.Column("reward_kind", sa.String(50), nullable=False),
    sa.Column("title", sa.String(255), nullable=False),
    # "approved" (usable), "void" (refunded), "expired".
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("points_cost", sa.Integer, nullable=False),
    # Voucher or gift card code: unique within the program (migration 0011_reward_codes: a
    # merchant's imported codes may equal another program's), so a code identifies one claim.
    sa.Column("code", sa.String(40), nullable=True),
    sa.Column("currency", sa.String(3), nullable=False),
    # What was claimed, frozen at claim time (amounts in ``currency``, product and variant...).
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("cart_id", sa.String(255), nullable=True),
    sa.Column("claimed_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=True),
    sa.Column("used_at", Timestamp, nullable=True),
    sa.Column("refunded_at", Timestamp, nullable=True),
    sa.Index("ix_claimed_rewards_customer", "customer_id", "reward_id", "claimed_at"),
    sa.UniqueConstraint("program_id", "code", name="uq_claimed_rewards_program_code"),
)

referral_shares = sa.Table(
    "referral_shares",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

referee_incentives = sa.Table(
    "referee_incentives",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
    sa.Column("referrer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
    # The referee's email, lowercased, or "ip:<address>" when none was given: the idempotency
    # key with the referrer (the same friend asking twice gets the same code).
    sa.Column("referee_key", sa.String(320), nullable=False),
    sa.Column("code", sa.String(40), nullable=False, unique=True),
    sa.Column("ip_address", sa.String(64), nullable=False),
    sa.Column("user_agent", sa.String(1000), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.UniqueConstraint("program_id", "referrer_id", "referee_key", name="uq_referee_incentives"),
)


# --- WebView Loyalty Page (migration 0004_webview_csrf) -----------------------------------------

# Each visit gets a random secret; the redeem forms carry HMAC(csrf_secret, visit secret), so a
# copy of this table alone cannot forge a form (the visit secret is only stored hashed).
webview_sessions.append_column(sa.Column("csrf_secret", sa.String(64), nullable=True))


# --- Credential revocations (migration 0007_revocations) ---------------------------------------

# One row (id 1): a number each revocation of an API key or Stripe key raises, in the revoking
# transaction. Workers cache credentials; they read this number to know when to drop them.
revocations = sa.Table(
    "revocations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)


# --- Orders (migration 0008_orders) ------------------------------------------------------------

# An order as the merchant's platform reports it (Admin API POST/PUT /v2/orders). Money is
# exact: Numeric(14, 4) holds the 10 whole and 4 decimal digits the API accepts, which also
# survive SQLite's REAL storage unchanged. The points the order earned are ledger entries that
# carry its id; what a refund could not take back (the customer had spent it) is kept here.
orders = sa.Table(
    "orders",
    metadata,
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
    # not_paid | partially_paid | paid; not_refunded | partially_refunded | refunded;
    # not_cancelled | cancelled.
    sa.Column("payment_status", sa.String(20), nullable=False),
    sa.Column("refund_status", sa.String(20), nullable=False),
    sa.Column("cancellation_status", sa.String(20), nullable=False),
    sa.Column("guest", sa.Boolean, nullable=False),
    # [{"code": ..., "amount": "1.50"}] and [claimed reward id, ...], as the order carried them.
    sa.Column("discount_codes", sa.JSON, nullable=False),
    sa.Column("claimed_reward_ids", sa.JSON, nullable=False),
    sa.Column("ip_address", sa.String(64), nullable=True),
    sa.Column("user_agent", sa.String(1000), nullable=True),
    sa.Column("referral_id", sa.String(255), nullable=True),
    sa.Column("tracking_id", sa.String(255), nullable=True),
    # What the purchase rule paid when the order was first paid (NULL: never paid yet); the
    # points it should hold now are derived from this and its state.
    sa.Column("points_earned", sa.Integer, nullable=True),
    sa.Column("points_not_taken_back", sa.Integer, nullable=False),
    sa.Column("ordered_at", Timestamp, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    # Decides between two workers creating the same order: the loser's insert does nothing.
    sa.UniqueConstraint("program_id", "merchant_id", name="uq_orders_merchant_id"),
    sa.Index("ix_orders_program_id", "program_id", "id"),
    sa.Index("ix_orders_customer_id", "customer_id"),
)

ledger_entries.append_column(sa.Column("order_id", sa.Integer, nullable=True))
sa.Index("ix_ledger_entries_order_id", ledger_entries.c.order_id)
# A referral completes once: with the referred friend's first paid order.
referee_incentives.append_column(sa.Column("completed_order_id", sa.Integer, nullable=True))

# --- Activities (migration 0010_activities) -----------------------------------------------------

# What a merchant's platform tracked through the Admin API's activities (a review, a signup...):
# the rule it completed, the points it earned (``value``) and the state the merchant moves it
# through (pending, approved, declined, void). Its ledger entries carry its id.
activities = sa.Table(
    "activities",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
    sa.Column("site_id", sa.Integer, sa.ForeignKey("sites.id"), nullable=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
    # "$review" or a custom rule's name, as tracked.
    sa.Column("name", sa.String(100), nullable=False),
    # The merchant's own id for it: (program, name, merchant_id) names one activity.
    sa.Column("merchant_id", sa.String(255), nullable=True),
    sa.Column("rule_id", sa.Integer, nullable=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("value", sa.Integer, nullable=False),
    # Points a void could not take back (the customer had spent them).
    sa.Column("points_not_taken_back", sa.Integer, nullable=False),
    sa.Column("properties", sa.JSON, nullable=False),
    sa.Column("occurred_at", Timestamp, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Index("uq_activities_merchant_id", "program_id", "name", "merchant_id", unique=True),
    sa.Index("ix_activities_program_list", "program_id", "id"),
)

# The activity an entry belongs to; and for the entries that move pending points on (approved
# or void, tessera.loyalty.pending), the pending entry they settle.
ledger_entries.append_column(sa.Column("activity_id", sa.Integer, nullable=True))
ledger_entries.append_column(sa.Column("settles_id", sa.Integer, nullable=True))
sa.Index("ix_ledger_entries_activity_id", ledger_entries.c.activity_id)
sa.Index("ix_ledger_entries_settles_id", ledger_entries.c.settles_id)

# --- Admin API customers (migration 0009_customer_admin) ---------------------------------------

# "enrolled" or "guest": what a blocked customer was, so that unblocking gives it back.
customers.append_column(sa.Column("state_before_block", sa.String(20), nullable=True))
# The program-wide lists (customers, transactions) page newest first by id within a program.
sa.Index("ix_customers_program_list", customers.c.program_id, customers.c.id)
sa.Index("ix_ledger_entries_program_list", ledger_entries.c.program_id, ledger_entries.c.id)

# --- Pre-generated reward codes and email unsubscribes (migration 0011_reward_codes) -----------

# A reward's pool of codes imported by the merchant (`tessera rewards import-codes`): a redeem
# of a reward with a pool takes the next unused one instead of generating a code. A code is
# unique within its program; ``claimed_reward_id`` is set once it is handed out.
reward_codes = sa.Table(
    "reward_codes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
    sa.Column("reward_id", sa.Integer, nullable=False),
    sa.Column("code", sa.String(40), nullable=False),
    sa.Column("imported_at", Timestamp, nullable=False),
    sa.Column("claimed_reward_id", sa.Integer, sa.ForeignKey("claimed_rewards.id"), nullable=True),
    sa.Column("claimed_at", Timestamp, nullable=True),
    sa.UniqueConstraint("program_id", "code", name="uq_reward_codes_program_code"),
    sa.Index("ix_reward_codes_unused", "program_id", "reward_id", "claimed_at", "id"),
)

# The program's loyalty email unsubscribe list (Admin API /v2/loyalty_emails/unsubscribes).
# ``email_key`` is the address lowercased: one entry per address, however it was written.
email_unsubscribes = sa.Table(
    "email_unsubscribes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("email_key", sa.String(320), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.UniqueConstraint("program_id", "email_key", name="uq_email_unsubscribes_program_email"),
)

# --- Events and webhooks (migration 0012_webhooks) ---------------------------------------------

# The site's legacy secret sealed under the server key (tessera.sealing), beside its hash: the
# hash authenticates the site, the sealed copy signs its LoyaltyLion webhooks. Null for sites
# created before 0012 (their webhooks wait for `tessera sites rotate-secret`).
sites.append_column(sa.Column("secret_sealed", sa.LargeBinary, nullable=True))

# The outbox (tessera.webhooks.outbox): one row per event, written in the transaction of the
# change it announces. ``body`` is the event as its dialect shows it (JSON); ``subject`` orders
# deliveries (one customer's events reach an endpoint in the order they happened).
# ``fanned_out`` is false until the delivery worker has made a delivery per endpoint.
events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("public_id", sa.String(64), nullable=False, unique=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
    sa.Column("dialect", sa.String(20), nullable=False),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("livemode", sa.Boolean, nullable=False),
    sa.Column("subject", sa.String(100), nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("fanned_out", sa.Boolean, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Index("ix_events_fan_out", "fanned_out", "id"),
    sa.Index("ix_events_program_list", "program_id", "dialect", "livemode", "id"),
)

# Where events are posted: LoyaltyLion webhooks (one topic each, signed with the site's secret)
# and Stripe webhook endpoints (enabled_events, their own whsec_ secret, sealed).
webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("public_id", sa.String(64), nullable=False, unique=True),
    sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
    sa.Column("dialect", sa.String(20), nullable=False),
    sa.Column("livemode", sa.Boolean, nullable=False),
    sa.Column("site_id", sa.Integer, sa.ForeignKey("sites.id"), nullable=True),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("topics", sa.JSON, nullable=False),
    sa.Column("secret_sealed", sa.LargeBinary, nullable=True),
    # The dialect's own fields (Stripe: description, metadata, api_version; LoyaltyLion:
    # service_integration_id).
    sa.Column("attributes", sa.JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # "enabled" or "disabled"
    sa.Column("disabled_reason", sa.String(500), nullable=True),
    sa.Column("failing_since", Timestamp, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("deleted_at", Timestamp, nullable=True),
    sa.Index("ix_webhook_endpoints_program", "program_id", "dialect", "livemode", "id"),
)

# One event for one endpoint: "pending" until a 2xx ("succeeded"), or its retries run out
# ("failed"), or the endpoint is deleted ("cancelled"). A worker holds a delivery while it posts
# by setting ``leased_until``; a worker that dies lets the lease lapse and another retries it.
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False, index=True),
    sa.Column("endpoint_id", sa.Integer, sa.ForeignKey("webhook_endpoints.id"), nullable=False),
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
    sa.Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
    sa.Index("ix_webhook_deliveries_order", "endpoint_id", "subject", "state", "event_id"),
)

# Every attempt of a delivery, kept after it succeeds or gives up (`tessera webhooks
# deliveries`). ``status`` is the HTTP status, null when none came (``error`` says why).
webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "delivery_id",
        sa.Integer,
        sa.ForeignKey("webhook_deliveries.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("attempted_at", Timestamp, nullable=False),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Column("status", sa.Integer, nullable=True),
    sa.Column("error", sa.String(500), nullable=True),
    sa.Column("response_excerpt", sa.String(1000), nullable=True),
)
