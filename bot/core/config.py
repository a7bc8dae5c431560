"""Settings of the core service: pydantic-settings classes whose fields are the environment variables the core
reads, each declared once by its name (the alias), with its default and its check.

`Settings` (with its `HandoffSettings`) is what the app uses. Constructing a settings class takes only the
values given, by field name (tests) or by variable name, and the defaults; `from_env()` gives it the process
environment's variables (or those of a given mapping): MissingSetting when a required one is unset or one is
unusable. Each command reads only what it needs: the seed and the agents CLI need no service key
(`database_url()`, `token_secret()`, `demo_mode()`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from redis.connection import parse_url as parse_redis_url

from bot.core.domain.support_hours import DEFAULT_COUNTRY, DEFAULT_HOURS, DEFAULT_TIMEZONE, parse_hours
from bot.core.proxies import Network, parse_networks

DEFAULT_DATABASE_URL = "sqlite:///build/core.db"
# Where the support page's chat widget finds Rasa's socket.io channel (as the customer's browser sees it).
DEFAULT_RASA_SOCKET_URL = "http://localhost:5005"
DEFAULT_RASA_URL = "http://127.0.0.1:5005"  # Rasa's HTTP API as the core reaches it (handoff)
# Rasa's PikaEventBroker defaults (rasa/core/brokers/pika.py): the queue it binds, the fanout exchange
DEFAULT_EVENTS_QUEUE = "rasa_core_events"
DEFAULT_EVENTS_EXCHANGE = "rasa-exchange"
# the analytics recorder's own queue on the same exchange (bot/core/analytics/consumer.py)
DEFAULT_ANALYTICS_QUEUE = "canon_analytics"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


class MissingSetting(RuntimeError):
    """A required environment variable is not set, or one is unusable."""


# ------------------------------------------------------------------ checks of the variables


def _reason(error: ValidationError) -> str:
    first = error.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else "?"
    if first["type"] in ("missing", "string_too_short"):
        return f"environment variable {name} must be set"
    cause = (first.get("ctx") or {}).get("error")
    return str(cause) if cause is not None else f"{name}: {first['msg']}"


def _or_default(default: str) -> Callable[[Any], Any]:
    """An empty variable means the default."""
    return lambda raw: raw or default


def _http_url(name: str) -> Callable[[str], str]:
    def check(url: str) -> str:
        url = url.rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{name} must be an http(s) URL, not {url!r}")
        return url

    return check


def _amqp_url(url: str) -> str:
    """Empty (no event broker), or an amqp(s) URL with a host."""
    url = url.strip()
    parts = urlsplit(url)
    if url and (parts.scheme not in ("amqp", "amqps") or not parts.hostname):
        raise ValueError("HANDOFF_EVENTS_URL must be an amqp(s) URL (or empty)")  # never echo: it has a password
    return url


def _redis_url(url: str) -> str:
    """Empty (no Redis), or what redis-py reads as a redis(s):// URL with a host or a unix:// socket path."""
    url = url.strip()
    try:
        parts = parse_redis_url(url) if url else {}
    except ValueError:  # a scheme or port it does not know
        parts = {}
    if url and not (parts.get("host") or parts.get("path")):
        raise ValueError("CORE_REDIS_URL must be a redis://, rediss:// or unix:// URL (or empty)")  # never echo it
    return url


def _number(name: str, default: float, zero_means_default: bool = False) -> Callable[[Any], float]:
    """A finite number >= 0; empty means the default (and so does 0 with `zero_means_default`)."""

    def parse(raw: Any) -> float:
        text = str(raw).strip()
        try:
            value = float(text) if text else default
        except ValueError:
            raise ValueError(f"{name} must be a number, not {text!r}") from None
        if not value >= 0 or math.isinf(value):
            raise ValueError(f"{name} must be a finite number >= 0")
        return (value or default) if zero_means_default else value

    return parse


def _support_hours(spec: str) -> str:
    try:
        parse_hours(spec)
    except ValueError as error:
        raise ValueError(f"SUPPORT_HOURS / SUPPORT_TIMEZONE: {error}") from None
    return spec


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ValueError, LookupError) as error:
        raise ValueError(f"SUPPORT_HOURS / SUPPORT_TIMEZONE: {error}") from None
    return name


Required = Annotated[str, Field(min_length=1)]
Flag = Annotated[bool, BeforeValidator(lambda raw: str(raw).strip().lower() in TRUE_WORDS)]


# http(s) URLs without a trailing slash; empty means the default
# reverse proxies whose X-Forwarded-For / X-Forwarded-Proto count (bot/core/proxies.py); none by default
TrustedProxies = Annotated[tuple[Network, ...], BeforeValidator(parse_networks)]
RasaUrl = Annotated[str, BeforeValidator(_or_default(DEFAULT_RASA_URL)), AfterValidator(_http_url("RASA_URL"))]
SocketUrl = Annotated[
    str, BeforeValidator(_or_default(DEFAULT_RASA_SOCKET_URL)), AfterValidator(_http_url("RASA_SOCKET_URL"))
]


# ------------------------------------------------------------------ the settings


class EnvSettings(BaseSettings):
    """Fields named after environment variables (their aliases); no .env file, no secrets folder."""

    model_config = SettingsConfigDict(
        case_sensitive=True, extra="ignore", frozen=True, validate_by_name=True, validate_by_alias=True
    )
    # Defaults of variables that differ when the settings are read from the environment.
    ENV_DEFAULTS: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)  # only what the constructor is given: from_env gives it the variables

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """The variables of `env` (default: os.environ); MissingSetting when one is missing or unusable."""
        env = os.environ if env is None else env
        names = [field.alias for field in cls.model_fields.values() if field.alias]
        variables = {**cls.ENV_DEFAULTS, **{name: env[name] for name in names if name in env}}
        try:
            return cls(**variables)
        except ValidationError as error:
            raise MissingSetting(_reason(error)) from None


class HandoffSettings(EnvSettings):
    """Human handoff (docs/handoff.md): Rasa's HTTP API, the support team's hours, the agent console.

    Constructed, the background worker is off (`sync_interval` 0, what tests want); from the environment it
    runs every second unless HANDOFF_SYNC_INTERVAL says otherwise. With HANDOFF_EVENTS_URL the customers'
    messages come from Rasa's event broker and the worker no longer reads trackers.
    """

    ENV_DEFAULTS: ClassVar[Mapping[str, str]] = {"HANDOFF_SYNC_INTERVAL": "1"}

    rasa_url: RasaUrl = Field(DEFAULT_RASA_URL, alias="RASA_URL")
    rasa_token: str = Field("", alias="RASA_TOKEN")
    rasa_timeout: float = 10.0  # not an environment variable
    # "always" / "never" / weekly windows: bot/core/domain/support_hours.py
    support_hours: Annotated[str, BeforeValidator(_or_default(DEFAULT_HOURS)), AfterValidator(_support_hours)] = (
        Field(DEFAULT_HOURS, alias="SUPPORT_HOURS")
    )
    support_timezone: Annotated[
        str, BeforeValidator(_or_default(DEFAULT_TIMEZONE)), AfterValidator(_time_zone)
    ] = Field(DEFAULT_TIMEZONE, alias="SUPPORT_TIMEZONE")
    # public holidays of this country are closed
    support_country: Annotated[str, BeforeValidator(lambda raw: str(raw).strip().upper())] = Field(
        DEFAULT_COUNTRY, alias="SUPPORT_COUNTRY"
    )
    average_handling_minutes: Annotated[
        float, BeforeValidator(_number("SUPPORT_AVERAGE_HANDLING_MINUTES", 5.0))
    ] = Field(5.0, alias="SUPPORT_AVERAGE_HANDLING_MINUTES")
    # seconds between the worker's rounds (customer messages, retries); 0: no worker
    sync_interval: Annotated[float, BeforeValidator(_number("HANDOFF_SYNC_INTERVAL", 1.0))] = Field(
        0.0, alias="HANDOFF_SYNC_INTERVAL"
    )
    # first retry of a failed call to Rasa; doubles up to 5 minutes
    retry_seconds: Annotated[float, BeforeValidator(_number("HANDOFF_RETRY_SECONDS", 5.0, True))] = Field(
        5.0, alias="HANDOFF_RETRY_SECONDS"
    )
    # Rasa's event broker (RabbitMQ): customer messages arrive as events instead of tracker polling
    events_url: Annotated[str, AfterValidator(_amqp_url)] = Field("", alias="HANDOFF_EVENTS_URL")
    events_queue: Annotated[str, BeforeValidator(_or_default(DEFAULT_EVENTS_QUEUE))] = Field(
        DEFAULT_EVENTS_QUEUE, alias="HANDOFF_EVENTS_QUEUE"
    )
    events_exchange: Annotated[str, BeforeValidator(_or_default(DEFAULT_EVENTS_EXCHANGE))] = Field(
        DEFAULT_EVENTS_EXCHANGE, alias="HANDOFF_EVENTS_EXCHANGE"
    )
    events_prefetch: int = 32  # not an environment variable: unacknowledged events held at once
    # the analytics recorder's queue, bound to the same exchange (docs/analytics.md); used when HANDOFF_EVENTS_URL is
    analytics_queue: Annotated[str, BeforeValidator(_or_default(DEFAULT_ANALYTICS_QUEUE))] = Field(
        DEFAULT_ANALYTICS_QUEUE, alias="ANALYTICS_EVENTS_QUEUE"
    )
    analytics_prefetch: int = 1000  # not an environment variable: the recorder's unacknowledged events
    events_retry_seconds: float = 2.0  # not an environment variable: the pause after a failure (database, broker)
    agent_session_hours: Annotated[float, BeforeValidator(_number("AGENT_SESSION_HOURS", 8.0, True))] = Field(
        8.0, alias="AGENT_SESSION_HOURS"
    )
    console_poll_seconds: float = 1.0  # how often a console's live stream looks for changes
    console_stream_seconds: float = 300.0  # one live stream's length; the browser reconnects by itself


class PrivacySettings(EnvSettings):
    """How long the core keeps conversations (docs/analytics.md "Privacy"): recorded sessions, escalations and the
    fallback log older than ANALYTICS_RETENTION_DAYS (default 180) are deleted by a background task every
    ANALYTICS_RETENTION_INTERVAL seconds (default 3600 from the environment; constructed: off, what tests want;
    0: off) and by `python -m bot.core.analytics.retention`."""

    ENV_DEFAULTS: ClassVar[Mapping[str, str]] = {"ANALYTICS_RETENTION_INTERVAL": "3600"}

    retention_days: Annotated[float, BeforeValidator(_number("ANALYTICS_RETENTION_DAYS", 180.0, True))] = Field(
        180.0, alias="ANALYTICS_RETENTION_DAYS"
    )
    retention_interval: Annotated[float, BeforeValidator(_number("ANALYTICS_RETENTION_INTERVAL", 3600.0))] = (
        Field(0.0, alias="ANALYTICS_RETENTION_INTERVAL")
    )


class DatabaseSettings(EnvSettings):
    database_url: Annotated[str, BeforeValidator(_or_default(DEFAULT_DATABASE_URL))] = Field(
        DEFAULT_DATABASE_URL, alias="CORE_DATABASE_URL"
    )


class TokenSettings(EnvSettings):
    customer_token_secret: Required = Field(alias="CUSTOMER_TOKEN_SECRET")


class DemoSettings(EnvSettings):
    """`demo_mode` (CORE_DEMO_MODE=true, set by `make run`; off by default) lets the support page sign a tester
    in as one of the seeded demo customers (bot/core/web/router.py)."""

    demo_mode: Flag = Field(False, alias="CORE_DEMO_MODE")


class Settings(DatabaseSettings, TokenSettings, DemoSettings):
    """The service's configuration."""

    service_key: Required = Field(alias="CORE_SERVICE_KEY")
    # shared with Rasa's socket.io channel, which derives each web chat conversation's key from it
    # (bot/conversation_ids.py); empty: no conversation can be proven, the web chat's handoff routes answer 404
    chat_key_secret: str = Field("", alias="CHAT_KEY_SECRET")
    rasa_socket_url: SocketUrl = Field(DEFAULT_RASA_SOCKET_URL, alias="RASA_SOCKET_URL")
    trusted_proxies: TrustedProxies = Field((), alias="CORE_TRUSTED_PROXIES")
    # Redis shared by the core nodes (the console's sign-in throttle, bot/core/console/throttle.py); empty: each
    # core process keeps its own in memory
    redis_url: Annotated[str, AfterValidator(_redis_url)] = Field("", alias="CORE_REDIS_URL")
    handoff: HandoffSettings = Field(default_factory=HandoffSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """Read the settings; MissingSetting when CORE_SERVICE_KEY or CUSTOMER_TOKEN_SECRET is unset."""
        service = super().from_env(env)
        return service.model_copy(update={"handoff": HandoffSettings.from_env(env),
                                          "privacy": PrivacySettings.from_env(env)})


def database_url(env: Mapping[str, str] | None = None) -> str:
    """CORE_DATABASE_URL, or the SQLite file under build/."""
    return DatabaseSettings.from_env(env).database_url


def token_secret(env: Mapping[str, str] | None = None) -> str:
    """CUSTOMER_TOKEN_SECRET (required)."""
    return TokenSettings.from_env(env).customer_token_secret


def demo_mode(env: Mapping[str, str] | None = None) -> bool:
    """CORE_DEMO_MODE is one of 1, true, yes, on (any case)."""
    return DemoSettings.from_env(env).demo_mode
