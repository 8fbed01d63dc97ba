"""Storage: SQLAlchemy Core tables, the async engine, Alembic migrations."""
