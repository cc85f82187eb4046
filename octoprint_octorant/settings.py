"""Settings: defaults, validation with clear messages, and versioned migration.

Validation never raises and never stores a bad value: the previous (or default) value is kept and
the problem is reported in words naming the field. Messages never echo a secret (webhook URLs).
"""

from __future__ import annotations

import copy
from typing import Any, List, Mapping, Optional, Tuple

from .catalogue import EVENTS, EVENTS_BY_KEY
from .formatting import number as finite_number
from .model import MEDIA_CHOICES, MEDIA_NONE, MEDIA_SNAPSHOT

SETTINGS_VERSION = 4  # 4: snapshot.webcam (one name) became snapshot.webcams (a list)
MAX_MESSAGE_LENGTH = 4000
COMMON_CHANNEL_KEYS = ("id", "type", "name", "enabled", "media", "events", "messages")

PROGRESS_LIMITS = {  # key: (label, maximum)
    "percent_step": ("Progress every N %", 100.0),
    "time_step": ("Progress every N minutes", 24 * 60.0),
    "height_step": ("Progress every N mm", 1000.0),
    "min_interval": ("Minimum seconds between progress messages", 24 * 3600.0),
}
SNAPSHOT_LIMITS = {  # key: (label, minimum, maximum)
    "timeout": ("Snapshot timeout, seconds", 1.0, 60.0),
    "max_side": ("Snapshot longest side in pixels (0 keeps the camera's size)", 0.0, 8192.0),
    "jpeg_quality": ("Snapshot JPEG quality", 30.0, 95.0),
    "done_delay": ("Seconds to wait before the \"print done\" snapshot", 0.0, 120.0),
    "gcode_settle": ("Seconds between the G-code and the snapshot", 0.0, 30.0),
}
SNAPSHOT_DEFAULTS = {"timeout": 5, "max_side": 0, "jpeg_quality": 85, "done_delay": 0,
                     "gcode_before": "", "gcode_after": "", "gcode_settle": 1}
WHOLE_SNAPSHOT_NUMBERS = ("max_side", "jpeg_quality")  # pixels and quality steps
MAX_WEBCAMS = 20
MAX_GCODE_TEXT = 2000
DELIVERY_LIMITS = {  # key: (label, minimum, maximum)
    "max_age_hours": ("Give up on a message after N hours", 0.1, 24 * 7.0),
    "retry_max_seconds": ("Longest wait between retries, seconds", 1.0, 3600.0),
    "request_timeout": ("Seconds to wait for a service's answer", 1.0, 120.0),
}

# Legacy Octorant event keys → ours. Keys without an equivalent (printer_state_unknown, test) go.
LEGACY_EVENT_KEYS = {
    "startup": "startup",
    "shutdown": "shutdown",
    "printer_state_operational": "printer_connected",
    "printer_state_error": "printer_error",
    "printing_started": "print_started",
    "printing_paused": "print_paused",
    "printing_resumed": "print_resumed",
    "printing_cancelled": "print_cancelled",
    "printing_stopped": "print_cancelled",
    "printing_done": "print_done",
    "printing_failed": "print_failed",
    "printing_progress": "print_progress",
    "transfer_started": "sd_upload_started",
    "transfer_done": "sd_upload_done",
    "transfer_failed": "sd_upload_failed",
    "timelapse_done": "timelapse_done",
    "timelapse_failed": "timelapse_failed",
    "filament_change": "filament_change",
}
LEGACY_TOP_KEYS = ("url", "username", "avatar", "allow_scripts", "script_before", "script_after")


def defaults(catalogue=EVENTS) -> dict:
    return {
        "printer_name": "",
        "channels": [],
        "events": {
            spec.key: {"enabled": spec.default_enabled, "message": spec.default_message,
                       "media": spec.default_media}
            for spec in catalogue
        },
        "progress": {"percent_step": 10, "time_step": 0, "height_step": 0, "min_interval": 0,
                     "source": "estimate"},
        # webcams: [] is OctoPrint's snapshot webcam, ["*"] every webcam that can take snapshots.
        "snapshot": dict(SNAPSHOT_DEFAULTS, webcams=[]),
        "delivery": {"max_age_hours": 24, "retry_max_seconds": 60, "request_timeout": 10},
    }


def _mapping(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _plain(number: float):
    return int(number) if float(number).is_integer() else number


def _bool(value: Any) -> Optional[bool]:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


# -- validation ----------------------------------------------------------------------------------

def validate_progress(new: Any, current: Mapping) -> Tuple[dict, List[str]]:
    limits = {key: (label, 0.0, maximum) for key, (label, maximum) in PROGRESS_LIMITS.items()}
    clean, problems = _validate_numbers(new, current, limits, " (0 turns it off)")
    new = _mapping(new)
    if "source" in new:
        if new["source"] in ("estimate", "file"):
            clean["source"] = new["source"]
        else:
            problems.append("Progress source: must be 'estimate' or 'file'.")
    return clean, problems


def validate_delivery(new: Any, current: Mapping) -> Tuple[dict, List[str]]:
    return _validate_numbers(new, current, DELIVERY_LIMITS)


def _validate_numbers(new: Any, current: Mapping, limits: Mapping, hint: str = "") -> Tuple[dict, List[str]]:
    """Numbers within (label, minimum, maximum) limits; a bad one keeps the current value."""
    clean = dict(current)
    problems = []
    new = _mapping(new)
    for key, (label, minimum, maximum) in limits.items():
        if key not in new:
            continue
        number = finite_number(new[key])
        if number is None or number < minimum or number > maximum:
            problems.append(f"{label}: must be a number from {_plain(minimum)} to {_plain(maximum)}{hint}; "
                            f"kept {current.get(key)}.")
        else:
            clean[key] = _plain(number)
    return clean, problems


def validate_event(key: str, new: Any, current: Mapping) -> Tuple[dict, List[str]]:
    title = EVENTS_BY_KEY[key].title if key in EVENTS_BY_KEY else key
    clean = dict(current)
    problems = []
    new = _mapping(new)
    if "enabled" in new:
        flag = _bool(new["enabled"])
        if flag is None:
            problems.append(f"{title}: 'enabled' must be true or false.")
        else:
            clean["enabled"] = flag
    if "message" in new:
        message = new["message"]
        if not isinstance(message, str):
            problems.append(f"{title}: the message must be text.")
        elif len(message) > MAX_MESSAGE_LENGTH:
            problems.append(f"{title}: the message is longer than {MAX_MESSAGE_LENGTH} characters.")
        else:
            clean["message"] = message
    if "media" in new:
        choices = EVENTS_BY_KEY[key].media_choices if key in EVENTS_BY_KEY else MEDIA_CHOICES
        if new["media"] in choices:
            clean["media"] = new["media"]
        else:
            problems.append(f"{title}: media must be one of {', '.join(choices)}.")
    return clean, problems


def validate_snapshot(new: Any, current: Mapping) -> Tuple[dict, List[str]]:
    clean, problems = _validate_numbers(new, current, SNAPSHOT_LIMITS)
    for key in WHOLE_SNAPSHOT_NUMBERS:
        if isinstance(clean.get(key), (int, float)):
            clean[key] = int(clean[key])
    new = _mapping(new)
    if "webcams" in new:
        webcams = new["webcams"]
        if (isinstance(webcams, list) and len(webcams) <= MAX_WEBCAMS
                and all(isinstance(name, str) and 0 < len(name) <= 200 for name in webcams)):
            clean["webcams"] = list(dict.fromkeys(webcams))
        else:
            problems.append(f"Snapshot webcams: must be a list of at most {MAX_WEBCAMS} webcam names.")
    for key, label in (("gcode_before", "G-code before a snapshot"), ("gcode_after", "G-code after a snapshot")):
        if key not in new:
            continue
        if isinstance(new[key], str) and len(new[key]) <= MAX_GCODE_TEXT:
            clean[key] = new[key]
        else:
            problems.append(f"{label}: must be text of at most {MAX_GCODE_TEXT} characters.")
    return clean, problems


def validate_channel(new: Any, registry=None) -> Tuple[Optional[dict], List[str]]:
    """A channel entry cleaned, or None with the reasons it can't be stored."""
    if registry is None:
        from .channels import REGISTRY as registry
    if not isinstance(new, Mapping):
        return None, ["A channel entry is not an object."]
    entry = {str(k): v for k, v in new.items()}
    name = str(entry.get("name") or entry.get("id") or "channel")
    channel_type = entry.get("type")
    if channel_type not in registry:
        return None, [f"Channel '{name}': unknown type {str(channel_type)!r}."]
    channel_id = entry.get("id")
    if not isinstance(channel_id, str) or not channel_id.strip():
        return None, [f"Channel '{name}': it needs an id."]
    text_keys = ["name"] + [f.key for f in registry[channel_type].fields if f.kind != "bool"]
    for key in text_keys:
        if isinstance(entry.get(key), list) and all(isinstance(v, str) for v in entry[key]):
            entry[key] = "\n".join(entry[key])  # e.g. Apprise URLs sent as a list
        if key in entry and entry[key] is not None and not isinstance(entry[key], (str, int)):
            return None, [f"Channel '{name}': {key} must be text."]
        if key in entry:
            entry[key] = "" if entry[key] is None else str(entry[key]).strip()
    for key in ("enabled", "media"):
        flag = _bool(entry.get(key, True))
        if flag is None:
            return None, [f"Channel '{name}': '{key}' must be true or false."]
        entry[key] = flag
    if "events" in entry and entry["events"] is not None:
        if not isinstance(entry["events"], list) or any(e not in EVENTS_BY_KEY for e in entry["events"]):
            return None, [f"Channel '{name}': the event selection names unknown events."]
    overrides = entry.get("messages")
    if overrides is not None:
        if not isinstance(overrides, Mapping) or any(
                k not in EVENTS_BY_KEY or not isinstance(v, str) or len(v) > MAX_MESSAGE_LENGTH
                for k, v in overrides.items()):
            return None, [f"Channel '{name}': its own texts must map event names to texts."]
        # An empty override means "use the event's text".
        entry["messages"] = {k: v for k, v in overrides.items() if v.strip()}
    # Keep only what the type and the common keys define: the page's helper values stay behind.
    known = set(COMMON_CHANNEL_KEYS) | {f.key for f in registry[channel_type].fields}
    entry = {k: v for k, v in entry.items() if k in known}
    problems = [f"Channel '{name}': {problem}" for problem in registry[channel_type].validate(entry)]
    return (None, problems) if problems else (entry, [])


def validate_all(new: Any, current: Any, registry=None) -> Tuple[dict, List[str]]:
    """`new` (what the settings page sent) merged over `current`, validated. Never raises."""
    base = defaults()
    current = _mapping(current)
    result = copy.deepcopy(base)
    for key in result:
        if isinstance(current.get(key), type(result[key])):
            result[key] = copy.deepcopy(current[key])
    if set(_mapping(result["events"])) != set(base["events"]):
        result["events"] = {k: dict(base["events"][k], **_mapping(result["events"].get(k))) for k in base["events"]}
    try:
        return _validate_into(result, _mapping(new), registry)
    except Exception as error:  # pragma: no cover - a bug here must not lose the settings
        return result, [f"Settings could not be checked ({type(error).__name__}); nothing was changed."]


def _validate_into(result: dict, new: Mapping, registry) -> Tuple[dict, List[str]]:
    problems: List[str] = []
    if "printer_name" in new:
        name = new["printer_name"]
        if isinstance(name, str) and len(name) <= 100:
            result["printer_name"] = name.strip()
        else:
            problems.append("Printer name: must be text of at most 100 characters.")
    if "progress" in new:
        result["progress"], found = validate_progress(new["progress"], _mapping(result["progress"]))
        problems += found
    if "snapshot" in new:
        result["snapshot"], found = validate_snapshot(new["snapshot"], _mapping(result["snapshot"]))
        problems += found
    if "delivery" in new:
        result["delivery"], found = validate_delivery(new["delivery"], _mapping(result["delivery"]))
        problems += found
    if "events" in new:
        events = _mapping(new["events"])
        if not isinstance(new["events"], Mapping):
            problems.append("Events: expected one entry per event.")
        current_events = _mapping(result["events"])
        merged = {}
        for spec in EVENTS:
            merged[spec.key], found = validate_event(spec.key, events.get(spec.key, {}),
                                                     _mapping(current_events.get(spec.key)))
            problems += found
        result["events"] = merged
    if "channels" in new:
        result["channels"], found = _validate_channels(new["channels"], result["channels"], registry)
        problems += found
    return result, problems


def _validate_channels(new: Any, current: Any, registry) -> Tuple[list, List[str]]:
    previous = {c.get("id"): c for c in current if isinstance(c, Mapping)} if isinstance(current, list) else {}
    if not isinstance(new, list):
        return list(previous.values()), ["Channels: expected a list."]
    problems = []
    channels = []
    seen = set()
    for entry in new:
        clean, found = validate_channel(entry, registry)
        if clean is not None and clean["id"] in seen:
            clean, found = None, [f"Channel '{clean.get('name') or clean['id']}': its id is used twice."]
        problems += found
        if clean is None:
            # Keep what was saved before for this channel, so a typo loses nothing.
            old_id = entry.get("id") if isinstance(entry, Mapping) else None
            if old_id in previous and old_id not in seen:
                channels.append(previous[old_id])
                seen.add(old_id)
            continue
        channels.append(clean)
        seen.add(clean["id"])
    return channels, problems


# -- migration -----------------------------------------------------------------------------------

def migrate(stored: Any, current_version: Optional[int] = None, catalogue=EVENTS) -> dict:
    """Any earlier layout (legacy Octorant unversioned or version 2, or ours) → version 4."""
    stored = _mapping(stored)
    result = defaults(catalogue)
    if current_version is not None and current_version >= 3:
        for key in result:
            if key in stored:
                result[key] = copy.deepcopy(stored[key])
        snapshot = result["snapshot"] if isinstance(result["snapshot"], dict) else {}
        webcam = snapshot.pop("webcam", None)  # version 3: one webcam by name, "" for OctoPrint's
        if "webcams" not in snapshot:
            snapshot["webcams"] = [webcam] if isinstance(webcam, str) and webcam else []
        result["snapshot"] = snapshot
        return result
    url = str(stored.get("url") or "").strip()
    if url:
        result["channels"] = [{
            "id": "discord", "type": "discord", "name": "Discord", "enabled": True, "url": url,
            "username": str(stored.get("username") or ""), "avatar_url": str(stored.get("avatar") or ""),
            "thread_id": "",
        }]
    legacy_events = _mapping(stored.get("events"))
    for legacy_key, values in legacy_events.items():
        key = LEGACY_EVENT_KEYS.get(legacy_key)
        values = _mapping(values)
        if key is None or key not in result["events"]:
            continue
        event = result["events"][key]
        if isinstance(values.get("enabled"), bool):
            event["enabled"] = values["enabled"]
        if isinstance(values.get("message"), str):
            event["message"] = values["message"]
        if "media" in values or "with_snapshot" in values:
            event["media"] = _legacy_media(EVENTS_BY_KEY[key], values.get("media", values.get("with_snapshot")))
    result["progress"] = _migrate_progress(_mapping(stored.get("progress")),
                                           _mapping(legacy_events.get("printing_progress")),
                                           result["progress"])
    return result


def _legacy_media(spec, wanted: Any) -> str:
    """A legacy media value (a choice, or a with_snapshot flag) as one of the event's choices."""
    if wanted in spec.media_choices:
        return wanted
    if not wanted or wanted == MEDIA_NONE:
        return MEDIA_NONE
    return MEDIA_SNAPSHOT if MEDIA_SNAPSHOT in spec.media_choices else spec.default_media


def _migrate_progress(progress: Mapping, legacy_event: Mapping, result: dict) -> dict:
    result = dict(result)
    pairs = (("percentage", "percent_step"), ("time", "time_step"), ("height", "height_step"),
             ("throttle", "min_interval"))
    for legacy, ours in pairs:
        enabled = progress.get(f"{legacy}_enabled")
        step = finite_number(progress.get(f"{legacy}_step"))
        if enabled is False:
            result[ours] = 0
        elif step is not None and step >= 0:
            result[ours] = _plain(step)
    # The oldest layout kept the steps inside the progress event (percent and minutes).
    if "step" in legacy_event and finite_number(legacy_event["step"]) is not None:
        result["percent_step"] = _plain(max(0.0, finite_number(legacy_event["step"])))
    if "timeStep" in legacy_event and finite_number(legacy_event["timeStep"]) is not None:
        result["time_step"] = _plain(max(0.0, finite_number(legacy_event["timeStep"])))
    return result
