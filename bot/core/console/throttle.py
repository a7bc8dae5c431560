"""Failed console sign-ins, in memory (per core process): exponential back-off per (username, address) pair,
and a generous back-off per client address.

- A pair (the username tried, the client's address) may fail `PAIR.free` times; after that each further failure
  makes it wait `first` seconds, doubling per failure up to `cap`. A success clears the pair. Failures of a
  username from one address never hold back the same username from another address: nobody can lock an agent
  out by guessing at its password.
- An address (many usernames sprayed from one place) backs off the same way after `ADDRESS.free` failures, up
  to a shorter cap: colleagues behind one office address wait seconds, not a 15-minute wall.
- A key quiet for `forget_after` is forgotten; at most MAX_KEYS keys are kept (the least recently failed go).

Plain Python: the router passes the request's clock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import ceil

MAX_KEYS = 10_000  # beyond this the least recently failed keys are forgotten (memory stays bounded)


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
