"""Settings of the core service, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///build/core.db"


class MissingSetting(RuntimeError):
    """A required environment variable is not set."""


def database_url(env: Mapping[str, str] | None = None) -> str:
    """CORE_DATABASE_URL, or the SQLite file under build/."""
    env = os.environ if env is None else env
    return env.get("CORE_DATABASE_URL") or DEFAULT_DATABASE_URL


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise MissingSetting(f"environment variable {name} must be set")
    return value


@dataclass(frozen=True)
class Settings:
    """The service's configuration."""

    database_url: str
    service_key: str
    customer_token_secret: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; MissingSetting when CORE_SERVICE_KEY or CUSTOMER_TOKEN_SECRET is unset."""
        env = os.environ if env is None else env
        return cls(
            database_url=database_url(env),
            service_key=_required(env, "CORE_SERVICE_KEY"),
            customer_token_secret=_required(env, "CUSTOMER_TOKEN_SECRET"),
        )


def token_secret(env: Mapping[str, str] | None = None) -> str:
    """CUSTOMER_TOKEN_SECRET (required)."""
    return _required(os.environ if env is None else env, "CUSTOMER_TOKEN_SECRET")
