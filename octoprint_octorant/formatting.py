"""Readable figures for message texts: durations, sizes, clock times. Never raise."""

from __future__ import annotations

import datetime
import math
from typing import Any, Optional


def number(value: Any) -> Optional[float]:
    """`value` as a finite float, or None (printers and plugins send all sorts)."""
    if isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return result if math.isfinite(result) else None


def duration(seconds: Any) -> str:
    """3725 → "1 h 2 min"; 75 → "1 min 15 s"; None → "unknown"."""
    value = number(seconds)
    if value is None or value < 0:
        return "unknown"
    total = int(round(value))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s" if minutes < 10 and secs else f"{minutes} min"
    return f"{secs} s"


def size(num_bytes: Any) -> str:
    value = number(num_bytes)
    if value is None or value < 0:
        return "unknown"
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000.0
    return "unknown"  # pragma: no cover - loop always returns


def clock_time(wall: float, seconds_ahead: Any, tz=None) -> str:
    """Clock time `seconds_ahead` from `wall`: "15:31", or "Tue 02:10" when not today."""
    ahead = number(seconds_ahead)
    if ahead is None or ahead < 0:
        return "unknown"
    try:
        now = datetime.datetime.fromtimestamp(wall, tz)
        then = now + datetime.timedelta(seconds=ahead)
    except (OverflowError, OSError, ValueError):
        return "unknown"
    if then.date() == now.date():
        return then.strftime("%H:%M")
    return then.strftime("%a %H:%M")


def temperature(value: Any) -> str:
    result = number(value)
    return "" if result is None else f"{result:.1f}"


def coordinate(value: Any) -> str:
    result = number(value)
    return "" if result is None else f"{result:.1f}"
