"""The notifier: takes events from OctoPrint's threads in microseconds and does the rest elsewhere.

    on_event / on_print_progress ──put──▶ intake queue ──▶ dispatcher thread
        router (+ progress throttle) → Notification → snapshot capture started at once
        → one Delivery per channel outbox → channel worker renders, fits and sends

Nothing here imports OctoPrint: the adapter passes in callables for the printer state and the
snapshot source, so this whole flow runs in tests against real local servers.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from . import gather, progress, templating
from .catalogue import EVENTS_BY_KEY, WATCHED_EVENTS
from .channels import REGISTRY
from .channels.base import Channel
from .clock import Clock
from .formatting import number as finite_number
from .model import MEDIA_NONE, DeliveryResult, Message, Notification
from .outbox import Delivery, MediaFuture, Outbox, RateGate, RetryPolicy
from .redact import redact
from .router import PrinterState, Router, RouterConfig
from .store import OutboxStore

_TICK = object()
_PROGRESS = "__progress__"
TICK_SECONDS = 1.0


@dataclass(frozen=True)
class Config:
    """An immutable snapshot of the settings the flow needs; swapped whole on save."""

    router: RouterConfig = field(default_factory=RouterConfig)
    messages: Mapping[str, str] = field(default_factory=dict)
    progress: progress.ProgressSettings = field(default_factory=progress.ProgressSettings)
    snapshot: gather.SnapshotOptions = field(default_factory=gather.SnapshotOptions)
    channels: Tuple[Mapping[str, Any], ...] = ()
    delivery: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], printer_name: str) -> Config:
        events = settings.get("events") if isinstance(settings.get("events"), Mapping) else {}
        messages = {}
        for key, spec in EVENTS_BY_KEY.items():
            entry = events.get(key) if isinstance(events.get(key), Mapping) else {}
            message = entry.get("message")
            messages[key] = message if isinstance(message, str) else spec.default_message
        snapshot = settings.get("snapshot") if isinstance(settings.get("snapshot"), Mapping) else {}
        channels = settings.get("channels") if isinstance(settings.get("channels"), list) else []
        return cls(
            router=RouterConfig.from_settings(settings, printer_name),
            messages=messages,
            progress=progress.ProgressSettings.from_mapping(settings.get("progress") or {}),
            snapshot=gather.SnapshotOptions.from_settings(snapshot),
            channels=tuple(dict(c) for c in channels if isinstance(c, Mapping)),
            delivery=settings.get("delivery") if isinstance(settings.get("delivery"), Mapping) else {},
        )


class Notifier:
    def __init__(
        self,
        printer_state: Callable[[], PrinterState],
        snapshot_source: Callable[[], Any],
        thumbnail_source: Optional[Callable[[str, str], Any]] = None,
        send_gcode: Optional[Callable[[Any], None]] = None,
        clock: Optional[Clock] = None,
        logger: Optional[logging.Logger] = None,
        policy: Optional[RetryPolicy] = None,
        channel_factory: Optional[Callable[[Mapping[str, Any]], Channel]] = None,
        store_dir: Optional[str] = None,
    ):
        self._printer_state = printer_state
        self._sources = gather.Sources(snapshot_source)
        if thumbnail_source is not None:  # else the defaults: no thumbnails, no G-code
            self._sources = replace(self._sources, thumbnail=thumbnail_source)
        if send_gcode is not None:
            self._sources = replace(self._sources, send_gcode=send_gcode)
        self._clock = clock or Clock()
        self._logger = logger or logging.getLogger(__name__)
        # A policy given here (tests, benchmarks) wins over the delivery settings.
        self._fixed_policy = policy
        self._store = OutboxStore(store_dir, self._logger) if store_dir else None
        self._channel_factory = channel_factory or self._make_channel
        self._intake: queue.Queue = queue.Queue()
        self._router = Router()
        self._gate = RateGate(self._clock)
        self._config = Config()
        self._outboxes: Dict[str, Outbox] = {}
        self._lock = threading.Lock()
        self._dispatcher: Optional[threading.Thread] = None
        self._running = False  # the dispatcher should be running (between start and shutdown)
        self._closed = False  # shut down: events are no longer taken
        self._progress_state: Optional[progress.ProgressState] = None
        self._reported_problems: set = set()

    # -- called from OctoPrint's threads: must return in microseconds ---------------------------

    def handle_event(self, event: str, payload: Any) -> None:
        # Events that come before start() wait in the intake: OctoPrint fires Startup just
        # before it calls on_startup.
        if event not in WATCHED_EVENTS or self._closed:
            return
        # A shallow copy: OctoPrint hands the same payload to every plugin.
        copied = dict(payload) if isinstance(payload, Mapping) else {}
        self._intake.put((event, copied, self._clock.time()))
        if self._running and not self._dispatcher.is_alive():
            self.ensure_running()

    def handle_progress(self) -> None:
        """OctoPrint reported file progress; the dispatcher samples the printer and decides."""
        if self._running and self._progress_state is not None:
            self._intake.put((_PROGRESS, None, self._clock.time()))

    # -- lifecycle -----------------------------------------------------------------------------

    def configure(self, settings: Mapping[str, Any], printer_name: str) -> None:
        config = Config.from_settings(settings, printer_name)
        policy = self._fixed_policy or RetryPolicy.from_settings(config.delivery)
        with self._lock:
            self._config = config  # before any worker renders with it
            old = self._outboxes
            new: Dict[str, Outbox] = {}
            known = set()
            for channel_config in config.channels:
                channel_id = str(channel_config.get("id") or "")
                known.add(channel_id)
                if not channel_id or not channel_config.get("enabled", True):
                    continue
                try:
                    channel = self._channel_factory(channel_config)
                except Exception as error:  # a broken entry is a warning, not a crash
                    self._logger.warning("OctoRant: channel %s not started: %s", channel_id,
                                         redact(error))
                    continue
                outbox = old.get(channel_id)
                if outbox is None:
                    outbox = Outbox(channel_id, channel, self._render, self._clock, self._gate, policy,
                                    self._logger, self._store)
                    outbox.ensure_worker()  # sends what waited over a restart
                elif (outbox.channel.config, outbox.channel.timeout) != (channel.config, channel.timeout):
                    # New URL, bot name, timeout…: what waits goes out with the new settings.
                    outbox.set_channel(channel)
                outbox.policy = policy
                new[channel_id] = outbox
            self._outboxes = new
        for channel_id, outbox in old.items():
            if channel_id in new:
                continue
            if channel_id in known:
                outbox.close(0)  # disabled: its queue and history stay on disk
            else:
                outbox.discard()  # removed: nothing of it is kept

    def _make_channel(self, config: Mapping[str, Any]) -> Channel:
        channel_type = REGISTRY.get(str(config.get("type") or ""))
        if channel_type is None:
            raise ValueError(f"unknown channel type {config.get('type')!r}")
        timeout = finite_number(self._config.delivery.get("request_timeout"))
        return channel_type(config, timeout=min(120.0, max(1.0, timeout)) if timeout else 10.0)

    def start(self) -> None:
        with self._lock:
            if self._closed:
                return
            if self._dispatcher is None or not self._dispatcher.is_alive():
                self._dispatcher = threading.Thread(target=self._run, name="octorant-dispatcher", daemon=True)
                self._dispatcher.start()
            self._running = True

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Announce shutdown (once), deliver what is queued within `timeout` s, stop. True if all went."""
        deadline = self._clock.monotonic() + timeout
        self.handle_event("Shutdown", {})
        self._closed = True
        self._running = False
        self._intake.put(None)  # the dispatcher routes what came before, then stops
        if self._dispatcher is not None:
            self._dispatcher.join(max(0.0, min(timeout, 5.0)))
        drained = True
        for outbox in list(self._outboxes.values()):
            drained &= outbox.close(max(0.0, deadline - self._clock.monotonic()))
        return drained

    # -- the dispatcher thread -----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            wait = TICK_SECONDS if self._progress_state is not None else None
            try:
                item = self._intake.get(timeout=wait)
            except queue.Empty:
                item = _TICK
            if item is None:
                return
            try:
                self._process(item)
            except Exception:  # the dispatcher must outlive any one event
                self._logger.exception("OctoRant: could not process %r", item if item is _TICK else item[0])
            self._supervise()

    def ensure_running(self) -> None:
        """Restart the dispatcher or a worker that died (checked on every event and tick)."""
        if self._running and (self._dispatcher is None or not self._dispatcher.is_alive()):
            self._logger.error("OctoRant: dispatcher had stopped; starting a new one")
            self.start()
        self._supervise()

    def _supervise(self) -> None:
        for outbox in list(self._outboxes.values()):
            outbox.ensure_worker()

    def _state(self) -> PrinterState:
        try:
            return self._printer_state()
        except Exception:
            self._logger.exception("OctoRant: could not read the printer state")
            return PrinterState()

    def _process(self, item) -> None:
        config = self._config
        if item is _TICK:
            event, payload, wall = _PROGRESS, None, self._clock.time()
        else:
            event, payload, wall = item
        state = self._state()
        self._track_progress(event, payload, state, wall, config)
        if event == _PROGRESS:
            return
        notification = self._router.route(event, payload, state, wall, config.router)
        if notification is not None:
            self.dispatch(notification)

    def _track_progress(self, event: str, payload, state: PrinterState, wall: float, config: Config) -> None:
        now = self._clock.monotonic()
        if event == "PrintStarted":
            self._progress_state = progress.ProgressState.start(now)
            return
        if event in ("PrintDone", "PrintFailed", "PrintCancelled", "Disconnected"):
            self._progress_state = None
            return
        if self._progress_state is None:
            return
        z = state.z
        if event == "ZChange" and isinstance(payload, Mapping):
            new_z = finite_number(payload.get("new"))
            z = z if new_z is None else new_z
        printing = state.printing and event != "PrintPaused"
        sample = progress.ProgressSample(
            now=now, file_percent=state.completion, print_time=state.print_time,
            print_time_left=state.print_time_left, z=z, printing=printing,
        )
        decision, self._progress_state = progress.decide(config.progress, self._progress_state, sample)
        if decision is not None:
            notification = self._router.progress(decision.reason, state, wall, config.router)
            if notification is not None:
                self.dispatch(notification)

    # -- fan-out -------------------------------------------------------------------------------

    def dispatch(self, notification: Notification) -> int:
        """Queue `notification` for every enabled channel; start its media capture once."""
        with self._lock:
            outboxes = [o for o in self._outboxes.values() if self._wants(o, notification)]
        if not outboxes:
            return 0
        future = None
        if notification.media != MEDIA_NONE and any(o.channel.config.get("media", True) for o in outboxes):
            future = self._gather(notification)
        for outbox in outboxes:
            outbox.put(Delivery(notification, future))
        return len(outboxes)

    @staticmethod
    def _wants(outbox: Outbox, notification: Notification) -> bool:
        events = outbox.channel.config.get("events")
        # No selection (absent, null or empty) means every enabled event.
        return not isinstance(events, list) or not events or notification.kind in events

    def _gather(self, notification: Notification) -> MediaFuture:
        """Start gathering the media now (the moment of the event), off the dispatcher thread."""
        options = self._config.snapshot
        future = MediaFuture(options.expected_seconds(notification.kind))

        def work():
            result = None
            try:
                result = gather.gather(notification, options, self._sources, self._logger)
            except Exception as error:
                result = gather.MediaSet((), (f"no media: {redact(error)}",))
            finally:
                future.set(result)

        threading.Thread(target=work, name="octorant-media", daemon=True).start()
        return future

    # -- rendering, on each channel's worker ---------------------------------------------------

    def _render(self, notification: Notification, channel: Channel, capture) -> Message:
        spec = EVENTS_BY_KEY[notification.kind]
        overrides = channel.config.get("messages")
        template = self._config.messages.get(notification.kind, spec.default_message)
        if isinstance(overrides, Mapping) and isinstance(overrides.get(notification.kind), str):
            template = overrides[notification.kind]
        rendered = templating.render(template, notification.variables, escape=channel.escape_value)
        for problem in rendered.problems:
            key = (notification.kind, template, problem)
            if key not in self._reported_problems:  # log once, not on every message
                self._reported_problems.add(key)
                self._logger.warning("OctoRant: message for %s: %s", spec.title, problem)
        text = rendered.text.strip() or spec.title
        attachments, notes = self._media_for(channel, capture)
        text += _notes(notes)
        message = Message(
            kind=notification.kind, text=text,
            title=f"{spec.title} – {notification.variables.get('printer_name', '')}",
            attachments=attachments, sequence=notification.sequence, created=notification.created,
            template=template,
        )
        return channel.fit(message)

    def _media_for(self, channel: Channel, media_set) -> Tuple[tuple, tuple]:
        """The notification's media fitted to this channel's limits, and notes on what is missing."""
        if media_set is None or not channel.config.get("media", True):
            return (), ()
        caps = channel.capabilities
        if not caps.supports_files:
            return (), ()
        fitted = gather.fit(media_set, caps.max_file_bytes, caps.max_files, self._config.snapshot)
        return fitted.attachments, fitted.notes

    # -- for the settings page and the test button ---------------------------------------------

    def channel_status(self) -> Dict[str, dict]:
        with self._lock:
            outboxes = dict(self._outboxes)
        return {
            channel_id: {
                "last_status": o.status.last_status,
                "last_error": o.status.last_error,
                "gone": o.status.gone,
                "delivered": o.status.delivered,
                "failed": o.status.failed,
                "superseded": o.status.superseded,
                "pending": o.pending(),
                "history": list(o.status.history),
            }
            for channel_id, o in outboxes.items()
        }

    def preview(self, kind: str, template: Any) -> dict:
        """`template` rendered with the catalogue's sample values, and its problems (settings page)."""
        spec = EVENTS_BY_KEY.get(kind)
        if spec is None:
            return {"text": "", "problems": [f"unknown event {kind!r}"]}
        rendered = templating.render(template, spec.samples())
        return {"text": rendered.text, "problems": list(rendered.problems)}

    def snapshot_preview(self, snapshot_settings: Optional[Mapping[str, Any]] = None,
                         snapshot_source: Optional[Callable[[], Any]] = None):
        """The webcams' pictures as channels get them (transforms, longest side, quality), now.

        `snapshot_settings` and `snapshot_source` let the settings page try values not yet saved.
        """
        options = (gather.SnapshotOptions.from_settings(snapshot_settings) if snapshot_settings is not None
                   else self._config.snapshot)
        sources = self._sources if snapshot_source is None else replace(self._sources, snapshots=snapshot_source)
        shots, notes = gather.snapshots("test", options, sources, self._logger)
        with self._lock:
            limits = [o.channel.capabilities.max_file_bytes for o in self._outboxes.values()]
        limit = min(limits or [10 << 20])
        return gather.fit(gather.MediaSet(tuple(shots), tuple(notes)), limit, 10, options)

    def test_channel(self, channel_config: Mapping[str, Any], with_snapshot: bool = True) -> dict:
        """Send a test message through `channel_config` now (API thread) and say what happened."""
        try:
            channel = self._channel_factory(channel_config)
        except Exception as error:
            return {"ok": False, "error": redact(error)}
        problems = channel.validate(channel.config)
        if problems:
            return {"ok": False, "error": " ".join(problems)}
        check = channel.check()
        if check is not None and not check.ok:
            return _result_dict(check, channel)
        config = self._config
        text = f"👋 Test message from OctoRant on {config.router.printer_name}: notifications will arrive here."
        media_set = self.snapshot_preview() if with_snapshot else None
        attachments, notes = self._media_for(channel, media_set)
        text += _notes(notes)
        message = channel.fit(Message(kind="test", text=text, title="OctoRant test", attachments=attachments))
        result, details = channel.test(message)
        return dict(_result_dict(result, channel), details=details)


def _notes(notes) -> str:
    """What is missing from a message, one line each in brackets under its text."""
    return "".join(f"\n({note})" for note in notes)


def _result_dict(result: DeliveryResult, channel: Channel) -> dict:
    return {
        "ok": result.ok,
        "status": result.status,
        "http_status": result.http_status,
        "error": redact(result.error, channel.secrets()),
    }
