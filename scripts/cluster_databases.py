"""The PostgreSQL databases of `make cluster` (scripts/cluster.sh), created when missing; run in Rasa's environment.

    python scripts/cluster_databases.py

- The conversations' database (TRACKER_DB_HOST, _PORT, _NAME, _USER, _PASSWORD) with Rasa's `events` table: created
  here by our SQL tracker store itself (Rasa's `login_db`), once, before the Rasa nodes start, so that two nodes
  starting together never race to create the table.
- The core's database, named by CORE_DATABASE_URL (`postgresql+psycopg://user[:password]@host:port/name`); the
  launcher's set-up (`bot.core.seed`) then migrates it to Alembic's head.
Nothing is printed but the names of the databases created; a password never is.
"""

from __future__ import annotations

import logging
import os
import sys
from urllib.parse import unquote, urlsplit


def create_core_database(url: str) -> bool:
    """Create the database of a `postgresql+psycopg://` URL when missing; True when created."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    if not parts.scheme.startswith("postgresql"):
        raise ValueError("CORE_DATABASE_URL must name a PostgreSQL database")
    name = unquote(parts.path.lstrip("/"))
    connection = psycopg2.connect(host=parts.hostname, port=parts.port or 5432, user=unquote(parts.username or ""),
                                  password=unquote(parts.password or ""), dbname="postgres", connect_timeout=10)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone():
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        connection.close()


def create_tracker_database(env: dict) -> None:
    """The conversations' database and its table, by our SQL tracker store (as the Rasa nodes will open it)."""
    from bot.rasa_ext.tracker_store import SQLTrackerStore

    store = SQLTrackerStore(dialect="postgresql", host=env["TRACKER_DB_HOST"], port=int(env["TRACKER_DB_PORT"]),
                            db=env["TRACKER_DB_NAME"], username=env["TRACKER_DB_USER"],
                            password=env.get("TRACKER_DB_PASSWORD", ""), login_db="postgres")
    store.engine.dispose()


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    env = dict(os.environ)
    try:
        create_tracker_database(env)
        if create_core_database(env["CORE_DATABASE_URL"]):
            print(f"created the core's database {unquote(urlsplit(env['CORE_DATABASE_URL']).path.lstrip('/'))}",
                  file=sys.stderr)
    except Exception as error:  # noqa: BLE001 - one line for the operator, without the URL (it may hold a password)
        print(f"cluster: the PostgreSQL databases could not be prepared: {type(error).__name__}: "
              f"{str(error).splitlines()[0] if str(error) else ''}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
