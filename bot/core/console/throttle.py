"""Failed console sign-ins: exponential back-off per (username, address) pair, and a generous back-off per client
address; in memory (`SignInThrottle`, one core process) or in Redis (`RedisSignInThrottle`, every core node alike).

- A pair (the username tried, the client's address) may fail `PAIR.free` times; after that each further failure
  makes it wait `first` seconds, doubling per failure up to `cap`. A success clears the pair. Failures of a
  username from one address never hold back the same username from another address: nobody can lock an agent
  out by guessing at its password.
- An address (many usernames sprayed from one place) backs off the same way after `ADDRESS.free` failures, up
  to a shorter cap: colleagues behind one office address wait seconds, not a 15-minute wall.
- A key quiet for `forget_after` is forgotten; in memory at most MAX_KEYS keys are kept (the least recently
  failed go), in Redis each key expires `forget_after` after its last failure.

`make_throttle(CORE_REDIS_URL)` picks the store: Redis when a URL is configured, memory otherwise. The Redis
throttle falls back to memory while Redis cannot be reached (docs/handoff.md, "Failed sign-ins").

Plain Python: the router passes the request's clock.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from math import ceil
from typing import Protocol

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.core.clock import as_utc

logger = logging.getLogger("bot.core.console.throttle")

MAX_KEYS = 10_000  # beyond this the least recently failed keys are forgotten (memory stays bounded)
REDIS_PREFIX = "canon-core:sign-in:"
REDIS_TIMEOUT = 1.0  # seconds to connect to Redis, and for one answer
MEMORY_SECONDS = 5.0  # after Redis failed, the throttle stays on memory this long before it asks Redis again


@dataclass(frozen=True)
class BackOff:
    """After `free` failures, wait `first` seconds, doubling per further failure up to `cap`."""

    free: int
    first: float = 1.0
    cap: float = 15 * 60.0
    forget_after: timedelta = timedelta(hours=1)

    def wait(self, failures: int) -> float:
        """Seconds to wait after the last of `failures` failures."""
        if failures < self.free:
            return 0.0
        return min(self.cap, self.first * 2 ** min(failures - self.free, 64))


PAIR = BackOff(free=3, first=1.0, cap=15 * 60.0)
ADDRESS = BackOff(free=30, first=1.0, cap=5 * 60.0)


class Throttle(Protocol):
    """What the sign-in route needs of a throttle (`SignInThrottle`, `RedisSignInThrottle`)."""

    def retry_after(self, username: str, address: str, now: datetime) -> int: ...

    def attempt(self, username: str, address: str, now: datetime) -> int: ...

    def failed(self, username: str, address: str, now: datetime) -> None: ...

    def succeeded(self, username: str, address: str, attempted: bool = False) -> None: ...

    def close(self) -> None: ...


@dataclass
class _Failures:
    count: int
    last: datetime


@dataclass
class SignInThrottle:
    """Remembers recent failures; `retry_after` says how long a username/address pair must wait (0: go
    ahead)."""

    pair: BackOff = PAIR
    address: BackOff = ADDRESS
    max_keys: int = MAX_KEYS
    _failures: OrderedDict[tuple[str, ...], _Failures] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __len__(self) -> int:
        """The keys remembered (at most `max_keys`)."""
        return len(self._failures)

    def close(self) -> None:
        """Nothing to release."""

    def retry_after(self, username: str, address: str, now: datetime) -> int:
        """Whole seconds until this username from this address may try again; 0 when it may now."""
        with self._lock:
            waits = (self._wait(("pair", username, address), self.pair, now),
                     self._wait(("addr", address), self.address, now))
        return max(waits)

    def attempt(self, username: str, address: str, now: datetime) -> int:
        """In one step: the wait for this pair (as `retry_after`), or, when there is none, the attempt counted as
        a failure until `succeeded(..., attempted=True)` takes it back. Parallel sign-ins thus cannot all pass the
        check before the first failure is recorded (the password check is slow)."""
        with self._lock:
            wait = max(self._wait(("pair", username, address), self.pair, now),
                       self._wait(("addr", address), self.address, now))
            if not wait:
                self._record(username, address, now)
        return wait

    def failed(self, username: str, address: str, now: datetime) -> None:
        with self._lock:
            self._record(username, address, now)

    def succeeded(self, username: str, address: str, attempted: bool = False) -> None:
        """The pair signed in: its failures are forgotten (the address's are not, except the attempt that
        `attempt` counted, when `attempted`)."""
        with self._lock:
            self._failures.pop(("pair", username, address), None)
            entry = self._failures.get(("addr", address)) if attempted else None
            if entry is not None:
                entry.count -= 1
                if entry.count <= 0:
                    del self._failures[("addr", address)]

    def _record(self, username: str, address: str, now: datetime) -> None:
        self._count(("pair", username, address), self.pair, now)
        self._count(("addr", address), self.address, now)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def _current(self, key: tuple[str, ...], rule: BackOff, now: datetime) -> _Failures | None:
        entry = self._failures.get(key)
        if entry is not None and now - entry.last >= rule.forget_after:
            del self._failures[key]
            return None
        return entry

    def _count(self, key: tuple[str, ...], rule: BackOff, now: datetime) -> None:
        entry = self._current(key, rule, now)
        self._failures[key] = _Failures((entry.count if entry else 0) + 1, now)
        self._failures.move_to_end(key)

    def _wait(self, key: tuple[str, ...], rule: BackOff, now: datetime) -> int:
        entry = self._current(key, rule, now)
        if entry is None:
            return 0
        left = (entry.last - now).total_seconds() + rule.wait(entry.count)
        return max(0, ceil(left))


# ------------------------------------------------------------------ shared by every core node: Redis

# One step of the throttle, atomic in Redis (a script runs alone): the same rules as SignInThrottle, on two hashes
# {count, last} (last: microseconds since the epoch, the app's clock) that expire `forget_after` after their
# last failure.
# KEYS: the pair, the address. ARGV: the step (retry, attempt, failed, succeeded, succeeded-attempted), now,
# then for the pair and for the address: free, first, cap, forget_after (microseconds).
# Returns the wait in microseconds (0 for failed and succeeded).
_STEP = """
local step, now = ARGV[1], tonumber(ARGV[2])
local function rule(at)
  return {free = tonumber(ARGV[at]), first = tonumber(ARGV[at + 1]), cap = tonumber(ARGV[at + 2]),
          forget = tonumber(ARGV[at + 3])}
end
local rules = {rule(3), rule(7)}

local function current(i)
  local found = redis.call('HMGET', KEYS[i], 'count', 'last')
  if not found[1] then return nil end
  local count, last = tonumber(found[1]), tonumber(found[2])
  if now - last >= rules[i].forget then
    redis.call('DEL', KEYS[i])
    return nil
  end
  return count, last
end

local function wait(i)
  local count, last = current(i)
  local r = rules[i]
  if count == nil or count < r.free then return 0 end
  return math.max(0, last - now + math.min(r.cap, r.first * 2 ^ math.min(count - r.free, 64)))
end

local function record()
  for i = 1, 2 do
    local count = current(i) or 0
    redis.call('HSET', KEYS[i], 'count', count + 1, 'last', ARGV[2])
    redis.call('PEXPIRE', KEYS[i], math.ceil(rules[i].forget / 1000))
  end
end

if step == 'retry' then
  return math.max(wait(1), wait(2))
elseif step == 'attempt' then
  local left = math.max(wait(1), wait(2))
  if left == 0 then record() end
  return left
elseif step == 'failed' then
  record()
  return 0
end
redis.call('DEL', KEYS[1])
if step == 'succeeded-attempted' and redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('HINCRBY', KEYS[2], 'count', -1) <= 0 then redis.call('DEL', KEYS[2]) end
end
return 0
"""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(moment: datetime) -> int:
    """Whole microseconds since the epoch (exact, unlike a float timestamp)."""
    return (as_utc(moment) - _EPOCH) // _MICROSECOND


def _rule_args(rule: BackOff) -> list[int]:
    return [rule.free, round(rule.first * 1e6), round(rule.cap * 1e6), rule.forget_after // _MICROSECOND]


def _digest(*parts: str) -> str:
    """Keys never hold what was typed as a username (a password typed in the wrong field, say)."""
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def redis_client(url: str, timeout: float = REDIS_TIMEOUT) -> redis.Redis:
    """A client that gives up fast: `timeout` to connect and per answer, no retries (the throttle falls back)."""
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                retry=Retry(NoBackoff(), 0))


@dataclass
class RedisSignInThrottle:
    """`SignInThrottle`'s rules with the failures kept in Redis, so that every core node sees the same counts and
    waits. Each step is one script, so `attempt` checks and counts atomically across nodes.

    While Redis cannot be reached (down, cut off, out of memory, slow past `REDIS_TIMEOUT`), the throttle counts
    in this process's memory (`fallback`) and logs one warning; it asks Redis again after `memory_seconds` and
    logs when Redis answers again. Agents are never locked out by a Redis outage and attackers still back off
    per node; the failures counted meanwhile are not shared."""

    client: redis.Redis
    pair: BackOff = PAIR
    address: BackOff = ADDRESS
    prefix: str = REDIS_PREFIX
    memory_seconds: float = MEMORY_SECONDS
    monotonic: Callable[[], float] = time.monotonic
    fallback: SignInThrottle = field(init=False)  # the same rules, in this process's memory
    _memory_until: float | None = None  # on memory until then (monotonic); None while Redis answers
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.fallback = SignInThrottle(self.pair, self.address)
        self._step = self.client.register_script(_STEP)
        self._rules = [*_rule_args(self.pair), *_rule_args(self.address)]

    @classmethod
    def from_url(cls, url: str, **options: object) -> RedisSignInThrottle:
        return cls(redis_client(url), **options)  # type: ignore[arg-type]

    def __len__(self) -> int:
        """The keys kept in Redis under `prefix` (tests; each expires by itself)."""
        return sum(1 for _ in self.client.scan_iter(match=f"{self.prefix}*", count=1000))

    @property
    def on_memory(self) -> bool:
        """True while the failures are counted in this process's memory (Redis failed lately)."""
        return self._memory_until is not None

    def retry_after(self, username: str, address: str, now: datetime) -> int:
        waited = self._shared("retry", username, address, now)
        return self.fallback.retry_after(username, address, now) if waited is None else waited

    def attempt(self, username: str, address: str, now: datetime) -> int:
        waited = self._shared("attempt", username, address, now)
        return self.fallback.attempt(username, address, now) if waited is None else waited

    def failed(self, username: str, address: str, now: datetime) -> None:
        if self._shared("failed", username, address, now) is None:
            self.fallback.failed(username, address, now)

    def succeeded(self, username: str, address: str, attempted: bool = False) -> None:
        step = "succeeded-attempted" if attempted else "succeeded"
        if self._shared(step, username, address, None) is None:
            self.fallback.succeeded(username, address, attempted)
        else:
            self.fallback.succeeded(username, address)  # failures counted here during an earlier outage

    def close(self) -> None:
        self.client.close()

    def _keys(self, username: str, address: str) -> list[str]:
        # one hash tag (the address) for both keys: a Redis Cluster keeps them in one slot, as a script needs
        where = f"{self.prefix}{{{_digest(address)}}}"
        return [f"{where}:pair:{_digest(username, address)}", f"{where}:address"]

    def _shared(self, step: str, username: str, address: str, now: datetime | None) -> int | None:
        """The step run in Redis: the wait in whole seconds; None when the fallback must do it."""
        if self._memory_until is not None and self.monotonic() < self._memory_until:
            return None
        try:
            micros = int(self._step(keys=self._keys(username, address),
                                    args=[step, _micros(now) if now else 0, *self._rules]))
        except redis.RedisError as error:
            with self._lock:
                if self._memory_until is None:
                    logger.warning(
                        "sign-in throttle: Redis failed (%s: %s); failed sign-ins are counted in this process "
                        "only until it answers again (asking every %g s)",
                        type(error).__name__, error, self.memory_seconds)
                self._memory_until = self.monotonic() + self.memory_seconds
            return None
        if self._memory_until is not None:
            with self._lock:
                if self._memory_until is not None:
                    self._memory_until = None
                    logger.warning("sign-in throttle: Redis answers again; failed sign-ins are shared again")
        return max(0, -(-micros // 1_000_000))


def make_throttle(redis_url: str = "") -> Throttle:
    """The throttle of a core process: shared through Redis when CORE_REDIS_URL is set, else in memory."""
    return RedisSignInThrottle.from_url(redis_url) if redis_url else SignInThrottle()
