"""Settings of the core service, read from the environment with pydantic-settings.

`Settings` and `HandoffSettings` are what the app uses; tests build them directly (their defaults suit tests:
no background worker). The `*Environment` classes below declare each environment variable the core reads, by
its name, with its default and its check; `Settings.from_env()` reads them (MissingSetting when a required one
is unset or one is unusable). Each command reads only what it needs: the seed and the agents CLI need no
service key.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from bot.core.domain.support_hours import parse_hours

DEFAULT_DATABASE_URL = "sqlite:///build/core.db"
# Where the support page's chat widget finds Rasa's socket.io channel (as the customer's browser sees it).
DEFAULT_RASA_SOCKET_URL = "http://localhost:5005"
DEFAULT_RASA_URL = "http://127.0.0.1:5005"  # Rasa's HTTP API as the core reaches it (handoff)
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


class MissingSetting(RuntimeError):
    """A required environment variable is not set, or one is unusable."""


# ------------------------------------------------------------------ what the app uses


@dataclass(frozen=True)
class HandoffSettings:
    """Human handoff (docs/handoff.md): Rasa's HTTP API, the support team's hours, the agent console.

    The defaults suit tests (no background worker: `sync_interval` 0); `from_env` turns the worker on
    (HANDOFF_SYNC_INTERVAL, default 1 s).
    """

    rasa_url: str = DEFAULT_RASA_URL
    rasa_token: str = ""
    rasa_timeout: float = 10.0
    support_hours: str = "Mon-Fri 08:00-17:00"  # or "always" / "never"; bot/core/domain/support_hours.py
    support_timezone: str = "Europe/Vilnius"
    support_country: str = "LT"  # public holidays of this country are closed
    average_handling_minutes: float = 5.0
    sync_interval: float = 0.0  # seconds between the worker's rounds (customer messages, retries); 0: none
    retry_seconds: float = 5.0  # first retry of a failed call to Rasa; doubles up to 5 minutes
    agent_session_hours: float = 8.0
    console_poll_seconds: float = 1.0  # how often a console's live stream looks for changes
    console_stream_seconds: float = 300.0  # one live stream's length; the browser reconnects by itself

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HandoffSettings:
        """RASA_URL, RASA_TOKEN, SUPPORT_HOURS, SUPPORT_TIMEZONE, SUPPORT_COUNTRY,
        SUPPORT_AVERAGE_HANDLING_MINUTES, HANDOFF_SYNC_INTERVAL, HANDOFF_RETRY_SECONDS, AGENT_SESSION_HOURS;
        MissingSetting when one is unusable."""
        return cls(**HandoffEnvironment.read(env).model_dump())


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
        service = ServiceEnvironment.read(env)
        return cls(**service.model_dump(), handoff=HandoffSettings.from_env(env))


def database_url(env: Mapping[str, str] | None = None) -> str:
    """CORE_DATABASE_URL, or the SQLite file under build/."""
    return DatabaseEnvironment.read(env).database_url


def token_secret(env: Mapping[str, str] | None = None) -> str:
    """CUSTOMER_TOKEN_SECRET (required)."""
    return TokenEnvironment.read(env).customer_token_secret


def demo_mode(env: Mapping[str, str] | None = None) -> bool:
    """CORE_DEMO_MODE is one of 1, true, yes, on (any case)."""
    return DemoEnvironment.read(env).demo_mode


# ------------------------------------------------------------------ the environment variables


class _Variables(EnvSettingsSource):
    """The variables of a given mapping instead of the process environment (`from_env(env)`)."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        super().__init__(settings_cls, case_sensitive=True)
        self.env_vars = dict(env)


class Environment(BaseSettings):
    """Environment variables by their exact names (the field aliases); no .env file, no secrets folder."""

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", frozen=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings

    @classmethod
    def read(cls, env: Mapping[str, str] | None = None) -> Self:
        """The variables of `env` (default: os.environ); MissingSetting when one is missing or unusable."""
        try:
            if env is None or env is os.environ:
                return cls()
            return cls(_build_sources=((_Variables(cls, env),), {}))
        except ValidationError as error:
            raise MissingSetting(_reason(error)) from None


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


class DatabaseEnvironment(Environment):
    database_url: Annotated[str, BeforeValidator(_or_default(DEFAULT_DATABASE_URL))] = Field(
        DEFAULT_DATABASE_URL, alias="CORE_DATABASE_URL"
    )


class TokenEnvironment(Environment):
    customer_token_secret: Required = Field(alias="CUSTOMER_TOKEN_SECRET")


class DemoEnvironment(Environment):
    demo_mode: Annotated[bool, BeforeValidator(lambda raw: str(raw).strip().lower() in TRUE_WORDS)] = Field(
        False, alias="CORE_DEMO_MODE"
    )


class ServiceEnvironment(DatabaseEnvironment, DemoEnvironment):
    """What the app needs besides the handoff."""

    service_key: Required = Field(alias="CORE_SERVICE_KEY")
    customer_token_secret: Required = Field(alias="CUSTOMER_TOKEN_SECRET")
    rasa_socket_url: Annotated[
        str,
        BeforeValidator(_or_default(DEFAULT_RASA_SOCKET_URL)),
        AfterValidator(_http_url("RASA_SOCKET_URL")),
    ] = Field(DEFAULT_RASA_SOCKET_URL, alias="RASA_SOCKET_URL")


class HandoffEnvironment(Environment):
    """Human handoff; unset variables take HandoffSettings' defaults, except the worker's interval (1 s)."""

    rasa_url: Annotated[
        str, BeforeValidator(_or_default(DEFAULT_RASA_URL)), AfterValidator(_http_url("RASA_URL"))
    ] = Field(DEFAULT_RASA_URL, alias="RASA_URL")
    rasa_token: str = Field("", alias="RASA_TOKEN")
    support_hours: Annotated[
        str, BeforeValidator(_or_default(HandoffSettings.support_hours)), AfterValidator(_support_hours)
    ] = Field(HandoffSettings.support_hours, alias="SUPPORT_HOURS")
    support_timezone: Annotated[
        str, BeforeValidator(_or_default(HandoffSettings.support_timezone)), AfterValidator(_time_zone)
    ] = Field(HandoffSettings.support_timezone, alias="SUPPORT_TIMEZONE")
    support_country: Annotated[str, BeforeValidator(lambda raw: str(raw).strip().upper())] = Field(
        HandoffSettings.support_country, alias="SUPPORT_COUNTRY"
    )
    average_handling_minutes: Annotated[
        float,
        BeforeValidator(
            _number("SUPPORT_AVERAGE_HANDLING_MINUTES", HandoffSettings.average_handling_minutes)
        ),
    ] = Field(HandoffSettings.average_handling_minutes, alias="SUPPORT_AVERAGE_HANDLING_MINUTES")
    sync_interval: Annotated[float, BeforeValidator(_number("HANDOFF_SYNC_INTERVAL", 1.0))] = Field(
        1.0, alias="HANDOFF_SYNC_INTERVAL"
    )
    retry_seconds: Annotated[
        float, BeforeValidator(_number("HANDOFF_RETRY_SECONDS", HandoffSettings.retry_seconds, True))
    ] = Field(HandoffSettings.retry_seconds, alias="HANDOFF_RETRY_SECONDS")
    agent_session_hours: Annotated[
        float, BeforeValidator(_number("AGENT_SESSION_HOURS", HandoffSettings.agent_session_hours, True))
    ] = Field(HandoffSettings.agent_session_hours, alias="AGENT_SESSION_HOURS")
