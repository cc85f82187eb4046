"""Media on a real OctoPrint: slicer thumbnails, two webcams, the done snapshot's delay and G-code,
the rendered timelapse over and under the channel's limit, and the settings page's preview."""

from __future__ import annotations

import re
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tests.e2e.harness import marker_corner
from tools.gcode import sliced_gcode, timed_gcode
from tools.octoprint_server import wait_until

pytestmark = pytest.mark.e2e

RED, BLUE = (255, 0, 0), (0, 0, 255)
FAKE_FFMPEG = Path(__file__).resolve().parents[2] / "tools" / "fake_ffmpeg.py"


def set_media(e2e, **events):
    e2e.api.save_plugin_settings({"events": {key: {"media": media} for key, media in events.items()}})


@pytest.mark.parametrize("style", ["prusaslicer", "bambu", "cura"])
def test_start_message_carries_the_slicers_largest_thumbnail(e2e, style):
    e2e.start_print(f"thumb-{style}.gcode", sliced_gcode(((16, 16), (220, 124)), style, timed_gcode(60)))
    started = e2e.wait_kind("print_started")[0]
    e2e.api.job_command("cancel")

    assert [(f.filename, f.content_type) for f in started.files] == [("thumbnail.png", "image/png")]
    assert marker_corner(started.files[0].data) == ("top-left", (220, 124))


def test_both_sends_the_thumbnail_and_every_webcam_in_one_message(e2e):
    set_media(e2e, print_started="both")
    e2e.api.save_plugin_settings({"snapshot": {"webcams": ["*"]}})
    e2e.start_print("both.gcode", sliced_gcode(((64, 64),), "prusaslicer_jpg", timed_gcode(60)))
    started = e2e.wait_kind("print_started")[0]
    e2e.api.job_command("cancel")

    files = {f.filename: f for f in started.files}
    assert sorted(files) == ["snapshot-bedcam.jpg", "snapshot-classic.jpg", "thumbnail.jpg"]
    assert marker_corner(files["snapshot-classic.jpg"].data, RED) == ("top-left", (640, 480))
    assert marker_corner(files["snapshot-bedcam.jpg"].data, BLUE) == ("top-left", (640, 480))
    assert files["thumbnail.jpg"].content_type == "image/jpeg"


def test_a_chosen_webcam_is_the_one_pictured(e2e):
    e2e.api.save_plugin_settings({"snapshot": {"webcams": ["bedcam"]}})
    e2e.start_print("bedcam.gcode", timed_gcode(60))  # no thumbnail in the file: the snapshot instead
    started = e2e.wait_kind("print_started")[0]
    e2e.api.job_command("cancel")

    assert [f.filename for f in started.files] == ["snapshot.jpg"]
    assert marker_corner(started.files[0].data, BLUE)[0] == "top-left"


def serial_lines(e2e, command: str) -> list:
    """(time, line) of every line OctoPrint sent that starts with `command`, from serial.log."""
    path = e2e.server.basedir / "logs" / "serial.log"
    found = []
    for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
        stamp, _, text = line.partition(" - ")
        if text.startswith(f"Send: {command}") or re.search(rf"Send: N\d+ {re.escape(command)}\b", text):
            found.append((datetime.strptime(stamp.strip(), "%Y-%m-%d %H:%M:%S,%f"), text))
    return found


def test_done_snapshot_waits_and_switches_the_light_on_and_off(e2e):
    e2e.api.ok_json("POST", "/api/settings", json={"serial": {"log": True}})
    try:
        e2e.api.save_plugin_settings({"snapshot": {"done_delay": 2, "gcode_before": "M355 S1 ; light on",
                                                   "gcode_after": "M355 S0", "gcode_settle": 0.5}})
        e2e.start_print("lit.gcode", timed_gcode(3))
        done = e2e.wait_kind("print_done")[0]
        wait_until(lambda: serial_lines(e2e, "M355 S0"), 30, 0.2, "the light to be switched off")
    finally:
        e2e.api.ok_json("POST", "/api/settings", json={"serial": {"log": False}})

    assert [f.filename for f in done.files] == ["snapshot.jpg"]
    last_line_of_print = serial_lines(e2e, "M84")[-1][0]
    light_on, light_off = serial_lines(e2e, "M355 S1")[-1][0], serial_lines(e2e, "M355 S0")[-1][0]
    assert (light_on - last_line_of_print).total_seconds() >= 2  # the head had time to park
    assert light_on < light_off


@pytest.fixture
def timelapse(e2e):
    """OctoPrint's timed timelapse, rendered by a stand-in for ffmpeg that writes `size` bytes."""

    def configure(size: int):
        e2e.api.ok_json("POST", "/api/settings", json={"webcam": {
            "ffmpegPath": sys.executable,
            "ffmpegCommandline": f'{{ffmpeg}} "{FAKE_FFMPEG}" {size} "{{input}}" "{{output}}"',
            "ffmpegThumbnailCommandline": f'{{ffmpeg}} "{FAKE_FFMPEG}" 10 "{{input}}" "{{output}}"',
        }})
        e2e.api.ok_json("POST", "/api/timelapse", json={"type": "timed", "interval": 1, "postRoll": 0, "fps": 25,
                                                        "save": True})

    yield configure
    e2e.api.ok_json("POST", "/api/timelapse", json={"type": "off", "save": True})


@pytest.mark.parametrize("size, attached", [(300 * 1024, True), (11 * 1024 * 1024, False)])
def test_rendered_timelapse_is_attached_when_it_fits(e2e, timelapse, size, attached):
    timelapse(size)
    e2e.start_print("lapse.gcode", timed_gcode(4))
    ready = e2e.wait_kind("timelapse_done", timeout=120)[0]

    movie = ready.files[0] if ready.files else None
    if attached:
        assert movie.content_type == "video/mp4"
        assert movie.filename.startswith("lapse") and movie.filename.endswith(".mp4")
        assert len(movie.data) == size and movie.data[:256] == bytes(range(256))
    else:
        assert movie is None
        assert "is 11.0 MB, more than this channel takes (10.0 MB)" in ready.shown


def test_settings_preview_shows_each_webcam_as_channels_get_it(e2e):
    e2e.api.ok_json("POST", "/api/settings", json={"plugins": {"classicwebcam": {"flipH": True}}})
    preview = e2e.api.plugin_command("snapshot", snapshot={"webcams": ["*"], "max_side": 320}).json()

    assert preview["problems"] == [] and preview["notes"] == []
    assert [(i["filename"], i["width"], i["height"]) for i in preview["images"]] == [
        ("snapshot-classic.jpg", 320, 240), ("snapshot-bedcam.jpg", 320, 240)]
    import base64

    classic = base64.b64decode(preview["images"][0]["data_url"].split(",", 1)[1])
    assert marker_corner(classic, RED) == ("top-right", (320, 240))  # the flip is applied
    assert e2e.api.plugin_settings()["snapshot"]["max_side"] == 0  # previewing saves nothing


def test_preview_of_a_broken_webcam_says_why(e2e):
    e2e.inbox.snapshot_mode = "error"
    preview = e2e.api.plugin_command("snapshot").json()
    assert preview["images"] == []
    assert preview["notes"] and "no snapshot" in preview["notes"][0]
