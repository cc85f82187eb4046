"""The event catalogue: every notification kind, the OctoPrint events behind it, its variables.

One table that the router, the settings defaults, the settings page, the docs and the tests all
read. Adding a notification kind is adding one entry here (and, if it needs new variables, one
line in the router that fills them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple

from .model import MEDIA_BOTH, MEDIA_NONE, MEDIA_SNAPSHOT, MEDIA_THUMBNAIL, MEDIA_TIMELAPSE


@dataclass(frozen=True)
class Variable:
    name: str
    description: str
    sample: str


@dataclass(frozen=True)
class EventSpec:
    key: str
    title: str
    octoprint_events: Tuple[str, ...]
    default_message: str
    default_enabled: bool = True
    default_media: str = MEDIA_NONE
    variables: Tuple[Variable, ...] = ()
    # Terminal notifications matter most: they are never dropped to make room (see the outbox).
    terminal: bool = False
    # Only the newest one still waiting is worth sending (after an outage: the current progress,
    # not a backlog of stale ones).
    latest_only: bool = False

    @property
    def variable_names(self) -> Tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    @property
    def media_choices(self) -> Tuple[str, ...]:
        """What this event can carry: the movie for a rendered timelapse, the slicer's thumbnail
        for events about a file, a snapshot for everything else."""
        if "movie" in self.variable_names:
            return (MEDIA_NONE, MEDIA_TIMELAPSE) if self.default_media == MEDIA_TIMELAPSE else (MEDIA_NONE,)
        if "path" in self.variable_names:
            return (MEDIA_NONE, MEDIA_SNAPSHOT, MEDIA_THUMBNAIL, MEDIA_BOTH)
        return (MEDIA_NONE, MEDIA_SNAPSHOT)

    def samples(self) -> Dict[str, str]:
        return {v.name: v.sample for v in self.variables}


def _v(name: str, description: str, sample: str) -> Variable:
    return Variable(name, description, sample)


# -- variable groups ---------------------------------------------------------------------------

COMMON = (
    _v("printer_name", "The printer's name (OctoRant setting, else OctoPrint's appearance name)", "Workshop MK3"),
    _v("date", "Today's date when the event happened (YYYY-MM-DD)", "2026-11-24"),
    _v("now", "Clock time when the event happened (HH:MM)", "14:05"),
    _v("event", "OctoPrint's name for the event", "PrintDone"),
)

FILE = (
    _v("name", "File name", "benchy.gcode"),
    _v("path", "File path inside its storage", "boats/benchy.gcode"),
    _v("origin", "Where the file is stored: local or sdcard", "local"),
    _v("size", "File size in bytes", "2345678"),
    _v("size_formatted", "File size, readable", "2.2 MB"),
    _v("owner", "User who started the print", "maker"),
    _v("user", "User who caused this event (start, pause, cancel…), when known", "maker"),
)

JOB = (
    _v("progress", "Percent done, whole number (from the time estimate by default, so it agrees with the ETA)", "42"),
    _v("elapsed", "Printing time so far, seconds", "3725"),
    _v("elapsed_formatted", "Printing time so far, readable", "1 h 2 min"),
    _v("remaining", "OctoPrint's estimate of the time left, seconds (empty when unknown)", "5140"),
    _v("remaining_formatted", "Time left, readable", "1 h 25 min"),
    _v("eta", "Estimated finish as a clock time (with the date when not today)", "15:31"),
    _v("spent", "Legacy name of elapsed (seconds)", "3725"),
    _v("spent_formatted", "Legacy name of elapsed_formatted", "1 h 2 min"),
    _v("z", "Current Z height in mm (empty when unknown)", "12.4"),
    _v("temperatures", "Current temperatures, readable", "Tool 0: 215/215 °C, Bed: 60/60 °C"),
    _v("tool0_temp", "Hotend 0 actual temperature, °C", "215.0"),
    _v("tool0_target", "Hotend 0 target temperature, °C", "215.0"),
    _v("bed_temp", "Bed actual temperature, °C", "60.0"),
    _v("bed_target", "Bed target temperature, °C", "60.0"),
)

DURATION = (
    _v("time", "Duration of the print in seconds", "7265"),
    _v("time_formatted", "Duration of the print, readable", "2 h 1 min"),
)

POSITION = (
    _v("position", "Print head position, readable (\"unknown\" when OctoPrint did not record it)",
       "X: 110.0, Y: 95.5, Z: 12.4"),
    _v("position_x", "Head X position, mm", "110.0"),
    _v("position_y", "Head Y position, mm", "95.5"),
    _v("position_z", "Head Z position, mm", "12.4"),
)

ERROR = (
    _v("error", "The error text reported by the printer or the connection", "Thermal Runaway, system stopped!"),
    _v("reason", "OctoPrint's reason for the error: firmware, timeout, connection…", "firmware"),
    _v("consequence", "What OctoPrint did about it: emergency, disconnect, cancel", "emergency"),
)

TRANSFER = (
    _v("local", "File name as stored in OctoPrint", "benchy.gcode"),
    _v("remote", "File name on the SD card", "BENCHY~1.GCO"),
)

MOVIE = (
    _v("gcode", "G-code file the timelapse belongs to", "benchy.gcode"),
    _v("movie", "Full path of the movie file", "/home/pi/.octoprint/timelapse/benchy_20261124.mp4"),
    _v("movie_basename", "File name of the movie", "benchy_20261124.mp4"),
)


# -- the catalogue -----------------------------------------------------------------------------

EVENTS: Tuple[EventSpec, ...] = (
    EventSpec(
        "startup", "OctoPrint started", ("Startup",),
        "🟢 OctoPrint on {printer_name} is up and running.",
        variables=COMMON,
    ),
    EventSpec(
        "shutdown", "OctoPrint shutting down", ("Shutdown",),
        "⚪ OctoPrint on {printer_name} is shutting down.",
        variables=COMMON,
    ),
    EventSpec(
        "printer_connected", "Printer connected", ("Connected",),
        "🔌 {printer_name} is connected ({port} at {baudrate} baud).",
        default_enabled=False,
        variables=COMMON + (
            _v("port", "Serial port", "/dev/ttyACM0"),
            _v("baudrate", "Baud rate", "115200"),
        ),
    ),
    EventSpec(
        "printer_disconnected", "Printer disconnected", ("Disconnected",),
        "🔌 {printer_name} is no longer connected.",
        default_enabled=False,
        variables=COMMON,
    ),
    EventSpec(
        "printer_error", "Printer error", ("Error",),
        "🛑 {printer_name} reports an error: {error}",
        default_media=MEDIA_SNAPSHOT,
        variables=COMMON + ERROR,
        terminal=True,
    ),
    EventSpec(
        "print_started", "Print started", ("PrintStarted",),
        "▶️ {printer_name} started printing {name}.",
        default_media=MEDIA_THUMBNAIL,
        variables=COMMON + FILE + JOB,
    ),
    EventSpec(
        "print_done", "Print done", ("PrintDone",),
        "✅ {name} is finished on {printer_name} after {time_formatted}.",
        default_media=MEDIA_SNAPSHOT,
        variables=COMMON + FILE + JOB + DURATION,
        terminal=True,
    ),
    EventSpec(
        "print_failed", "Print failed", ("PrintFailed",),
        "❌ {name} failed on {printer_name} after {time_formatted}. Reason: {reason}. {error}",
        default_media=MEDIA_SNAPSHOT,
        variables=COMMON + FILE + JOB + DURATION + (
            _v("reason", "Why the print failed: error (or cancelled, reported as a cancel)", "error"),
            _v("error", "The last error the printer reported during this print (empty if none)",
               "Thermal Runaway, system stopped!"),
        ),
        terminal=True,
    ),
    EventSpec(
        "print_cancelled", "Print cancelled", ("PrintCancelled",),
        "⏹️ {name} was cancelled on {printer_name} after {time_formatted}.",
        default_media=MEDIA_SNAPSHOT,
        variables=COMMON + FILE + JOB + DURATION + POSITION,
        terminal=True,
    ),
    EventSpec(
        "print_paused", "Print paused", ("PrintPaused",),
        "⏸️ {name} is paused at {progress} % on {printer_name} (head at {position}).",
        default_media=MEDIA_SNAPSHOT,
        variables=COMMON + FILE + JOB + POSITION,
    ),
    EventSpec(
        "print_resumed", "Print resumed", ("PrintResumed",),
        "⏯️ {name} resumed at {progress} % on {printer_name} (head at {position}).",
        variables=COMMON + FILE + JOB + POSITION,
    ),
    EventSpec(
        "print_progress", "Print progress", (),
        "⏳ {name}: {progress} % done, {remaining_formatted} to go (about {eta}).",
        default_media=MEDIA_SNAPSHOT,
        latest_only=True,
        variables=COMMON + FILE + JOB + (
            _v("trigger", "What made this message due: percent, time or height", "percent"),
        ),
    ),
    EventSpec(
        "filament_change", "Filament change", ("FilamentChange",),
        "🧵 {printer_name} is waiting for a filament change ({name}, {progress} %).",
        default_media=MEDIA_SNAPSHOT,
        variables=COMMON + FILE + JOB,
        terminal=True,
    ),
    EventSpec(
        "sd_upload_started", "SD upload started", ("TransferStarted",),
        "💾 Copying {local} to the SD card of {printer_name}…",
        default_enabled=False,
        variables=COMMON + TRANSFER,
    ),
    EventSpec(
        "sd_upload_done", "SD upload done", ("TransferDone",),
        "💾 {local} is on the SD card of {printer_name} as {remote} ({time_formatted}).",
        default_enabled=False,
        variables=COMMON + TRANSFER + DURATION,
    ),
    EventSpec(
        "sd_upload_failed", "SD upload failed", ("TransferFailed",),
        "💾 Copying {local} to the SD card of {printer_name} failed.",
        default_enabled=False,
        variables=COMMON + TRANSFER,
    ),
    EventSpec(
        "timelapse_done", "Timelapse rendered", ("MovieDone",),
        "🎞️ The timelapse of {gcode} is ready: {movie_basename}",
        default_media=MEDIA_TIMELAPSE,
        variables=COMMON + MOVIE,
    ),
    EventSpec(
        "timelapse_failed", "Timelapse failed", ("MovieFailed",),
        "🎞️ The timelapse of {gcode} could not be rendered ({reason}).",
        variables=COMMON + MOVIE + (
            _v("reason", "Why: returncode, no_frames or unknown", "returncode"),
            _v("returncode", "ffmpeg's exit code", "1"),
        ),
    ),
)

EVENTS_BY_KEY: Dict[str, EventSpec] = {spec.key: spec for spec in EVENTS}

# OctoPrint event name → catalogue entry. PrintCancelled and PrintFailed are both listed; the
# router decides which one speaks for a cancel.
BY_OCTOPRINT_EVENT: Dict[str, EventSpec] = {
    name: spec for spec in EVENTS for name in spec.octoprint_events
}

# Events the router listens to without announcing them itself (state it needs).
WATCHED_EVENTS = frozenset(BY_OCTOPRINT_EVENT) | {"ZChange", "PrintCancelling"}
