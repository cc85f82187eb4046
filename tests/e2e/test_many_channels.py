"""Several channels at once on a real OctoPrint: each gets exactly its events and texts, and a
hanging one holds nobody else up."""

from __future__ import annotations

import json
import time

import pytest

from tests.e2e.harness import TAG, WEBHOOK_TOKEN, kinds
from tests.support.http_capture import CaptureServer
from tools.gcode import timed_gcode

pytestmark = pytest.mark.e2e

FARM_EVENTS = ["print_started", "print_failed", "print_cancelled", "printer_error"]
PHONE_EVENTS = ["print_failed", "print_cancelled", "printer_error"]


def channels(inbox, apprise_url: str) -> list:
    return [
        {"id": "log", "type": "discord", "name": "Print log", "enabled": True,
         "url": inbox.webhook_url(webhook_id="1001", token=WEBHOOK_TOKEN)},
        {"id": "farm", "type": "discord", "name": "Farm", "enabled": True,
         "url": inbox.webhook_url(webhook_id="1002", token=WEBHOOK_TOKEN), "events": FARM_EVENTS,
         "messages": {"print_failed": "[print_failed] FARM ALERT {name}: {error}"}},
        {"id": "phone", "type": "apprise", "name": "Phone", "enabled": True, "urls": apprise_url,
         "events": PHONE_EVENTS, "media": False},
    ]


def apprise_kinds(server) -> list:
    return [TAG.match(json.loads(r.body)["message"]).group(1) for r in server.requests]


def cancel_then_fail(e2e) -> None:
    e2e.start_print("first.gcode", timed_gcode(seconds=60))
    e2e.wait_kind("print_started")
    e2e.api.job_command("cancel")
    e2e.wait_kind("print_cancelled")
    e2e.api.wait_operational()
    e2e.start_print("second.gcode", timed_gcode(seconds=60))
    e2e.wait_kind("print_started", 2)
    e2e.api.printer_command("!!DEBUG:trigger_fatal_error_marlin")
    e2e.wait_kind("print_failed")


def test_each_channel_gets_exactly_its_events_in_order(e2e):
    with CaptureServer() as phone:
        e2e.api.save_plugin_settings({"channels": channels(e2e.inbox, f"json://127.0.0.1:{phone.port}/n"),
                                      "progress": {"percent_step": 0}})
        assert [c["id"] for c in e2e.api.plugin_settings()["channels"]] == ["log", "farm", "phone"]
        cancel_then_fail(e2e)
        phone.wait_for_count(3)
        for webhook in ("1001", "1002"):
            e2e.inbox.wait_for(lambda ms: "print_failed" in kinds(ms), webhook_id=webhook)

        log = [k for k in kinds(e2e.inbox.received("1001")) if k.startswith(("print_", "printer_error"))]
        farm = e2e.inbox.received("1002")
        on_phone = apprise_kinds(phone)
        failed_on_farm = [m for m in farm if m.content.startswith("[print_failed]")][0]

    error_then_failed = ["printer_error", "print_failed"]
    assert log == ["print_started", "print_cancelled", "print_started", *error_then_failed], log
    assert kinds(farm) == ["print_started", "print_cancelled", "print_started", *error_then_failed]
    assert on_phone == ["print_cancelled", *error_then_failed], on_phone
    # The farm's own text for a failure; the others keep the event's text.
    assert failed_on_farm.shown.startswith("[print_failed] FARM ALERT second.gcode: Thermal Runaway")
    assert not [m for m in e2e.inbox.received("1001") if "FARM ALERT" in m.content]
    # The phone asked for no media: its requests carry no attachment.
    assert all(not json.loads(r.body).get("attachments") for r in phone.requests)


def test_a_hanging_channel_does_not_delay_the_others(e2e):
    with CaptureServer(delay=60) as stuck:  # answers after a minute: past every timeout
        e2e.api.save_plugin_settings({"channels": channels(e2e.inbox, f"json://127.0.0.1:{stuck.port}/n")})
        e2e.api.save_plugin_settings({"events": {name: {"enabled": True} for name in PHONE_EVENTS}})
        e2e.start_print("first.gcode", timed_gcode(seconds=60))
        e2e.wait_kind("print_started")
        e2e.api.job_command("cancel")
        cancelled_at = time.monotonic()
        # The phone's server holds its request; both Discord channels still get the cancel promptly.
        log = e2e.inbox.wait_for(lambda ms: "print_cancelled" in kinds(ms), timeout=15, webhook_id="1001")
        farm = e2e.inbox.wait_for(lambda ms: "print_cancelled" in kinds(ms), timeout=15, webhook_id="1002")
        assert stuck.requests == []  # still hanging: nothing answered yet
    arrival = max(m.time for m in log + farm if m.content.startswith("[print_cancelled]"))
    assert arrival - cancelled_at < 10, arrival - cancelled_at  # generous; the stuck one takes 60 s
