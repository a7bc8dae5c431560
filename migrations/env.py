"""Alembic environment: the ORM metadata of bot.core.db.models on CORE_DATABASE_URL."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from bot.core.config import database_url
from bot.core.db.models import Base
from bot.core.db.session import make_engine

config = context.config
if config.config_file_name is not None and not config.attributes.get("database_url"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

URL = config.attributes.get("database_url") or database_url()
OPTIONS = {
    "target_metadata": Base.metadata,
    "render_as_batch": URL.startswith("sqlite"),
    "compare_type": True,
}


def run_offline() -> None:
    """Emit SQL without a connection (`alembic upgrade head --sql`)."""
    context.configure(url=URL, literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate the database at URL."""
    engine = make_engine(URL)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, **OPTIONS)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
