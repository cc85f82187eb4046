import io

import pytest
from PIL import Image

from octoprint_octorant import gather
from octoprint_octorant.media import Transform
from octoprint_octorant.model import Attachment, Notification
from octoprint_octorant.webcam import SnapshotSource
from tools.gcode import marker_image


def camera(name, colour=(255, 0, 0), fail=False):
    def fetch():
        if fail:
            raise OSError("camera unplugged")
        image = Image.new("RGB", (64, 48), colour)
        out = io.BytesIO()
        image.save(out, "JPEG")
        return out.getvalue()
    return SnapshotSource(name, fetch, Transform())


class Recorder:
    def __init__(self, cameras=(), thumbnail=None):
        self.events = []
        self.sources = gather.Sources(
            snapshots=lambda: self.events.append("snapshot") or list(cameras),
            thumbnail=lambda origin, path: self.events.append(("thumbnail", origin, path)) or thumbnail,
            send_gcode=lambda lines: self.events.append(("gcode", tuple(lines))),
            sleep=lambda seconds: self.events.append(("sleep", seconds)),
        )


THUMB = Attachment("thumbnail.png", "image/png", marker_image(32, 32))


def notification(kind="print_started", media="snapshot", **variables):
    return Notification(kind, dict({"origin": "local", "path": "boats/benchy.gcode"}, **variables), media)


def test_thumbnail_comes_from_the_file_and_no_snapshot_is_taken():
    recorder = Recorder([camera("cam")], THUMB)
    result = gather.gather(notification(media="thumbnail"), gather.SnapshotOptions(), recorder.sources)
    assert result.attachments == (THUMB,) and result.notes == ()
    assert recorder.events == [("thumbnail", "local", "boats/benchy.gcode")]


def test_without_a_thumbnail_the_snapshot_is_sent_instead():
    recorder = Recorder([camera("cam")], None)
    result = gather.gather(notification(media="thumbnail"), gather.SnapshotOptions(), recorder.sources)
    assert [a.filename for a in result.attachments] == ["snapshot.jpg"]


def test_both_sends_thumbnail_first_then_every_webcam_named():
    recorder = Recorder([camera("bed"), camera("Top cam", (0, 0, 255))], THUMB)
    result = gather.gather(notification(media="both"), gather.SnapshotOptions(), recorder.sources)
    assert [a.filename for a in result.attachments] == ["thumbnail.png", "snapshot-bed.jpg", "snapshot-Top_cam.jpg"]


def test_one_broken_webcam_of_two_gives_one_picture_and_a_note_naming_it():
    recorder = Recorder([camera("bed"), camera("top", fail=True)])
    result = gather.gather(notification(), gather.SnapshotOptions(), recorder.sources)
    assert [a.filename for a in result.attachments] == ["snapshot-bed.jpg"]
    assert result.notes == ("no snapshot from top: webcam error: camera unplugged",)


def test_done_waits_then_sends_gcode_around_the_snapshot_even_when_it_fails():
    options = gather.SnapshotOptions(done_delay=4, gcode_before=("M355 S1",), gcode_after=("M355 S0",),
                                     gcode_settle=0.5)
    recorder = Recorder([camera("cam", fail=True)])
    result = gather.gather(notification("print_done"), options, recorder.sources)
    assert recorder.events == ["snapshot", ("sleep", 4), ("gcode", ("M355 S1",)), ("sleep", 0.5),
                               ("gcode", ("M355 S0",))]
    assert result.attachments == () and "camera unplugged" in result.notes[0]
    assert options.expected_seconds("print_done") == 4 + 0.5 + 5
    assert options.expected_seconds("print_started") == 0.5 + 5


def test_the_delay_is_only_for_the_done_snapshot():
    recorder = Recorder([camera("cam")])
    gather.gather(notification("print_failed"), gather.SnapshotOptions(done_delay=4), recorder.sources)
    assert ("sleep", 4) not in recorder.events


def test_gcode_lines_drop_comments_and_blanks_and_are_bounded():
    assert gather.gcode_lines("M355 S1 ; light\n\n  ; only a comment\nG4 P200\n") == ("M355 S1", "G4 P200")
    assert len(gather.gcode_lines("M117 hi\n" * 50)) == gather.MAX_GCODE_LINES
    assert gather.gcode_lines(None) == ()


def test_no_webcam_is_a_note_not_an_error():
    result = gather.gather(notification(), gather.SnapshotOptions(), Recorder([]).sources)
    assert result == gather.MediaSet((), ("no snapshot: no webcam is configured for snapshots",))


@pytest.mark.parametrize("size, fits", [(1000, True), (5000, False)])
def test_timelapse_attached_when_it_fits_else_a_note_with_its_size(tmp_path, size, fits):
    movie = tmp_path / "benchy_20261124.mp4"
    movie.write_bytes(b"\0" * size)
    found = gather.gather(Notification("timelapse_done", {"movie": str(movie)}, "timelapse"),
                          gather.SnapshotOptions(), Recorder().sources)
    assert found.attachments[0].path == str(movie) and found.attachments[0].content_type == "video/mp4"
    fitted = gather.fit(found, 4096, 10, gather.SnapshotOptions())
    if fits:
        assert fitted.attachments == found.attachments and fitted.notes == ()
    else:
        assert fitted.attachments == ()
        assert fitted.notes == ("benchy_20261124.mp4 is 0.0 MB, more than this channel takes (0.0 MB); "
                                "it is on the printer",)


def test_a_vanished_timelapse_is_a_note():
    found = gather.gather(Notification("timelapse_done", {"movie": "/nowhere/x.mp4"}, "timelapse"),
                          gather.SnapshotOptions(), Recorder().sources)
    assert found == gather.MediaSet((), ("the timelapse file x.mp4 could not be read",))


def test_fit_keeps_at_most_the_channels_file_count():
    images = tuple(Attachment(f"s{n}.png", "image/png", marker_image(8, 8)) for n in range(3))
    fitted = gather.fit(gather.MediaSet(images), 10 << 20, 1, gather.SnapshotOptions())
    assert [a.filename for a in fitted.attachments] == ["s0.png"]
    assert fitted.notes == ("2 more picture(s) than this channel takes in one message",)


def test_restored_messages_reattach_the_movie_but_not_snapshots(tmp_path):
    movie = tmp_path / "m.mp4"
    movie.write_bytes(b"movie")
    again = gather.restored_media(Notification("timelapse_done", {"movie": str(movie)}, "timelapse"))
    assert again.attachments[0].path == str(movie)
    assert "not kept across" in gather.restored_media(notification()).notes[0]
    assert gather.restored_media(notification(media="none")) is None


def test_fitting_keeps_each_pictures_name():
    big = Attachment("snapshot-bedcam.png", "image/png", marker_image(800, 600))
    fitted = gather.fit(gather.MediaSet((big,)), 10 << 20, 10, gather.SnapshotOptions(max_side=200))
    assert [a.filename for a in fitted.attachments] == ["snapshot-bedcam.jpg"]
