"""Database layer: ORM models and sessions (the schema changes only through Alembic migrations)."""
