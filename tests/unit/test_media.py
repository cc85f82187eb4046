import io
import random
import threading
import time

import pytest
from PIL import Image

from octoprint_octorant.media import Transform, capture, fit_image, prepare
from octoprint_octorant.model import Attachment
from tools.discord_inbox import make_snapshot


def marker_jpeg(width=320, height=240, fmt="JPEG"):
    """Grey image, red square in the top-left corner."""
    image = Image.new("RGB", (width, height), (128, 128, 128))
    image.paste((255, 0, 0), (0, 0, width // 4, height // 4))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def red_corner(data):
    image = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = image.size
    corners = {"top-left": (5, 5), "top-right": (w - 6, 5), "bottom-left": (5, h - 6),
               "bottom-right": (w - 6, h - 6)}
    reds = [name for name, xy in corners.items() if image.getpixel(xy)[0] > 200 and image.getpixel(xy)[1] < 80]
    assert len(reds) == 1, reds
    return reds[0], (w, h)


# ffmpeg as OctoPrint's timelapse runs it: hflip, vflip, then transpose=2 (90° counter-clockwise).
@pytest.mark.parametrize("flip_h, flip_v, rotate, corner, size", [
    (False, False, False, "top-left", (320, 240)),
    (True, False, False, "top-right", (320, 240)),
    (False, True, False, "bottom-left", (320, 240)),
    (True, True, False, "bottom-right", (320, 240)),
    (False, False, True, "bottom-left", (240, 320)),
    (True, False, True, "top-left", (240, 320)),
    (False, True, True, "bottom-right", (240, 320)),
    (True, True, True, "top-right", (240, 320)),
])
def test_transforms_match_octoprint(flip_h, flip_v, rotate, corner, size):
    result = prepare(marker_jpeg(), Transform(flip_h, flip_v, rotate))
    assert red_corner(result.data) == (corner, size)
    assert result.content_type == "image/jpeg" and result.filename == "snapshot.jpg"


def test_no_transform_passes_bytes_through_untouched():
    data = marker_jpeg()
    assert prepare(data).data == data
    png = marker_jpeg(fmt="PNG")
    result = prepare(png)
    assert result.data == png and result.content_type == "image/png" and result.filename == "snapshot.png"


def test_fit_image_shrinks_until_it_fits_and_keeps_aspect():
    rng = random.Random(1)
    noisy = Image.frombytes("RGB", (1600, 900), bytes(rng.getrandbits(8) for _ in range(1600 * 900 * 3)))
    out = io.BytesIO()
    noisy.save(out, "PNG")
    big = Attachment("snapshot.png", "image/png", out.getvalue())
    fitted = fit_image(big, 200_000)
    assert fitted is not None and fitted.size <= 200_000
    w, h = Image.open(io.BytesIO(fitted.data)).size
    assert abs(w / h - 16 / 9) < 0.02
    small = Attachment("snapshot.jpg", "image/jpeg", marker_jpeg())
    assert fit_image(small, 10 * 1024 * 1024) is small


def test_garbage_gives_a_note_not_an_exception():
    result = capture(lambda: b"<html>not an image</html>", timeout=2)
    assert result.attachment is None and "not an image" in result.note


def test_chunks_are_joined():
    data = marker_jpeg()
    result = capture(lambda: iter([data[:100], data[100:]]), timeout=2)
    assert result.attachment.data == data


def test_a_hanging_webcam_is_abandoned_at_the_timeout():
    release = threading.Event()

    def hang():
        release.wait(30)
        return marker_jpeg()

    started = time.monotonic()
    result = capture(hang, timeout=0.5)
    took = time.monotonic() - started
    release.set()
    assert result.attachment is None and "did not answer within 0.5 s" in result.note
    assert took < 5


def test_errors_never_leak_webhook_tokens():
    def fail():
        raise ConnectionError("GET https://discord.com/api/webhooks/1/SECRET-TOKEN failed")

    result = capture(fail, timeout=2)
    assert result.attachment is None and "SECRET-TOKEN" not in result.note and "webcam error" in result.note


def test_oversized_stream_is_refused():
    result = capture(lambda: iter([b"x" * 1024] * 2048), timeout=2, max_bytes=1024 * 1024)
    assert result.attachment is None and "more than" in result.note


def test_longest_side_and_quality_are_applied_and_orientation_kept():
    tall = Attachment("snapshot.jpg", "image/jpeg", make_snapshot((480, 960)))
    fitted = fit_image(tall, 10 * 1024 * 1024, max_side=400, quality=60)
    image = Image.open(io.BytesIO(fitted.data))
    assert image.size == (200, 400)  # scaled, still portrait
    assert (fitted.filename, fitted.content_type, image.format) == ("snapshot.jpg", "image/jpeg", "JPEG")
    assert image.getpixel((5, 5))[0] > 200  # the red marker is still top-left
    better = fit_image(tall, 10 * 1024 * 1024, max_side=400, quality=95)
    assert better.size > fitted.size  # the quality setting is what it encodes with
