"""Delivery: one ordered, durable queue and worker per channel; retries, rate-limit buckets, history.

Guarantees (docs/reliability.md): a notification the outbox accepted is sent at least once, in
order, or ends in the history with the reason it was not (a permanent error, or older than the
maximum age). The queue is written to disk on every change, so it survives a restart or a
`kill -9`; a message whose fate was unknown at that moment (in flight) is sent again.

Workers catch everything per message and never die; if one dies anyway (say a BaseException
from a library), `ensure_worker` starts a new one and the message it held is sent again.
"""

from __future__ import annotations

import collections
import logging
import random
import threading
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Deque, Dict, Mapping, Optional

from .catalogue import EVENTS_BY_KEY
from .channels.base import Channel
from .clock import Clock
from .gather import restored_media
from .model import MEDIA_NONE, STATUS_FAILED, STATUS_OK, DeliveryResult, Message, Notification, RateLimit
from .redact import redact
from .store import OutboxStore

HISTORY_SIZE = 100
MAX_PENDING = 200  # per channel; beyond it the oldest non-terminal message makes room
MAX_PERSISTED_VALUE = 2000  # characters per variable written to disk

# History statuses besides ok / retry / failed: why a message was not sent.
STATUS_SUPERSEDED = "superseded"  # a newer progress message replaced it while it waited
STATUS_DROPPED = "dropped"  # the outbox was full (never a terminal notification)
STATUS_EXPIRED = "expired"  # older than the maximum age


class MediaFuture:
    """The media of one notification: captured once, shared by every channel's worker."""

    def __init__(self, expected: float = 0.0):
        self._ready = threading.Event()
        self._result = None
        self.expected = expected  # seconds gathering may take (snapshot delay, G-code, timeout)

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
    accepted: float = 0.0  # wall clock: ages must survive a restart, monotonic time does not
    attempts: int = 0
    restored: bool = False  # read back from disk after a restart (its snapshot was not kept)

    def to_json(self) -> dict:
        n = self.notification
        return {
            "kind": n.kind,
            "variables": {str(k): _storable(v) for k, v in n.variables.items()},
            "media": n.media,
            "created": n.created,
            "sequence": n.sequence,
            "accepted": self.accepted,
            "attempts": self.attempts,
        }

    @classmethod
    def from_json(cls, data: Any) -> Optional[Delivery]:
        """A delivery read back from disk, or None when the entry is not one (a damaged file)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("kind"), str):
            return None
        variables = data.get("variables")
        numbers = [data.get(k, 0) for k in ("created", "sequence", "accepted", "attempts")]
        if not isinstance(variables, Mapping) or not all(
                isinstance(x, (int, float)) and not isinstance(x, bool) for x in numbers):
            return None
        created, sequence, accepted, attempts = numbers
        media = data.get("media") if isinstance(data.get("media"), str) else MEDIA_NONE
        notification = Notification(data["kind"], variables, media, float(created), int(sequence))
        return cls(notification, None, float(accepted), int(attempts), restored=True)


def _storable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)[:MAX_PERSISTED_VALUE]


@dataclass(frozen=True)
class RetryPolicy:
    base_delay: float = 1.0
    max_delay: float = 60.0  # the cap: after a long outage, a message goes out within this
    max_age: float = 24 * 3600.0  # a message older than this is given up (history says so)
    media_wait: float = 15.0  # longest a worker waits for a snapshot still being captured

    @classmethod
    def from_settings(cls, delivery: Mapping[str, Any]) -> RetryPolicy:
        policy = cls()
        try:
            return replace(policy, max_age=float(delivery.get("max_age_hours", 24)) * 3600.0,
                           max_delay=float(delivery.get("retry_max_seconds", policy.max_delay)))
        except (TypeError, ValueError, AttributeError):
            return policy

    def backoff(self, attempt: int, rng: random.Random) -> float:
        delay = min(self.max_delay, self.base_delay * (2 ** min(max(0, attempt - 1), 30)))
        return delay * rng.uniform(0.8, 1.0)  # jitter: channels that failed together don't retry together


@dataclass
class _Bucket:
    remaining: Optional[int] = None  # requests left in the current window, as last reported
    reset_at: float = 0.0
    blocked_until: float = 0.0  # after a 429
    probing: bool = False  # one request is out to learn the new window


class RateGate:
    """One scheduler per rate-limit bucket, shared by every channel, plus the global limit.

    Discord names the bucket of a route in `X-RateLimit-Bucket`; several webhooks may share one.
    A request takes a slot from its bucket's window before it goes, so channels sharing a bucket
    never overrun it together; a 429 blocks the whole bucket (or everything, when global).
    """

    GLOBAL = "\0global"
    PROBE_SECONDS = 10.0  # if a probe's answer never comes (error, timeout), try again after this

    def __init__(self, clock: Clock):
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: Dict[str, _Bucket] = {}

    def acquire(self, key: str) -> float:
        """0 and a slot taken when a request to `key` may go now; else the seconds to wait first."""
        now = self._clock.monotonic()
        with self._lock:
            glob = self._buckets.get(self.GLOBAL)
            bucket = self._buckets.setdefault(key, _Bucket())
            wait = max(bucket.blocked_until, glob.blocked_until if glob else 0.0) - now
            if wait > 0:
                return wait
            if bucket.remaining is None:
                return 0.0  # nothing known yet: the first answer will tell
            if now >= bucket.reset_at and not bucket.probing:
                # A new window: one request goes and its answer says how much is left.
                bucket.probing, bucket.remaining, bucket.reset_at = True, 0, now + self.PROBE_SECONDS
                return 0.0
            if bucket.remaining <= 0:
                # While a probe is out, look again soon: its answer may open the window earlier.
                wait = bucket.reset_at - now
                return min(wait, 0.5) if bucket.probing else wait
            bucket.remaining -= 1
            return 0.0

    def learn(self, key: str, limit: Optional[RateLimit], asked: Optional[str] = None) -> None:
        """An answer came for a request that took its slot from `asked` (default: `key`).

        It closes a probe of `asked` even when it says nothing (an error) or names another
        bucket, so nobody waits on a window that no answer will ever describe.
        """
        with self._lock:
            probe = self._buckets.get(asked or key)
            if probe is not None and probe.probing:
                probe.probing, probe.remaining = False, None
            if limit is None or limit.remaining is None or limit.reset_after is None:
                return
            bucket = self._buckets.setdefault(key, _Bucket())
            bucket.remaining = limit.remaining
            bucket.probing = False
            bucket.reset_at = self._clock.monotonic() + limit.reset_after

    def block(self, key: str, seconds: float) -> None:
        until = self._clock.monotonic() + max(0.0, seconds)
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket())
            bucket.blocked_until = max(bucket.blocked_until, until)

    def delay(self, key: str) -> float:
        """Seconds until a request to `key` could go (without taking a slot): for status and tests."""
        now = self._clock.monotonic()
        with self._lock:
            glob = self._buckets.get(self.GLOBAL)
            bucket = self._buckets.get(key) or _Bucket()
            wait = max(bucket.blocked_until, glob.blocked_until if glob else 0.0) - now
            if bucket.remaining is not None and bucket.remaining <= 0 and now < bucket.reset_at:
                wait = max(wait, bucket.reset_at - now)
            return max(0.0, wait)


Renderer = Callable[[Notification, Channel, Optional[object]], Message]


@dataclass
class ChannelStatus:
    last_error: str = ""
    last_status: str = ""
    gone: bool = False
    delivered: int = 0
    failed: int = 0
    superseded: int = 0
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
        store: Optional[OutboxStore] = None,
    ):
        self.channel_id = channel_id
        self.channel = channel
        self.policy = policy or RetryPolicy()
        self._render = render
        self._clock = clock
        self._gate = gate
        self._logger = logger or logging.getLogger(__name__)
        self._store = store
        self._queue: Deque[Delivery] = collections.deque()
        self._inflight: Optional[Delivery] = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._closing = False
        self._discarded = False
        self._worker: Optional[threading.Thread] = None
        self._rng = random.Random()
        self._bucket = f"channel:{channel_id}"
        self.status = ChannelStatus()
        self._restore()

    # -- queue ---------------------------------------------------------------------------------

    def put(self, delivery: Delivery) -> bool:
        with self._cond:
            if self._closing:
                return False
            if not delivery.accepted:
                delivery.accepted = self._clock.time()
            self._supersede(delivery.notification.kind)
            self._queue.append(delivery)
            self._make_room()
            self._save()
            self._cond.notify_all()
        self.ensure_worker()
        return True

    def _supersede(self, kind: str) -> None:
        """A newer progress message replaces the ones still waiting (not the one in flight)."""
        spec = EVENTS_BY_KEY.get(kind)
        if spec is None or not spec.latest_only:
            return
        for stale in [d for d in self._queue if d.notification.kind == kind]:
            self._queue.remove(stale)
            self._record(stale, DeliveryResult(STATUS_SUPERSEDED, "a newer progress message replaced it"))

    def _make_room(self) -> None:
        while len(self._queue) > MAX_PENDING:
            victim = next((d for d in self._queue if not _is_terminal(d)), None)
            if victim is None:
                return  # terminal notifications are never dropped to make room
            self._queue.remove(victim)
            self._record(victim, DeliveryResult(STATUS_DROPPED, f"the outbox was full ({MAX_PENDING} waiting)"))

    def pending(self) -> int:
        with self._cond:
            return len(self._queue) + (1 if self._inflight is not None else 0)

    def set_channel(self, channel: Channel) -> None:
        """New settings for this channel (URL, bot name…): what waits goes out with them."""
        with self._cond:
            self.channel = channel
            self.status.gone = False
            self._bucket = f"channel:{self.channel_id}"
            self._cond.notify_all()

    def ensure_worker(self) -> None:
        """Start the worker, or a new one if the previous died (it should not, but never silently)."""
        with self._cond:
            if self._stop.is_set() or (self._worker is not None and self._worker.is_alive()):
                return
            if self._worker is not None:
                self._logger.error("OctoRant: worker of %s had stopped; starting a new one", self.channel.describe())
                self._put_back()
            self._worker = threading.Thread(
                target=self._run, name=f"octorant-{self.channel_id}", daemon=True
            )
            self._worker.start()

    def alive(self) -> bool:
        return self._worker is not None and self._worker.is_alive()

    def close(self, timeout: float) -> bool:
        """Stop taking messages, deliver what is queued for up to `timeout` s, then stop.

        True if everything went; what did not stays on disk for the next start.
        """
        deadline = self._clock.monotonic() + max(0.0, timeout)
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            while self._queue or self._inflight is not None:
                remaining = deadline - self._clock.monotonic()
                if remaining <= 0 or not self.alive():
                    break
                self._cond.wait(min(remaining, 0.5))
            drained = not self._queue and self._inflight is None
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._worker is not None:
            self._worker.join(max(0.0, min(2.0, deadline - self._clock.monotonic())) or 0.1)
        return drained

    def discard(self) -> None:
        """The channel was removed from the settings: stop, and forget its queue and history."""
        with self._cond:
            self._discarded = True
        self.close(0)
        if self._store is not None:
            self._store.remove(self.channel_id)

    # -- worker --------------------------------------------------------------------------------

    def _next(self) -> Optional[Delivery]:
        with self._cond:
            while not self._queue:
                if self._stop.is_set() or self._closing:
                    return None
                self._cond.wait(1.0)
            if self._stop.is_set():
                return None
            self._inflight = self._queue.popleft()
            return self._inflight

    def _finish(self, finished: bool) -> None:
        with self._cond:
            if not finished:
                self._put_back()
            self._inflight = None
            self._save()
            self._cond.notify_all()

    def _put_back(self) -> None:
        """The message in hand was not settled (stop, dead worker): it goes first next time."""
        if self._inflight is not None:
            self._queue.appendleft(self._inflight)
            self._inflight = None

    def _run(self) -> None:
        while not self._stop.is_set():
            item = self._next()
            if item is None:
                return
            finished = False
            try:
                finished = self._deliver(item)
            except Exception as error:  # one bad message must never stop the channel
                self._record(item, DeliveryResult.failure(f"internal error: {redact(error, self.channel.secrets())}"))
                self._logger.exception("OctoRant: unexpected error delivering to %s", self.channel.describe())
                finished = True
            finally:
                self._finish(finished)

    def _sleep(self, seconds: float) -> bool:
        """Wait, unless the outbox is stopped meanwhile. True if the full time passed."""
        return not self._clock.wait(self._stop, seconds)

    def _expired(self, item: Delivery) -> bool:
        if self._clock.time() - item.accepted <= self.policy.max_age:
            return False
        hours = self.policy.max_age / 3600.0
        self._record(item, DeliveryResult(STATUS_EXPIRED, f"not sent within {hours:g} h; given up after "
                                                          f"{item.attempts} attempts"))
        return True

    def _capture(self, item: Delivery):
        if item.media is not None:
            return item.media.get(self.policy.media_wait + item.media.expected)
        if item.restored:
            return restored_media(item.notification)
        return None

    def _deliver(self, item: Delivery) -> bool:
        """Send `item` until it is settled (True) or the outbox stops first (False: keep it)."""
        if self.status.gone:
            self._record(item, DeliveryResult.failure("not sent: " + self.status.last_error))
            return True
        if self._expired(item):
            return True
        capture = self._capture(item)
        channel = self.channel
        message = self._render(item.notification, channel, capture)
        failures = 0  # errors that back off (429s don't: they say when to retry)
        while True:
            if self.channel is not channel:  # settings changed while retrying: use the new ones
                channel = self.channel
                message = self._render(item.notification, channel, capture)
            wait = self._gate.acquire(self._bucket)
            if wait > 0:
                if not self._sleep(wait):
                    return False
                continue
            item.attempts += 1
            result = channel.send(message)
            self._learn_rate_limit(result)
            if result.ok:
                self._record(item, result)
                return True
            if result.status == STATUS_FAILED:
                if (result.http_status == 413 or result.files_left_out) and message.attachments:
                    # The text must arrive even when the files can't.
                    self._record(item, replace(result, status="retry"), final=False)
                    why = result.files_left_out or "too large for this channel"
                    note = f"\n(image left out: {why})"
                    message = channel.fit(replace(message, attachments=(), text=message.text + note))
                    continue
                if result.gone:
                    self.status.gone = True
                self._record(item, result)
                return True
            self._record(item, result, final=False)
            if self._expired(item):
                return True
            if result.http_status == 429:
                delay = result.retry_after if result.retry_after is not None else 1.0
                self._gate.block(RateGate.GLOBAL if result.global_limit else self._bucket, delay)
                self._logger.info("OctoRant: %s rate limited, waiting %.2f s", channel.describe(), delay)
                continue
            failures += 1
            delay = self.policy.backoff(failures, self._rng)
            self._logger.warning("OctoRant: %s: %s; retrying in %.1f s",
                                 channel.describe(), redact(result.error, channel.secrets()), delay)
            if not self._sleep(delay):
                return False

    def _learn_rate_limit(self, result: DeliveryResult) -> None:
        asked = self._bucket
        limit = result.rate_limit
        if limit is not None and limit.bucket:
            self._bucket = f"bucket:{limit.bucket}"
        self._gate.learn(self._bucket, limit, asked)

    # -- history and persistence ----------------------------------------------------------------

    def _record(self, item: Delivery, result: DeliveryResult, final: bool = True) -> None:
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
        with self._cond:
            status.history.append(entry)
            if not final:
                return
            status.last_status = result.status
            if result.status == STATUS_OK:
                status.delivered += 1
                return
            if result.status == STATUS_SUPERSEDED:
                status.superseded += 1
                return
            status.failed += 1
            status.last_error = entry["error"]
        self._logger.warning("OctoRant: %s could not deliver %s: %s",
                             self.channel.describe(), item.notification.kind, entry["error"])

    def _save(self) -> None:
        """Write the queue (message in flight first) and history; called with the lock held."""
        if self._store is None or self._discarded:
            return
        waiting = ([self._inflight] if self._inflight is not None else []) + list(self._queue)
        self._store.save(self.channel_id, {
            "pending": [d.to_json() for d in waiting],
            "history": list(self.status.history),
            "counts": {"delivered": self.status.delivered, "failed": self.status.failed,
                       "superseded": self.status.superseded},
        })

    def _restore(self) -> None:
        if self._store is None:
            return
        data = self._store.load(self.channel_id)
        history = data.get("history")
        if isinstance(history, list):
            self.status.history.extend(h for h in history[-HISTORY_SIZE:] if isinstance(h, dict))
        counts = data.get("counts") if isinstance(data.get("counts"), dict) else {}
        for key in ("delivered", "failed", "superseded"):
            if isinstance(counts.get(key), int):
                setattr(self.status, key, counts[key])
        pending = data.get("pending") if isinstance(data.get("pending"), list) else []
        restored = [d for d in (Delivery.from_json(entry) for entry in pending) if d is not None]
        if len(restored) < len(pending):
            self._logger.warning("OctoRant: %d unreadable entries in the outbox of %s were skipped",
                                 len(pending) - len(restored), self.channel.describe())
        with self._cond:
            for delivery in restored:
                if not self._expired(delivery):
                    self._queue.append(delivery)
            self._save()
        if self._queue:
            self._logger.info("OctoRant: %d messages for %s waited over the restart; sending them now",
                              len(self._queue), self.channel.describe())


def _is_terminal(delivery: Delivery) -> bool:
    spec = EVENTS_BY_KEY.get(delivery.notification.kind)
    return spec is not None and spec.terminal
