"""Redis for the core's tests: database 14 of 127.0.0.1:6379 (`CORE_TEST_REDIS_URL`), a failure when it does not
answer on CI (CI=true), else a skip; each throttle under its own key prefix, its keys removed afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis

from bot.core.console.throttle import RedisSignInThrottle, SignInThrottle, Throttle, redis_client
from tests.core.conftest import missing_service

REDIS_URL = os.environ.get("CORE_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
THROTTLES = ("memory", "redis")  # the sign-in throttle's stores, for parametrized tests


def require_redis() -> None:
    """Skip without Redis, except on CI."""
    client = redis_client(REDIS_URL, timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        missing_service(f"Redis at {REDIS_URL} is unreachable ({type(error).__name__}: {error})")
    finally:
        client.close()


def remove_keys(prefix: str, url: str = REDIS_URL) -> None:
    client = redis_client(url)
    try:
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)
    finally:
        client.close()


@contextmanager
def redis_throttle(url: str = REDIS_URL, **options: Any) -> Iterator[RedisSignInThrottle]:
    """A Redis throttle under a fresh key prefix (unless given), its keys removed afterwards."""
    require_redis()
    options.setdefault("prefix", f"test-core:{uuid.uuid4().hex[:12]}:")
    throttle = RedisSignInThrottle.from_url(url, **options)
    try:
        yield throttle
    finally:
        throttle.close()
        remove_keys(options["prefix"])


@contextmanager
def new_throttle(kind: str, **rules: Any) -> Iterator[Throttle]:
    """A fresh throttle of the given store ("memory" or "redis") with the given rules."""
    if kind == "memory":
        yield SignInThrottle(**rules)
    else:
        with redis_throttle(**rules) as throttle:
            yield throttle
