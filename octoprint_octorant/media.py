"""Snapshot capture with a hard timeout, OctoPrint's transforms, and fitting to a channel's limits.

A missing, slow or broken webcam degrades to "no image, with a short note", never to "no
message" and never to an exception.
"""

from __future__ import annotations

import base64
import io
import os
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, List, Optional, Sequence, Tuple

from .model import Attachment
from .redact import redact

MAX_CAPTURE_BYTES = 20 * 1024 * 1024  # a camera sending more than this is broken
_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "GIF": ("gif", "image/gif"),
            "WEBP": ("webp", "image/webp"), "BMP": ("bmp", "image/bmp")}


@dataclass(frozen=True)
class Transform:
    """Applied as OctoPrint's timelapse applies them (timelapse.py, `_create_filter_string`):
    hflip, then vflip, then `transpose=2`, i.e. a 90° counter-clockwise rotation."""

    flip_h: bool = False
    flip_v: bool = False
    rotate90: bool = False

    @property
    def needed(self) -> bool:
        return self.flip_h or self.flip_v or self.rotate90


@dataclass(frozen=True)
class CaptureResult:
    attachment: Optional[Attachment]
    note: str = ""
    elapsed: float = 0.0


def _read_all(fetch: Callable[[], Any], limit: int) -> bytes:
    data = fetch()
    if isinstance(data, (bytes, bytearray)):
        if len(data) > limit:
            raise ValueError(f"the webcam sent more than {limit // (1024 * 1024)} MiB")
        return bytes(data)
    buffer = bytearray()
    for chunk in data:
        buffer += chunk
        if len(buffer) > limit:
            raise ValueError(f"the webcam sent more than {limit // (1024 * 1024)} MiB")
    return bytes(buffer)


def capture(
    fetch: Callable[[], Any],
    transform: Optional[Transform] = None,
    timeout: float = 5.0,
    max_bytes: int = MAX_CAPTURE_BYTES,
) -> CaptureResult:
    """Run `fetch` (bytes or an iterable of chunks) on its own thread, waiting at most `timeout` s.

    A fetch that hangs is abandoned: its thread is a daemon and its result is dropped.
    """
    return capture_all([(fetch, transform)], timeout, max_bytes)[0]


def capture_all(
    cameras: Sequence[Tuple[Callable[[], Any], Optional[Transform]]],
    timeout: float = 5.0,
    max_bytes: int = MAX_CAPTURE_BYTES,
) -> List[CaptureResult]:
    """`capture` for several webcams at once: all fetch in parallel, within one `timeout`."""
    started = time.monotonic()
    pending = [(_start_fetch(fetch, max_bytes), transform) for fetch, transform in cameras]
    deadline = started + max(0.1, timeout)
    results = []
    for (done, box), transform in pending:
        if not done.wait(max(0.0, deadline - time.monotonic())):
            results.append(CaptureResult(None, f"the webcam did not answer within {timeout:g} s",
                                         time.monotonic() - started))
        elif "error" in box:
            results.append(CaptureResult(None, f"webcam error: {redact(box['error'])}"[:300],
                                         time.monotonic() - started))
        else:
            try:
                attachment = prepare(box["data"], transform or Transform())
                results.append(CaptureResult(attachment, "", time.monotonic() - started))
            except Exception:
                results.append(CaptureResult(None, "the webcam sent something that is not an image",
                                             time.monotonic() - started))
    return results


def _start_fetch(fetch: Callable[[], Any], limit: int) -> Tuple[threading.Event, dict]:
    box: dict = {}
    done = threading.Event()

    def work():
        try:
            box["data"] = _read_all(fetch, limit)
        except Exception as error:
            box["error"] = error
        finally:
            done.set()

    threading.Thread(target=work, name="octorant-capture", daemon=True).start()
    return done, box


def _open(data: bytes):
    from PIL import Image  # imported on first capture, not at OctoPrint start-up

    image = Image.open(io.BytesIO(data))
    image.load()  # decode now, so a truncated or garbage file fails here
    return image


def prepare(data: bytes, transform: Optional[Transform] = None) -> Attachment:
    """Check `data` is an image; re-encode only when a transform asks for it."""
    transform = transform or Transform()
    image = _open(data)
    fmt = image.format or "JPEG"
    if not transform.needed and fmt in _FORMATS:
        extension, content_type = _FORMATS[fmt]
        return Attachment(f"snapshot.{extension}", content_type, data)  # untouched bytes
    from PIL import Image

    if transform.flip_h:
        image = image.transpose(Image.FLIP_LEFT_RIGHT)
    if transform.flip_v:
        image = image.transpose(Image.FLIP_TOP_BOTTOM)
    if transform.rotate90:
        image = image.transpose(Image.ROTATE_90)  # counter-clockwise, as ffmpeg's transpose=2
    return _encode(image, "PNG" if fmt == "PNG" else "JPEG", 90)


def _encode(image, fmt: str, quality: int) -> Attachment:
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=quality, optimize=True)
        return Attachment("snapshot.jpg", "image/jpeg", out.getvalue())
    image.save(out, "PNG", optimize=True)
    return Attachment("snapshot.png", "image/png", out.getvalue())


def fit_image(attachment: Attachment, max_bytes: int, max_side: Optional[int] = None,
              quality: int = 85) -> Optional[Attachment]:
    """`attachment` as is when it fits; else recompressed and scaled down step by step. None if hopeless.

    `max_side` caps the longest side (0 or None: no cap); `quality` is the first JPEG quality
    tried, then 15 and 30 lower (never under 30) before the image is made smaller.
    """
    try:
        image = _open(attachment.data)
    except Exception:
        return attachment if attachment.size <= max_bytes else None
    too_wide = bool(max_side) and max(image.size) > max_side
    if attachment.size <= max_bytes and not too_wide:
        return attachment
    if too_wide:
        scale = max_side / float(max(image.size))
        image = image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))))
    for _ in range(12):
        for step in (quality, quality - 15, quality - 30):
            candidate = _encode(image, "JPEG", max(30, step))
            if candidate.size <= max_bytes:
                # Keep the name (snapshot-bedcam, thumbnail…); the extension follows the new format.
                stem = os.path.splitext(attachment.filename)[0] or "snapshot"
                return replace(candidate, filename=stem + os.path.splitext(candidate.filename)[1])
        if min(image.size) <= 16:
            break
        image = image.resize((max(1, int(image.width * 0.75)), max(1, int(image.height * 0.75))))
    return None


def describe(attachment: Attachment) -> dict:
    """An image for the settings page: an inline data URL and what a channel will receive."""
    width, height = _open(attachment.data).size  # fitted snapshots: always a decodable image
    encoded = base64.b64encode(attachment.data).decode("ascii")
    return {"filename": attachment.filename, "content_type": attachment.content_type, "bytes": attachment.size,
            "width": width, "height": height, "data_url": f"data:{attachment.content_type};base64,{encoded}"}
