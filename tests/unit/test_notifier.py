"""The notifier's flow with a recording channel: intake, routing, fan-out, shutdown."""

from __future__ import annotations

import threading
import time

from octoprint_octorant import settings as octorant_settings
from octoprint_octorant.channels.base import Capabilities, Channel
from octoprint_octorant.model import DeliveryResult
from octoprint_octorant.notifier import Notifier
from octoprint_octorant.router import PrinterState
from tools.octoprint_server import wait_until


class RecordingChannel(Channel):
    type_name = "recording"
    capabilities = Capabilities(max_text_length=2000, max_file_bytes=10_000_000, max_files=1)

    def __init__(self, config, sink):
        super().__init__(config)
        self.sink = sink

    def send(self, message):
        with self.sink["cond"]:
            self.sink["messages"].append(message)
            self.sink["cond"].notify_all()
        return DeliveryResult.success(200)


def make_notifier(events=None, **channel):
    sink = {"messages": [], "cond": threading.Condition()}
    settings = octorant_settings.defaults()
    for key in events or ():
        settings["events"][key]["enabled"] = True
    settings["channels"] = [dict({"id": "rec", "type": "recording", "name": "rec", "enabled": True}, **channel)]
    notifier = Notifier(printer_state=PrinterState, snapshot_source=lambda: None,
                        channel_factory=lambda config: RecordingChannel(config, sink))
    notifier.configure(settings, "Bench Printer")
    return notifier, sink


def wait_messages(sink, count, timeout=10.0):
    deadline = time.monotonic() + timeout
    with sink["cond"]:
        while len(sink["messages"]) < count:
            left = deadline - time.monotonic()
            assert left > 0, f"only {len(sink['messages'])} of {count} messages"
            sink["cond"].wait(left)
        return list(sink["messages"])


def test_events_before_start_are_kept():
    notifier, sink = make_notifier()
    notifier.handle_event("Startup", None)  # OctoPrint fires Startup just before on_startup
    notifier.start()
    messages = wait_messages(sink, 1)
    notifier.shutdown(5)
    assert messages[0].kind == "startup"
    assert "Bench Printer" in messages[0].text


def test_shutdown_announces_once_and_flushes():
    notifier, sink = make_notifier()
    notifier.start()
    notifier.handle_event("PrintDone", {"name": "a.gcode", "time": 12})
    notifier.handle_event("Shutdown", None)  # OctoPrint's own event and our shutdown() both
    assert notifier.shutdown(5) is True
    kinds = [m.kind for m in sink["messages"]]
    assert kinds == ["print_done", "shutdown"]
    notifier.handle_event("PrintFailed", {"name": "late.gcode"})  # after shutdown: ignored
    assert len(sink["messages"]) == 2


def test_payload_is_copied_not_changed():
    notifier, sink = make_notifier()
    notifier.start()
    payload = {"name": "@everyone.gcode", "time": 3}
    notifier.handle_event("PrintDone", payload)
    wait_messages(sink, 1)
    notifier.shutdown(5)
    assert payload == {"name": "@everyone.gcode", "time": 3}


def test_a_dead_dispatcher_is_restarted_by_the_next_event():
    notifier, sink = make_notifier()
    notifier.start()
    notifier._intake.put(None)  # makes the dispatcher return, as if it had died
    notifier._dispatcher.join(5)
    assert not notifier._dispatcher.is_alive()
    notifier.handle_event("PrintDone", {"name": "b.gcode", "time": 5})
    messages = wait_messages(sink, 1)
    notifier.shutdown(5)
    assert messages[0].kind == "print_done"


def test_bad_payloads_never_raise_on_the_callers_thread():
    notifier, sink = make_notifier()
    notifier.start()
    for payload in (None, 5, "text", [1, 2], {"name": None, "time": "soon"}, {"time": float("nan")}):
        notifier.handle_event("PrintDone", payload)
    messages = wait_messages(sink, 6)
    notifier.shutdown(5)
    assert all(m.kind == "print_done" and m.text for m in messages)


def test_channel_event_selection_is_respected():
    notifier, sink = make_notifier(events=["print_paused"])
    notifier._outboxes["rec"].channel.config["events"] = ["print_done"]
    notifier.start()
    notifier.handle_event("PrintPaused", {"name": "c.gcode"})
    notifier.handle_event("PrintDone", {"name": "c.gcode", "time": 1})
    messages = wait_messages(sink, 1)
    notifier.shutdown(5)
    assert [m.kind for m in messages] == ["print_done"]


def discord_settings(**delivery):
    settings = octorant_settings.defaults()
    settings["delivery"].update(delivery)
    settings["channels"] = [{"id": "d", "type": "discord", "name": "d", "enabled": True,
                             "url": "https://discord.com/api/webhooks/1/token"}]
    return settings


def test_a_new_request_timeout_reaches_the_running_channel():
    notifier = Notifier(printer_state=PrinterState, snapshot_source=lambda: None)
    notifier.configure(discord_settings(request_timeout=3), "P")
    outbox = notifier._outboxes["d"]
    assert outbox.channel.timeout == 3
    notifier.configure(discord_settings(request_timeout=20), "P")
    assert notifier._outboxes["d"] is outbox  # same queue…
    assert outbox.channel.timeout == 20  # …new channel settings
    notifier.shutdown(1)


def test_removed_channels_leave_nothing_on_disk_and_disabled_ones_keep_their_history(tmp_path):
    sink = {"messages": [], "cond": threading.Condition()}
    notifier = Notifier(printer_state=PrinterState, snapshot_source=lambda: None, store_dir=str(tmp_path),
                        channel_factory=lambda config: RecordingChannel(config, sink))
    settings = octorant_settings.defaults()
    settings["channels"] = [{"id": "a", "type": "recording", "enabled": True},
                            {"id": "b", "type": "recording", "enabled": True}]
    notifier.configure(settings, "P")
    notifier.start()
    notifier.handle_event("PrintDone", {"name": "x.gcode"})
    wait_messages(sink, 2)
    wait_until(lambda: all((tmp_path / f"outbox-{c}.json").exists() for c in "ab"), 5, 0.02, "outbox files")
    settings["channels"] = [{"id": "a", "type": "recording", "enabled": False}]
    notifier.configure(settings, "P")
    assert (tmp_path / "outbox-a.json").exists()
    assert not (tmp_path / "outbox-b.json").exists()
    notifier.shutdown(1)
