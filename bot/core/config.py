"""Settings of the core service, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "sqlite:///build/core.db"
# Where the support page's chat widget finds Rasa's socket.io channel (as the customer's browser sees it).
DEFAULT_RASA_SOCKET_URL = "http://localhost:5005"
_TRUE = frozenset({"1", "true", "yes", "on"})


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


def rasa_socket_url(env: Mapping[str, str]) -> str:
    """RASA_SOCKET_URL (an http or https URL), or Rasa's default port on localhost."""
    url = (env.get("RASA_SOCKET_URL") or DEFAULT_RASA_SOCKET_URL).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise MissingSetting(f"RASA_SOCKET_URL must be an http(s) URL, not {url!r}")
    return url


@dataclass(frozen=True)
class Settings:
    """The service's configuration.

    `demo_mode` (CORE_DEMO_MODE=true, set by `make run`; off by default) lets the support page sign a tester
    in as one of the seeded demo customers (bot/core/web/router.py).
    """

    database_url: str
    service_key: str
    customer_token_secret: str
    rasa_socket_url: str = DEFAULT_RASA_SOCKET_URL
    demo_mode: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; MissingSetting when CORE_SERVICE_KEY or CUSTOMER_TOKEN_SECRET is unset."""
        env = os.environ if env is None else env
        return cls(
            database_url=database_url(env),
            service_key=_required(env, "CORE_SERVICE_KEY"),
            customer_token_secret=_required(env, "CUSTOMER_TOKEN_SECRET"),
            rasa_socket_url=rasa_socket_url(env),
            demo_mode=env.get("CORE_DEMO_MODE", "").strip().lower() in _TRUE,
        )


def token_secret(env: Mapping[str, str] | None = None) -> str:
    """CUSTOMER_TOKEN_SECRET (required)."""
    return _required(os.environ if env is None else env, "CUSTOMER_TOKEN_SECRET")
