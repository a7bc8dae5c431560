"""Failed console sign-ins, counted per username and per client address, in memory (per core process).

After `max_failures` failures of a key within `window`, its next attempts are refused until the oldest failure
has left the window; the address limit is higher, since colleagues may share one office address. A successful
sign-in clears its username's failures. Plain Python: the router calls it with the request's clock.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import ceil

MAX_KEYS = 10_000  # beyond this the oldest keys are forgotten (memory stays bounded under a flood)


@dataclass
class SignInThrottle:
    """Remembers recent failures; `retry_after` says how long a username/address pair must wait (0: go
    ahead)."""

    max_user_failures: int = 5
    max_address_failures: int = 20
    window: timedelta = timedelta(minutes=15)
    _failures: dict[str, deque[datetime]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, username: str, address: str, now: datetime) -> int:
        """Seconds until this username from this address may try again; 0 when it may now."""
        with self._lock:
            waits = [self._wait(f"user:{username}", self.max_user_failures, now),
                     self._wait(f"addr:{address}", self.max_address_failures, now)]
        return max(waits)

    def failed(self, username: str, address: str, now: datetime) -> None:
        with self._lock:
            for key in (f"user:{username}", f"addr:{address}"):
                self._recent(key, now).append(now)
            while len(self._failures) > MAX_KEYS:
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{username}", None)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def _wait(self, key: str, limit: int, now: datetime) -> int:
        times = self._recent(key, now)
        if len(times) < limit:
            return 0
        return max(1, ceil((times[-limit] + self.window - now).total_seconds()))
