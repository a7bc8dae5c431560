"""Settings of the core service, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
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


DEFAULT_RASA_URL = "http://127.0.0.1:5005"  # Rasa's HTTP API as the core reaches it (handoff)


@dataclass(frozen=True)
class HandoffSettings:
    """Human handoff (docs/handoff.md): Rasa's HTTP API, the support team's hours, the agent console.

    The dataclass defaults suit tests (no background worker: `sync_interval` 0); `from_env` turns the worker on
    (HANDOFF_SYNC_INTERVAL, default 1 s).
    """

    rasa_url: str = DEFAULT_RASA_URL
    rasa_token: str = ""
    rasa_timeout: float = 10.0
    support_hours: str = "Mon-Fri 08:00-17:00"  # or "always" / "never"; bot/core/domain/support_hours.py
    support_timezone: str = "Europe/Vilnius"
    support_country: str = "LT"  # public holidays of this country are closed
    average_handling_minutes: float = 5.0
    sync_interval: float = 0.0  # seconds between the worker's rounds (customer messages, retries); 0: no worker
    retry_seconds: float = 5.0  # first retry of a failed call to Rasa; doubles up to 5 minutes
    agent_session_hours: float = 8.0
    console_poll_seconds: float = 1.0  # how often a console's live stream looks for changes
    console_stream_seconds: float = 300.0  # one live stream's length; the browser reconnects by itself

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HandoffSettings:
        """RASA_URL, RASA_TOKEN, SUPPORT_HOURS, SUPPORT_TIMEZONE, SUPPORT_COUNTRY, SUPPORT_AVERAGE_HANDLING_MINUTES,
        HANDOFF_SYNC_INTERVAL, HANDOFF_RETRY_SECONDS, AGENT_SESSION_HOURS; MissingSetting when one is unusable."""
        from zoneinfo import ZoneInfo

        from bot.core.domain.support_hours import parse_hours

        def number(name: str, default: float) -> float:
            raw = env.get(name, "").strip()
            try:
                value = float(raw) if raw else default
            except ValueError:
                raise MissingSetting(f"{name} must be a number, not {raw!r}") from None
            if not value >= 0 or value == float("inf"):
                raise MissingSetting(f"{name} must be a finite number >= 0")
            return value

        url = (env.get("RASA_URL") or DEFAULT_RASA_URL).rstrip("/")
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise MissingSetting(f"RASA_URL must be an http(s) URL, not {url!r}")
        settings = cls(
            rasa_url=url,
            rasa_token=env.get("RASA_TOKEN", ""),
            support_hours=env.get("SUPPORT_HOURS") or cls.support_hours,
            support_timezone=env.get("SUPPORT_TIMEZONE") or cls.support_timezone,
            support_country=(env.get("SUPPORT_COUNTRY", cls.support_country)).strip().upper(),
            average_handling_minutes=number("SUPPORT_AVERAGE_HANDLING_MINUTES", cls.average_handling_minutes),
            sync_interval=number("HANDOFF_SYNC_INTERVAL", 1.0),
            retry_seconds=number("HANDOFF_RETRY_SECONDS", cls.retry_seconds) or cls.retry_seconds,
            agent_session_hours=number("AGENT_SESSION_HOURS", cls.agent_session_hours) or cls.agent_session_hours,
        )
        try:
            parse_hours(settings.support_hours)
            ZoneInfo(settings.support_timezone)
        except (ValueError, LookupError) as error:
            raise MissingSetting(f"SUPPORT_HOURS / SUPPORT_TIMEZONE: {error}") from None
        return settings


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
    handoff: HandoffSettings = field(default_factory=HandoffSettings)

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
            handoff=HandoffSettings.from_env(env),
        )


def token_secret(env: Mapping[str, str] | None = None) -> str:
    """CUSTOMER_TOKEN_SECRET (required)."""
    return _required(os.environ if env is None else env, "CUSTOMER_TOKEN_SECRET")
