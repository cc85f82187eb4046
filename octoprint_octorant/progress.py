"""The progress throttle: a pure function of (settings, previous state, new sample).

The notifier samples the printer about once a second while a print runs (and on every Z change
and file-progress report) and asks `decide` whether a progress message is due. No clock is read
here: the sample carries the time, so every edge is testable without sleeping.

Rules:
- percent: one message per multiple of `percent_step` strictly between 0 and 100; a jump over
  several steps gives one message (for the highest step reached), never a burst;
- time: one message per `time_step` minutes of *printing* time; paused time doesn't count, so a
  resume after a long pause doesn't fire at once;
- height: one message per `height_step` mm of Z above the lowest Z seen; a height counts only
  once two consecutive samples are at or above it, so a z-hop (one sample up, then down) doesn't;
- `min_interval` seconds between two progress messages; a step held back is sent once, at the
  first sample after the interval, with the then-current figures;
- a step of 0 (or anything not a positive number) turns that trigger off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Mapping, Optional, Tuple

from .formatting import number as finite_number

REASON_PERCENT = "percent"
REASON_TIME = "time"
REASON_HEIGHT = "height"


def _positive(value: Any, default: float = 0.0) -> float:
    number = finite_number(value)
    return default if number is None or number < 0 else number


@dataclass(frozen=True)
class ProgressSettings:
    percent_step: float = 10.0
    time_step: float = 0.0  # minutes
    height_step: float = 0.0  # mm
    min_interval: float = 0.0  # seconds
    source: str = "estimate"  # estimate | file

    @classmethod
    def from_mapping(cls, values: Any) -> ProgressSettings:
        """Tolerant of anything: bad values fall back to "off" (or the default percent step)."""
        values = values if isinstance(values, Mapping) else {}
        return cls(
            percent_step=_positive(values.get("percent_step", 10.0), 0.0),
            time_step=_positive(values.get("time_step"), 0.0),
            height_step=_positive(values.get("height_step"), 0.0),
            min_interval=_positive(values.get("min_interval"), 0.0),
            source="file" if values.get("source") == "file" else "estimate",
        )


@dataclass(frozen=True)
class ProgressSample:
    now: float
    file_percent: Optional[float] = None
    print_time: Optional[float] = None
    print_time_left: Optional[float] = None
    z: Optional[float] = None
    printing: bool = True


@dataclass(frozen=True)
class ProgressState:
    last_sample_at: Optional[float] = None
    was_printing: bool = False
    printing_seconds: float = 0.0
    percent_step_index: int = 0
    time_step_index: int = 0
    height_step_index: int = 0
    z_base: Optional[float] = None
    previous_z: Optional[float] = None
    last_message_at: Optional[float] = None
    pending: Optional[str] = None

    @classmethod
    def start(cls, now: float) -> ProgressState:
        return cls(last_sample_at=finite_number(now), was_printing=True)


@dataclass(frozen=True)
class ProgressDecision:
    percent: Optional[float]
    reason: str
    step: float


def percent_of(sample: ProgressSample, settings: ProgressSettings) -> Optional[float]:
    """Percent done: from the time estimate by default (it agrees with the ETA), else file position."""
    result = None
    if settings.source != "file":
        elapsed, left = finite_number(sample.print_time), finite_number(sample.print_time_left)
        if elapsed is not None and left is not None and elapsed >= 0 and left >= 0 and elapsed + left > 0:
            result = elapsed / (elapsed + left) * 100.0
    if result is None:
        result = finite_number(sample.file_percent)
    return None if result is None else max(0.0, min(100.0, result))


def _percent_index(percent: Optional[float], step: float) -> int:
    if percent is None or step <= 0 or step >= 100 or percent >= 100:
        return 0
    # The small epsilon keeps 30.0 / 10 at step 3 despite float noise; the cap keeps 99.999… %
    # from reaching the 100 % step (the done message speaks for 100 %).
    last_below_100 = int(math.ceil(100.0 / step - 1e-9)) - 1
    return min(int(math.floor(percent / step + 1e-9)), last_below_100)


def decide(
    settings: ProgressSettings, state: ProgressState, sample: ProgressSample
) -> Tuple[Optional[ProgressDecision], ProgressState]:
    """Whether a progress message is due for `sample`, and the state to keep. Never raises."""
    try:
        return _decide(settings, state, sample)
    except Exception:  # odd input must never reach OctoPrint's threads as an exception
        return None, state


def _decide(settings, state, sample):
    now = finite_number(sample.now)
    if now is None:
        return None, state
    # Printing time grows only over intervals that began while printing: pauses don't count.
    printing_seconds = state.printing_seconds
    if state.was_printing and state.last_sample_at is not None and now > state.last_sample_at:
        printing_seconds += now - state.last_sample_at
    state = replace(state, last_sample_at=now, was_printing=bool(sample.printing),
                    printing_seconds=printing_seconds)
    if not sample.printing:
        return None, state

    percent = percent_of(sample, settings)
    due = []

    index = _percent_index(percent, settings.percent_step)
    if index > state.percent_step_index:
        due.append((REASON_PERCENT, index * settings.percent_step))
        state = replace(state, percent_step_index=index)

    if settings.time_step > 0:
        index = int(printing_seconds // (settings.time_step * 60.0))
        if index > state.time_step_index:
            due.append((REASON_TIME, index * settings.time_step))
            state = replace(state, time_step_index=index)

    z = finite_number(sample.z)
    if z is not None:
        confirmed = min(z, state.previous_z) if state.previous_z is not None else None
        state = replace(state, previous_z=z)
        if confirmed is not None:
            base = confirmed if state.z_base is None else min(state.z_base, confirmed)
            state = replace(state, z_base=base)
            if settings.height_step > 0:
                index = int(math.floor((confirmed - base) / settings.height_step + 1e-9))
                if index > state.height_step_index:
                    due.append((REASON_HEIGHT, base + index * settings.height_step))
                    state = replace(state, height_step_index=index)

    if not due and state.pending is None:
        return None, state
    reason, step = due[0] if due else (state.pending, 0.0)
    if state.last_message_at is not None and now - state.last_message_at < settings.min_interval:
        return None, replace(state, pending=reason)
    return ProgressDecision(percent, reason, step), replace(state, last_message_at=now, pending=None)
