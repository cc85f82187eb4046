"""What a maker sees during ordinary prints: start, progress, done, pause/resume, cancel, errors."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tests.e2e.harness import PRINTER_NAME, kind_of, kinds
from tools.gcode import timed_gcode

pytestmark = pytest.mark.e2e


def assert_rendered(message):
    """Default texts use only known variables: nothing is left as a visible {placeholder}."""
    assert "{" not in message.shown and "}" not in message.shown, message.shown


def test_startup_message_arrives_when_octoprint_starts(octoprint):
    startup = [m for m in octoprint.startup_messages if kind_of(m) == "startup"]
    assert len(startup) == 1
    assert PRINTER_NAME in startup[0].shown
    assert startup[0].username == "Garage Printer"


def test_print_start_progress_done(e2e):
    e2e.start_print("benchy_fast.gcode", timed_gcode(seconds=16))
    e2e.api.wait_state(lambda s: s == "Operational", 90, "print to finish")
    done = e2e.wait_kind("print_done")
    messages = e2e.inbox.received()
    sequence = [k for k in kinds(messages) if k.startswith("print_")]

    assert sequence[0] == "print_started" and sequence[-1] == "print_done"
    assert sequence.count("print_started") == 1 and sequence.count("print_done") == 1
    progress = [m for m in messages if kind_of(m) == "print_progress"]
    percents = [int(re.search(r": (\d+) % done", m.shown).group(1)) for m in progress]
    # Every 25 %: one message per step crossed (showing the percentage at that moment, as the
    # ETA does), never at 0 or 100 %, never twice for a step, in order.
    assert 1 <= len(percents) <= 3 and percents == sorted(set(percents)), percents
    assert all(25 <= p < 100 for p in percents), percents
    assert len({p // 25 for p in percents}) == len(percents), percents
    assert "benchy_fast.gcode" in done[0].shown and PRINTER_NAME in done[0].shown
    for message in messages:
        assert_rendered(message)
        assert message.query.get("wait") == "true"
    # Start and done carry the webcam snapshot inline, as a real JPEG.
    for message in (messages[0], done[0]):
        assert message.kind == "multipart" and len(message.files) == 1, message
        picture = message.files[0]
        assert picture.content_type == "image/jpeg" and picture.filename.endswith(".jpg")
        assert Image.open(io.BytesIO(picture.data)).size == (640, 480)


def test_cancel_gives_exactly_one_message(e2e):
    e2e.start_print("to_cancel.gcode", timed_gcode(seconds=60))
    e2e.wait_kind("print_started")
    e2e.api.job_command("cancel")
    cancelled = e2e.wait_kind("print_cancelled")
    e2e.marker()

    assert "to_cancel.gcode" in cancelled[0].shown
    assert len(e2e.messages("print_cancelled")) == 1
    assert e2e.messages("print_failed") == []


def test_pause_and_resume(e2e):
    e2e.start_print("pausing.gcode", timed_gcode(seconds=60))
    e2e.wait_kind("print_started")
    e2e.api.job_command("pause", action="pause")
    paused = e2e.wait_kind("print_paused")
    e2e.api.wait_state(lambda s: s == "Paused", 30, "pause")
    e2e.api.job_command("pause", action="resume")
    resumed = e2e.wait_kind("print_resumed")
    e2e.api.job_command("cancel")
    e2e.wait_kind("print_cancelled")

    assert "pausing.gcode" in paused[0].shown
    assert "pausing.gcode" in resumed[0].shown
    # Where the head was when the print paused, as OctoPrint recorded it.
    assert "(head at X: " in paused[0].shown and "(head at X: " in resumed[0].shown, paused[0].shown
    assert_rendered(paused[0])
    assert_rendered(resumed[0])
    order = [k for k in kinds(e2e.inbox.received()) if k != "print_progress"]
    assert order == ["print_started", "print_paused", "print_resumed", "print_cancelled"], order


def test_printer_error_during_a_print_sends_error_and_failed(e2e):
    e2e.start_print("overheats.gcode", timed_gcode(seconds=60))
    e2e.wait_kind("print_started")
    # The virtual printer reports a thermal runaway and halts, as Marlin does.
    e2e.api.printer_command("!!DEBUG:trigger_fatal_error_marlin")
    error = e2e.wait_kind("printer_error")
    failed = e2e.wait_kind("print_failed")

    assert "Thermal Runaway" in error[0].shown, error[0].shown
    assert "overheats.gcode" in failed[0].shown
    assert "error" in failed[0].shown.lower()
    assert e2e.messages("print_cancelled") == []


def test_filament_change_is_announced(e2e):
    e2e.start_print("colour_swap.gcode", timed_gcode(seconds=30, with_m600_at_layer=2))
    change = e2e.wait_kind("filament_change")
    e2e.api.job_command("cancel")

    assert PRINTER_NAME in change[0].shown
    assert_rendered(change[0])
