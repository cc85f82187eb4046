"""Delivery: one ordered queue and worker per channel, retries, rate-limit pacing, history.

Workers catch everything per message and never die; if one dies anyway (say a BaseException
from a library), `ensure_worker` starts a new one and the queue is still there.
"""

from __future__ import annotations

import collections
import logging
import random
import threading
from dataclasses import dataclass, field, replace
from typing import Callable, Deque, Dict, List, Optional

from .channels.base import Channel
from .clock import Clock
from .model import STATUS_FAILED, STATUS_OK, DeliveryResult, Message, Notification
from .redact import redact

HISTORY_SIZE = 100


class MediaFuture:
    """The media of one notification: captured once, shared by every channel's worker."""

    def __init__(self):
        self._ready = threading.Event()
        self._result = None

    def set(self, result) -> None:
        self._result = result
        self._ready.set()

    def get(self, timeout: float):
        self._ready.wait(max(0.0, timeout))
        return self._result


@dataclass
class Delivery:
    notification: Notification
    media: Optional[MediaFuture] = None
    enqueued: float = 0.0
    attempts: int = 0


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8  # for 5xx, timeouts and connection errors; 429s wait as told
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_age: float = 24 * 3600.0  # a message older than this is given up (history says so)
    media_wait: float = 15.0  # longest a worker waits for a snapshot still being captured

    def backoff(self, attempt: int, rng: random.Random) -> float:
        delay = min(self.max_delay, self.base_delay * (2 ** max(0, attempt - 1)))
        return delay * rng.uniform(0.8, 1.2)  # jitter: channels that failed together don't retry together


class RateGate:
    """Shared pacing across channels: Discord rate-limit buckets and global 429s."""

    GLOBAL = "\0global"

    def __init__(self, clock: Clock):
        self._clock = clock
        self._lock = threading.Lock()
        self._blocked_until: Dict[str, float] = {}

    def delay(self, bucket: str) -> float:
        now = self._clock.monotonic()
        with self._lock:
            until = max(self._blocked_until.get(bucket, 0.0), self._blocked_until.get(self.GLOBAL, 0.0))
        return max(0.0, until - now)

    def block(self, bucket: str, seconds: float) -> None:
        until = self._clock.monotonic() + max(0.0, seconds)
        with self._lock:
            self._blocked_until[bucket] = max(self._blocked_until.get(bucket, 0.0), until)


Renderer = Callable[[Notification, Channel, Optional[object]], Message]


@dataclass
class ChannelStatus:
    last_error: str = ""
    last_status: str = ""
    gone: bool = False
    delivered: int = 0
    failed: int = 0
    history: Deque[dict] = field(default_factory=lambda: collections.deque(maxlen=HISTORY_SIZE))


class Outbox:
    def __init__(
        self,
        channel_id: str,
        channel: Channel,
        render: Renderer,
        clock: Clock,
        gate: RateGate,
        policy: Optional[RetryPolicy] = None,
        logger: Optional[logging.Logger] = None,
    ):
        self.channel_id = channel_id
        self.channel = channel
        self._render = render
        self._clock = clock
        self._gate = gate
        self._policy = policy or RetryPolicy()
        self._logger = logger or logging.getLogger(__name__)
        self._queue: Deque[Delivery] = collections.deque()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._closing = False
        self._busy = False
        self._worker: Optional[threading.Thread] = None
        self._rng = random.Random()
        self._bucket = f"channel:{channel_id}"
        self.status = ChannelStatus()

    # -- queue ---------------------------------------------------------------------------------

    def put(self, delivery: Delivery) -> bool:
        with self._cond:
            if self._closing:
                return False
            delivery.enqueued = self._clock.monotonic()
            self._queue.append(delivery)
            self._cond.notify_all()
        self.ensure_worker()
        return True

    def pending(self) -> int:
        with self._cond:
            return len(self._queue) + (1 if self._busy else 0)

    def ensure_worker(self) -> None:
        """Start the worker, or a new one if the previous died (it should not, but never silently)."""
        with self._cond:
            if self._worker is not None and self._worker.is_alive():
                return
            if self._worker is not None:
                self._logger.error("OctoRant: worker of %s had stopped; starting a new one", self.channel.describe())
            self._busy = False
            self._worker = threading.Thread(
                target=self._run, name=f"octorant-{self.channel_id}", daemon=True
            )
            self._worker.start()

    def alive(self) -> bool:
        return self._worker is not None and self._worker.is_alive()

    def close(self, timeout: float) -> bool:
        """Stop taking messages, deliver what is queued for up to `timeout` s, then stop. True if drained."""
        deadline = self._clock.monotonic() + max(0.0, timeout)
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            while self._queue or self._busy:
                remaining = deadline - self._clock.monotonic()
                if remaining <= 0 or not self.alive():
                    break
                self._cond.wait(min(remaining, 0.5))
            drained = not self._queue and not self._busy
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._worker is not None:
            self._worker.join(max(0.0, min(2.0, deadline - self._clock.monotonic())) or 0.1)
        return drained

    def take_queue(self) -> List[Delivery]:
        """What is still waiting (after close), e.g. to hand it to a reconfigured channel."""
        with self._cond:
            items = list(self._queue)
            self._queue.clear()
            return items

    # -- worker --------------------------------------------------------------------------------

    def _next(self) -> Optional[Delivery]:
        with self._cond:
            while not self._queue:
                if self._stop.is_set() or self._closing:
                    return None
                self._cond.wait(1.0)
            if self._stop.is_set():
                return None
            self._busy = True
            return self._queue.popleft()

    def _done(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()

    def _run(self) -> None:
        while not self._stop.is_set():
            item = self._next()
            if item is None:
                return
            try:
                self._deliver(item)
            except Exception as error:  # one bad message must never stop the channel
                self._record(item, DeliveryResult.failure(f"internal error: {redact(error, self.channel.secrets())}"))
                self._logger.exception("OctoRant: unexpected error delivering to %s", self.channel.describe())
            finally:
                self._done()

    def _sleep(self, seconds: float) -> bool:
        """Wait, unless the outbox is stopped meanwhile. True if the full time passed."""
        return not self._clock.wait(self._stop, seconds)

    def _deliver(self, item: Delivery) -> None:
        if self.status.gone:
            self._record(item, DeliveryResult.failure("not sent: " + self.status.last_error))
            return
        capture = item.media.get(self._policy.media_wait) if item.media is not None else None
        message = self._render(item.notification, self.channel, capture)
        failures = 0  # errors that count against max_attempts (429s don't: they say when to retry)
        while True:
            wait = self._gate.delay(self._bucket)
            if wait > 0 and not self._sleep(wait):
                self._record(item, DeliveryResult.failure("not sent: OctoPrint was shutting down"))
                return
            item.attempts += 1
            result = self.channel.send(message)
            self._learn_rate_limit(result)
            if result.ok:
                self._record(item, result)
                return
            if result.status == STATUS_FAILED:
                if result.http_status == 413 and message.attachments:
                    # The text must arrive even when the image can't.
                    note = "\n(image left out: too large for this channel)"
                    message = self.channel.fit(replace(message, attachments=(), text=message.text + note))
                    continue
                if result.gone:
                    self.status.gone = True
                self._record(item, result)
                return
            # Retry: 429 waits as told; other errors back off, a bounded number of times.
            age = self._clock.monotonic() - item.enqueued
            if age > self._policy.max_age:
                self._record(item, replace(result, status=STATUS_FAILED,
                                           error=f"given up after {item.attempts} attempts: {result.error}"))
                return
            if result.http_status == 429:
                delay = result.retry_after if result.retry_after is not None else 1.0
                self._gate.block(RateGate.GLOBAL if result.global_limit else self._bucket, delay)
                self._logger.info("OctoRant: %s rate limited, waiting %.2f s", self.channel.describe(), delay)
                continue
            failures += 1
            if failures >= self._policy.max_attempts:
                self._record(item, replace(result, status=STATUS_FAILED,
                                           error=f"given up after {item.attempts} attempts: {result.error}"))
                return
            delay = self._policy.backoff(failures, self._rng)
            self._logger.warning("OctoRant: %s: %s; retrying in %.1f s",
                                 self.channel.describe(), redact(result.error, self.channel.secrets()), delay)
            if not self._sleep(delay):
                self._record(item, replace(result, status=STATUS_FAILED,
                                           error=f"not sent before shutdown: {result.error}"))
                return

    def _learn_rate_limit(self, result: DeliveryResult) -> None:
        limit = result.rate_limit
        if limit is None:
            return
        if limit.bucket:
            self._bucket = f"bucket:{limit.bucket}"
        if limit.remaining == 0 and limit.reset_after:
            # Pace: the next request would hit 429, so wait for the bucket to refill.
            self._gate.block(self._bucket, limit.reset_after)

    def _record(self, item: Delivery, result: DeliveryResult) -> None:
        status = self.status
        entry = {
            "time": self._clock.time(),
            "event": item.notification.kind,
            "sequence": item.notification.sequence,
            "status": result.status,
            "http_status": result.http_status,
            "attempts": item.attempts,
            "error": redact(result.error, self.channel.secrets()),
        }
        status.history.append(entry)
        status.last_status = result.status
        if result.status == STATUS_OK:
            status.delivered += 1
        else:
            status.failed += 1
            status.last_error = entry["error"]
            self._logger.warning("OctoRant: %s could not deliver %s: %s",
                                 self.channel.describe(), item.notification.kind, entry["error"])
