"""What the settings page is drawn from, as JSON: the event catalogue, the channel registry's
field metadata and the settings' limits. One source, so the page never copies a list."""

from __future__ import annotations

from typing import Any, Dict, Mapping

from .catalogue import EVENTS
from .channels import REGISTRY
from .settings import DELIVERY_LIMITS, PROGRESS_LIMITS, SNAPSHOT_LIMITS

DOCS_URL = "https://github.com/octorant/OctoPrint-OctoRant/blob/main/docs/"



def N_(text: str) -> str:
    """Marks a text for translation (babel.cfg extracts it); translated where it is shown."""
    return text


MEDIA_LABELS = {
    "none": N_("nothing"),
    "snapshot": N_("webcam snapshot"),
    "thumbnail": N_("slicer thumbnail (else snapshot)"),
    "both": N_("thumbnail and snapshot"),
    "timelapse": N_("the timelapse movie"),
}

UNITS = {
    "percent_step": "%", "time_step": "min", "height_step": "mm", "min_interval": "s",
    "timeout": "s", "max_side": "px", "jpeg_quality": "", "done_delay": "s", "gcode_settle": "s",
    "max_age_hours": "h", "retry_max_seconds": "s", "request_timeout": "s",
}


def _limits(table: Mapping[str, tuple], minimum_default: float = 0.0) -> list:
    rows = []
    for key, limit in table.items():
        label, low, high = limit if len(limit) == 3 else (limit[0], minimum_default, limit[1])
        rows.append({"key": key, "label": label, "minimum": low, "maximum": high, "unit": UNITS.get(key, "")})
    return rows


def page_data(gettext=lambda text: text) -> Dict[str, Any]:
    """`gettext` translates the labels made here (OctoPrint passes flask_babel's)."""
    return {
        "events": [{
            "key": spec.key,
            "title": spec.title,
            "default_message": spec.default_message,
            "media_choices": list(spec.media_choices),
            "variables": [{"name": v.name, "description": v.description, "sample": v.sample}
                          for v in spec.variables],
        } for spec in EVENTS],
        "channel_types": [cls.metadata() for cls in REGISTRY.values()],
        "progress_limits": _limits(PROGRESS_LIMITS),
        "snapshot_limits": _limits(SNAPSHOT_LIMITS),
        "delivery_limits": _limits(DELIVERY_LIMITS),
        "media_labels": {key: gettext(label) for key, label in MEDIA_LABELS.items()},
        "docs_url": DOCS_URL,
    }
