"""The router: OctoPrint event + payload + printer state → zero or one Notification.

Pure and single-threaded (the notifier's dispatcher calls it), so the little state it keeps —
the last printer error, whether shutdown was announced — needs no lock.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

from . import formatting as fmt
from .catalogue import BY_OCTOPRINT_EVENT, EVENTS_BY_KEY, EventSpec
from .model import MEDIA_NONE, Notification


def _mapping(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class PrinterState:
    """What the printer looked like when an event happened (parsed from OctoPrint's dicts)."""

    printing: bool = False
    paused: bool = False
    file: Mapping[str, Any] = field(default_factory=dict)
    completion: Optional[float] = None
    print_time: Optional[float] = None
    print_time_left: Optional[float] = None
    z: Optional[float] = None
    temperatures: Tuple[Tuple[str, Optional[float], Optional[float]], ...] = ()

    @classmethod
    def from_octoprint(cls, data: Any, temperatures: Any = None) -> PrinterState:
        """Build from `printer.get_current_data()` and `printer.get_current_temperatures()`."""
        data = _mapping(data)
        flags = _mapping(_mapping(data.get("state")).get("flags"))
        job_file = _mapping(_mapping(data.get("job")).get("file"))
        progress = _mapping(data.get("progress"))
        temps = []
        for name, values in sorted(_mapping(temperatures).items(), key=lambda kv: str(kv[0])):
            values = _mapping(values)
            temps.append((str(name), fmt.number(values.get("actual")), fmt.number(values.get("target"))))
        return cls(
            printing=bool(flags.get("printing")),
            paused=bool(flags.get("paused") or flags.get("pausing")),
            file={k: job_file.get(k) for k in ("name", "path", "origin", "size") if job_file.get(k) is not None},
            completion=fmt.number(progress.get("completion")),
            print_time=fmt.number(progress.get("printTime")),
            print_time_left=fmt.number(progress.get("printTimeLeft")),
            z=fmt.number(data.get("currentZ")),
            temperatures=tuple(temps),
        )


@dataclass(frozen=True)
class EventConfig:
    enabled: bool = True
    media: str = MEDIA_NONE


@dataclass(frozen=True)
class RouterConfig:
    printer_name: str = "OctoPrint"
    events: Mapping[str, EventConfig] = field(default_factory=dict)
    progress_source: str = "estimate"

    def event(self, key: str) -> EventConfig:
        spec = EVENTS_BY_KEY[key]
        return self.events.get(key) or EventConfig(spec.default_enabled, spec.default_media)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], printer_name: str) -> RouterConfig:
        events = {}
        for key, value in _mapping(settings.get("events")).items():
            if key in EVENTS_BY_KEY:
                value = _mapping(value)
                spec = EVENTS_BY_KEY[key]
                media = value.get("media", spec.default_media)
                events[key] = EventConfig(
                    enabled=bool(value.get("enabled", spec.default_enabled)),
                    media=media if media in spec.media_choices else spec.default_media,
                )
        source = _mapping(settings.get("progress")).get("source", "estimate")
        return cls(printer_name=printer_name or "OctoPrint", events=events,
                   progress_source="file" if source == "file" else "estimate")


def progress_percent(state: PrinterState, source: str = "estimate") -> Optional[float]:
    """Percent done. From the time estimate by default, so it agrees with the ETA users see."""
    if source != "file" and state.print_time is not None and state.print_time_left is not None:
        total = state.print_time + state.print_time_left
        if total > 0:
            return max(0.0, min(100.0, state.print_time / total * 100.0))
    if state.completion is None:
        return None
    return max(0.0, min(100.0, state.completion))


def _job_variables(state: PrinterState, wall: float, percent: Optional[float]) -> Dict[str, Any]:
    elapsed = state.print_time
    left = state.print_time_left
    temps = ", ".join(
        f"{'Bed' if name == 'bed' else name.replace('tool', 'Tool ')}: "
        f"{fmt.temperature(actual) or '?'}/{fmt.temperature(target) or '?'} °C"
        for name, actual, target in state.temperatures
    )
    values = {
        "progress": int(percent) if percent is not None else "",
        "elapsed": int(elapsed) if elapsed is not None else "",
        "elapsed_formatted": fmt.duration(elapsed),
        "remaining": int(left) if left is not None else "",
        "remaining_formatted": fmt.duration(left),
        "eta": fmt.clock_time(wall, left),
        "z": fmt.coordinate(state.z),
        "temperatures": temps,
        "tool0_temp": "", "tool0_target": "", "bed_temp": "", "bed_target": "",
    }
    for name, actual, target in state.temperatures:
        if name in ("tool0", "bed"):
            values[f"{name}_temp"] = fmt.temperature(actual)
            values[f"{name}_target"] = fmt.temperature(target)
    values["spent"] = values["elapsed"]
    values["spent_formatted"] = values["elapsed_formatted"]
    return values


def _file_variables(payload: Mapping, state: PrinterState) -> Dict[str, Any]:
    # The payload describes the file the event is about; the printer state fills what it lacks.
    def pick(key):
        value = payload.get(key)
        return state.file.get(key) if value is None else value

    file_size = pick("size")
    return {
        "name": _text(pick("name")),
        "path": _text(pick("path")),
        "origin": _text(pick("origin")),
        "size": _text(file_size),
        "size_formatted": fmt.size(file_size) if file_size not in (None, "") else "",
        "owner": _text(payload.get("owner")),
        "user": _text(payload.get("user") or payload.get("owner")),
    }


def _position_variables(payload: Mapping) -> Dict[str, Any]:
    position = _mapping(payload.get("position"))
    axes = {axis: fmt.coordinate(position.get(axis)) for axis in ("x", "y", "z")}
    readable = ", ".join(f"{axis.upper()}: {value}" for axis, value in axes.items() if value)
    return {
        "position": readable or "unknown",
        "position_x": axes["x"], "position_y": axes["y"], "position_z": axes["z"],
    }


class Router:
    def __init__(self):
        self._last_error = ""
        self._shutdown_announced = False
        # Highest percentage shown for the current print: OctoPrint's estimate can dip (it has
        # no time estimate while paused, a fresh one after resume), messages never go backwards.
        self._shown_percent = 0.0
        self._paused_position: Mapping = {}

    def route(
        self,
        event: str,
        payload: Any,
        state: PrinterState,
        wall: float,
        config: RouterConfig,
    ) -> Optional[Notification]:
        payload = _mapping(payload)
        spec = BY_OCTOPRINT_EVENT.get(event)
        if event == "Error":
            self._last_error = _text(payload.get("error"))
        elif event == "PrintStarted":
            self._last_error = ""
            self._shown_percent = 0.0
            self._paused_position = {}
        elif event == "PrintPaused":
            self._paused_position = _mapping(payload.get("position"))
        elif event == "PrintResumed" and not _mapping(payload.get("position")):
            # OctoPrint does not say where a resumed print continues: where it paused.
            payload = dict(payload, position=self._paused_position)
        if spec is None:
            return None
        if event == "PrintFailed" and _text(payload.get("reason")) == "cancelled":
            # OctoPrint fires PrintCancelled first; that one speaks for the cancel.
            return None
        if event == "Shutdown":
            if self._shutdown_announced:
                return None
            self._shutdown_announced = True
        event_config = config.event(spec.key)
        if not event_config.enabled:
            return None
        variables = self.variables(spec, event, payload, state, wall, config)
        return Notification(spec.key, variables, event_config.media, wall)

    def progress(self, trigger: str, state: PrinterState, wall: float,
                 config: RouterConfig) -> Optional[Notification]:
        """The progress notification the throttle asked for, if progress messages are enabled."""
        spec = EVENTS_BY_KEY["print_progress"]
        event_config = config.event(spec.key)
        if not event_config.enabled:
            return None
        variables = self.variables(spec, "PrintProgress", {}, state, wall, config)
        variables["trigger"] = trigger
        return Notification(spec.key, variables, event_config.media, wall)

    def variables(self, spec: EventSpec, event: str, payload: Mapping, state: PrinterState,
                  wall: float, config: RouterConfig) -> Dict[str, Any]:
        names = set(spec.variable_names)
        when = datetime.datetime.fromtimestamp(wall)
        values: Dict[str, Any] = {
            "printer_name": config.printer_name,
            "date": when.strftime("%Y-%m-%d"),
            "now": when.strftime("%H:%M"),
            "event": event,
        }
        if "name" in names:
            values.update(_file_variables(payload, state))
        if "progress" in names:
            percent = progress_percent(state, config.progress_source)
            if percent is not None:
                percent = self._shown_percent = max(percent, self._shown_percent)
            values.update(_job_variables(state, wall, percent))
        if "time" in names:
            seconds = fmt.number(payload.get("time"))
            values["time"] = int(seconds) if seconds is not None else ""
            values["time_formatted"] = fmt.duration(seconds)
        if "position" in names:
            values.update(_position_variables(payload))
        if event == "PrintFailed":
            values["reason"] = _text(payload.get("reason"))
            values["error"] = _text(payload.get("error")) or self._last_error
        # Every other documented variable comes straight from the payload, as text.
        for name in names:
            if name not in values:
                values[name] = _text(payload.get(name))
        return values
