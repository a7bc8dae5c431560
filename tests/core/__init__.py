"""Tests of the core service (FastAPI app, database, migrations)."""
