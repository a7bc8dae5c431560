"""The HTTP API of the core service (FastAPI)."""
