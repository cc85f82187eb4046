"""The one source of time, injectable so throttle, retry and rate-limit logic test without sleeping."""

from __future__ import annotations

import threading
import time


class Clock:
    """Real time: a monotonic clock for intervals, the wall clock for what users read."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def wait(self, event: threading.Event, timeout: float) -> bool:
        """Block until `event` is set or `timeout` seconds passed; True if the event was set."""
        return event.wait(max(0.0, timeout))


class FakeClock(Clock):
    """A clock that only moves when told to (or when someone waits on it): for tests."""

    def __init__(self, start: float = 1000.0, wall: float = 1_700_000_000.0):
        self._now = start
        self._wall_offset = wall - start
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def time(self) -> float:
        with self._lock:
            return self._now + self._wall_offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def wait(self, event: threading.Event, timeout: float) -> bool:
        if event.is_set():
            return True
        self.advance(max(0.0, timeout))
        return event.is_set()
