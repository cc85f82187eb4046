"""A notification's media, gathered once off OctoPrint's threads and shared by every channel.

What is gathered follows the event's media choice: the slicer's thumbnail (else the snapshot),
the webcams' snapshots (after an optional delay, with optional G-code around them, e.g. a light
switched on and off), or the rendered timelapse. Every problem becomes a short note on the
message: never an exception, never a lost message.
"""

from __future__ import annotations

import mimetypes
import os
import re
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, List, Mapping, Optional, Sequence, Tuple

from . import media
from .formatting import number as finite_number
from .model import MEDIA_BOTH, MEDIA_NONE, MEDIA_SNAPSHOT, MEDIA_THUMBNAIL, MEDIA_TIMELAPSE, Attachment, Notification
from .redact import redact
from .settings import SNAPSHOT_DEFAULTS, SNAPSHOT_LIMITS

MAX_GCODE_LINES = 20


@dataclass(frozen=True)
class MediaSet:
    """What a notification carries: files (images first) and notes about what is missing."""

    attachments: Tuple[Attachment, ...] = ()
    notes: Tuple[str, ...] = ()


@dataclass(frozen=True)
class SnapshotOptions:
    timeout: float = 5.0
    max_side: int = 0  # 0: the camera's own size
    quality: int = 85
    done_delay: float = 0.0  # seconds before the "print done" snapshot, so the head has parked
    gcode_before: Tuple[str, ...] = ()
    gcode_after: Tuple[str, ...] = ()
    gcode_settle: float = 1.0  # seconds between the G-code before and the snapshot (a light warming up)

    @classmethod
    def from_settings(cls, snapshot: Mapping[str, Any]) -> SnapshotOptions:
        def bounded(key):  # the settings' own limits and defaults, never a second copy
            _, low, high = SNAPSHOT_LIMITS[key]
            value = finite_number(snapshot.get(key))
            return SNAPSHOT_DEFAULTS[key] if value is None else min(high, max(low, value))

        return cls(
            timeout=bounded("timeout"),
            max_side=int(bounded("max_side")),
            quality=int(bounded("jpeg_quality")),
            done_delay=bounded("done_delay"),
            gcode_before=gcode_lines(snapshot.get("gcode_before")),
            gcode_after=gcode_lines(snapshot.get("gcode_after")),
            gcode_settle=bounded("gcode_settle"),
        )

    def expected_seconds(self, kind: str) -> float:
        """How long gathering may take at most, so workers wait for it and no longer."""
        delay = self.done_delay if kind == "print_done" else 0.0
        settle = self.gcode_settle if self.gcode_before else 0.0
        return delay + settle + self.timeout


def gcode_lines(text: Any) -> Tuple[str, ...]:
    """Commands from a multi-line setting: comments and blank lines dropped, at most 20."""
    if not isinstance(text, str):
        return ()
    lines = (line.split(";", 1)[0].strip() for line in text.splitlines())
    return tuple(line for line in lines if line)[:MAX_GCODE_LINES]


@dataclass
class Sources:
    """How to reach OctoPrint's things, as callables (the adapter gives real ones, tests their own)."""

    snapshots: Callable[[], Any]  # → list of webcam.SnapshotSource (or one, or None)
    thumbnail: Callable[[str, str], Optional[Attachment]] = lambda origin, path: None
    send_gcode: Callable[[Sequence[str]], None] = lambda lines: None
    sleep: Callable[[float], None] = time.sleep


def gather(notification: Notification, options: SnapshotOptions, sources: Sources, log=None) -> MediaSet:
    choice = notification.media
    variables = notification.variables
    attachments: List[Attachment] = []
    notes: List[str] = []
    if choice in (MEDIA_THUMBNAIL, MEDIA_BOTH):
        thumbnail = _thumbnail(variables, sources, log)
        if thumbnail is not None:
            attachments.append(thumbnail)
        elif choice == MEDIA_THUMBNAIL:
            choice = MEDIA_SNAPSHOT  # no thumbnail in the file: the webcam says more than nothing
    if choice in (MEDIA_SNAPSHOT, MEDIA_BOTH):
        shots, shot_notes = snapshots(notification.kind, options, sources, log)
        attachments += shots
        notes += shot_notes
    if choice == MEDIA_TIMELAPSE:
        movie, note = timelapse(variables.get("movie"))
        attachments += [movie] if movie else []
        notes += [note] if note else []
    return MediaSet(tuple(attachments), tuple(notes))


def _thumbnail(variables: Mapping[str, Any], sources: Sources, log) -> Optional[Attachment]:
    path = variables.get("path")
    if not path:
        return None
    try:
        return sources.thumbnail(str(variables.get("origin") or "local"), str(path))
    except Exception as error:
        if log:
            log.warning("OctoRant: no thumbnail for %s: %s", path, redact(error))
        return None


def snapshots(kind: str, options: SnapshotOptions, sources: Sources, log=None) -> Tuple[List[Attachment], List[str]]:
    """Every chosen webcam's picture, taken at once; G-code before and after (always after)."""
    try:
        found = sources.snapshots()
    except Exception as error:
        return [], [f"no snapshot: {redact(error)}"]
    cameras = [found] if found is not None and not isinstance(found, (list, tuple)) else list(found or [])
    if not cameras:
        return [], ["no snapshot: no webcam is configured for snapshots"]
    if kind == "print_done" and options.done_delay:
        sources.sleep(options.done_delay)
    try:
        if options.gcode_before:
            _send(sources, options.gcode_before, log)
            sources.sleep(options.gcode_settle)
        results = media.capture_all([(c.fetch, c.transform) for c in cameras], options.timeout)
    finally:
        if options.gcode_after:
            _send(sources, options.gcode_after, log)
    attachments, notes = [], []
    for camera, result in zip(cameras, results):
        if result.attachment is None:
            label = f"no snapshot from {camera.name}" if len(cameras) > 1 else "no snapshot"
            notes.append(f"{label}: {result.note}")
        elif len(cameras) > 1:  # one file name per webcam, so the pictures tell which is which
            stem, extension = os.path.splitext(result.attachment.filename)
            attachments.append(replace(result.attachment, filename=f"{stem}-{_safe(camera.name)}{extension}"))
        else:
            attachments.append(result.attachment)
    return attachments, notes


def _send(sources: Sources, lines: Sequence[str], log) -> None:
    try:
        sources.send_gcode(list(lines))
    except Exception as error:
        if log:
            log.warning("OctoRant: G-code around the snapshot not sent: %s", redact(error))


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name))[:40] or "webcam"


def timelapse(path: Any) -> Tuple[Optional[Attachment], str]:
    """The rendered movie as a file attachment (streamed when sent), or a note why not."""
    if not isinstance(path, str) or not path:
        return None, "no timelapse file was named"
    try:
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return Attachment.from_file(path, os.path.basename(path), content_type), ""
    except OSError:
        return None, f"the timelapse file {os.path.basename(path)} could not be read"


def fit(media_set: MediaSet, max_bytes: int, max_files: int, options: SnapshotOptions) -> MediaSet:
    """`media_set` within one channel's limits: images scaled down until they fit, files too large
    for the channel replaced by a note giving their size, at most `max_files` files."""
    attachments, notes = [], list(media_set.notes)
    for item in media_set.attachments:
        if item.is_image and not item.path:
            fitted = media.fit_image(item, max_bytes, options.max_side, options.quality)
            if fitted is None:
                notes.append("the image could not be made small enough for this channel")
            else:
                attachments.append(fitted)
        elif item.size <= max_bytes:
            attachments.append(item)
        else:
            notes.append(f"{item.filename} is {megabytes(item.size)}, more than this channel takes "
                         f"({megabytes(max_bytes)}); it is on the printer")
    if len(attachments) > max_files:
        notes.append(f"{len(attachments) - max_files} more picture(s) than this channel takes in one message")
        attachments = attachments[:max_files]
    return MediaSet(tuple(attachments), tuple(notes))


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def restored_media(notification: Notification) -> Optional[MediaSet]:
    """Media for a message read back after a restart: the movie is still on disk, snapshots
    were not kept (they would make every write of the outbox large)."""
    if notification.media == MEDIA_NONE:
        return None
    if notification.media == MEDIA_TIMELAPSE:
        movie, note = timelapse(notification.variables.get("movie"))
        return MediaSet((movie,) if movie else (), (note,) if note else ())
    return MediaSet((), ("no snapshot: the snapshot was not kept across an OctoPrint restart",))
