"""Delivery under trouble: slow webhook, rate limits, webcam problems, the test button."""

from __future__ import annotations

import re

import pytest

from tests.e2e.harness import WEBHOOK_TOKEN, kind_of, kinds, marker_corner
from tools.gcode import timed_gcode

pytestmark = pytest.mark.e2e

RED = (255, 0, 0)


def red_corner(data: bytes) -> tuple:
    """Which corner holds the test snapshot's red square, and the image size."""
    return marker_corner(data, RED)


def printed_seconds(done_message) -> int:
    """The print time OctoPrint reported, from the done message ("after 16 s", "after 1 min 15 s")."""
    match = re.search(r"after ((?:\d+ h ?)?(?:\d+ min ?)?(?:\d+ s)?)\.", done_message.shown)
    assert match, done_message.shown
    units = {"h": 3600, "min": 60, "s": 1}
    return sum(int(amount) * units[unit] for amount, unit in re.findall(r"(\d+) (h|min|s)", match.group(1)))


def run_print(e2e, name: str, seconds: float) -> None:
    e2e.start_print(name, timed_gcode(seconds=seconds))
    e2e.api.wait_state(lambda s: s == "Operational", seconds * 4 + 30, "print to finish")


def test_slow_webhook_does_not_slow_the_print(e2e):
    run_print(e2e, "fast_webhook.gcode", 10)
    fast = printed_seconds(e2e.wait_kind("print_done")[0])
    e2e.inbox.reset()

    e2e.inbox.delay = 5.0  # every answer takes 5 s (within the request timeout: slow, not broken)
    e2e.api.save_plugin_settings({"delivery": {"request_timeout": 15}})
    run_print(e2e, "slow_webhook.gcode", 10)
    # The print is over while messages are still on their way: delivery runs beside the print.
    assert len(e2e.messages("print_done")) == 0
    slow = printed_seconds(e2e.wait_kind("print_done", timeout=120)[0])

    # Generous bound on a shared machine; bench/ measures the real ratio.
    assert slow <= fast * 1.3 + 2, (fast, slow)
    sequence = kinds(e2e.inbox.received())
    assert sequence[0] == "print_started" and sequence[-1] == "print_done"


def test_rate_limit_storm_loses_nothing_and_keeps_order(e2e):
    e2e.api.save_plugin_settings({"progress": {"percent_step": 5}})
    e2e.inbox.bucket_limit = 3
    e2e.inbox.rate_limit_next(4, retry_after=0.7)
    run_print(e2e, "storm.gcode", 12)
    e2e.wait_kind("print_done", timeout=120)

    messages = e2e.inbox.received()
    sequence = kinds(messages)
    assert sequence[0] == "print_started" and sequence[-1] == "print_done", sequence
    percents = [int(re.search(r": (\d+) %", m.shown).group(1)) for m in messages if kind_of(m) == "print_progress"]
    assert percents == sorted(set(percents)), percents  # in order, none twice
    assert len(percents) >= 10, percents  # every 5 % of a print that reports every 1 %
    rejected = [a for a in e2e.inbox.attempts() if a[1] == 429]
    assert len(rejected) >= 4  # the storm happened, and nothing was lost to it


@pytest.mark.parametrize(("flip_h", "flip_v", "rotate", "corner", "size"), [
    (True, False, False, "top-right", (640, 480)),
    (False, True, True, "bottom-right", (480, 640)),
])
def test_snapshot_follows_the_webcam_orientation(e2e, flip_h, flip_v, rotate, corner, size):
    e2e.api.ok_json("POST", "/api/settings", json={"plugins": {"classicwebcam": {
        "flipH": flip_h, "flipV": flip_v, "rotate90": rotate}}})
    e2e.start_print("oriented.gcode", timed_gcode(seconds=60))
    started = e2e.wait_kind("print_started")[0]
    e2e.api.job_command("cancel")

    assert len(started.files) == 1
    assert red_corner(started.files[0].data) == (corner, size)


def test_snapshot_is_scaled_to_the_longest_side_set(e2e):
    e2e.api.save_plugin_settings({"snapshot": {"max_side": 320, "jpeg_quality": 70}})
    e2e.start_print("scaled.gcode", timed_gcode(seconds=60))
    started = e2e.wait_kind("print_started")[0]
    e2e.api.job_command("cancel")

    assert [(f.filename, f.content_type) for f in started.files] == [("snapshot.jpg", "image/jpeg")]
    assert red_corner(started.files[0].data) == ("top-left", (320, 240))


@pytest.mark.parametrize("mode", ["hang", "error", "broken", "missing"])
def test_failing_webcam_still_gives_the_message(e2e, mode):
    e2e.inbox.snapshot_mode = mode
    e2e.start_print(f"webcam_{mode}.gcode", timed_gcode(seconds=60))
    started = e2e.wait_kind("print_started", timeout=30)[0]
    e2e.api.job_command("cancel")

    assert f"webcam_{mode}.gcode" in started.shown
    assert started.files == ()
    assert "no snapshot" in started.shown


def test_test_button_sends_with_snapshot_and_reports_the_result(e2e):
    response = e2e.api.plugin_command("test", channel="discord")
    result = response.json()

    assert response.status_code == 200 and result["ok"] is True, result
    assert result["http_status"] == 200
    message = e2e.inbox.wait_for_count(1)[0]
    assert message.files and message.files[0].content_type == "image/jpeg"


def test_test_button_explains_a_deleted_webhook(e2e):
    e2e.inbox.known_webhooks = {"999": "other"}  # ours no longer exists
    result = e2e.api.plugin_command("test", channel="discord").json()

    assert result["ok"] is False
    assert result["http_status"] == 404
    assert "deleted" in result["error"].lower(), result
    assert WEBHOOK_TOKEN not in str(result)


def test_bad_webhook_url_is_refused_with_a_clear_reason(e2e):
    before = e2e.api.plugin_settings()["channels"][0]["url"]
    problems = e2e.api.plugin_command("validate", settings={"channels": [{
        "id": "discord", "type": "discord", "name": "Discord", "url": "https://example.com/hook"}]}).json()["problems"]
    e2e.api.save_plugin_settings({"channels": [{"id": "discord", "type": "discord", "name": "Discord",
                                                "url": "https://example.com/hook"}]})

    assert any("Discord webhook URL" in p for p in problems), problems
    assert e2e.api.plugin_settings()["channels"][0]["url"] == before  # nothing lost
