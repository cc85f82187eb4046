"""OctoPrint's webcams, seen from OctoRant: which one to snapshot and how to fetch from it.

Adapter-side glue: it talks to OctoPrint (imported lazily, so this module imports anywhere) and
hands the core a `SnapshotSource` — a fetch callable and the webcam's transforms. Nothing here
raises to the caller: a problem means "no webcam", logged with secrets redacted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, List, Optional

from .media import Transform
from .redact import redact

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SnapshotSource:
    name: str
    fetch: Callable[[], Any]
    transform: Transform


ALL_WEBCAMS = "*"


def _source(webcam) -> SnapshotSource:
    config = webcam.config
    provider = webcam.providerPlugin
    return SnapshotSource(
        name=config.name,
        fetch=lambda: provider.take_webcam_snapshot(config.name),
        transform=Transform(bool(config.flipH), bool(config.flipV), bool(config.rotate90)),
    )


def _from_webcam_api(names: List[str], plugin_manager) -> List[SnapshotSource]:
    from octoprint.webcams import get_snapshot_webcam, get_webcams  # OctoPrint >= 1.9

    webcams = get_webcams(plugin_manager=plugin_manager)
    if ALL_WEBCAMS in names:
        chosen = list(webcams.values())
    else:
        chosen = [webcams[name] for name in names if name in webcams]
        missing = [name for name in names if name not in webcams]
        if missing:
            _logger.warning("OctoRant: webcam(s) %s not found", ", ".join(map(repr, missing)))
    chosen = [w for w in chosen if w.config.canSnapshot]
    if not chosen:  # none chosen, or none of the chosen left: OctoPrint's own choice
        default = get_snapshot_webcam()
        chosen = [default] if default is not None and default.config.canSnapshot else []
    return [_source(webcam) for webcam in chosen]


def _from_legacy_settings(settings=None) -> Optional[SnapshotSource]:
    """OctoPrint before the webcam API: the global `webcam.snapshot` URL."""
    import requests

    if settings is None:
        from octoprint.settings import settings as global_settings

        settings = global_settings()
    url = settings.get(["webcam", "snapshot"])
    if not url:
        return None
    timeout = settings.getInt(["webcam", "snapshotTimeout"]) or 5

    def fetch():
        response = requests.get(url, timeout=timeout)
        response.raise_for_status()
        return response.content

    return SnapshotSource(
        name="classic",
        fetch=fetch,
        transform=Transform(
            bool(settings.getBoolean(["webcam", "flipH"])),
            bool(settings.getBoolean(["webcam", "flipV"])),
            bool(settings.getBoolean(["webcam", "rotate90"])),
        ),
    )


def snapshot_sources(webcam_names=(), plugin_manager=None, settings=None) -> List[SnapshotSource]:
    """The webcams to snapshot: `webcam_names` ([] → OctoPrint's snapshot webcam, ["*"] → all)."""
    names = [str(n) for n in webcam_names or () if n]
    try:
        try:
            import octoprint.webcams  # noqa: F401
        except ImportError:
            legacy = _from_legacy_settings(settings)
            return [legacy] if legacy else []
        return _from_webcam_api(names, plugin_manager)
    except Exception as error:
        _logger.warning("OctoRant: no snapshot webcam: %s", redact(error))
        return []


def list_webcams(plugin_manager=None) -> List[dict]:
    """Webcams OctoPrint knows, for the settings page."""
    try:
        from octoprint.webcams import get_webcams

        return [
            {"name": name, "displayName": cam.config.displayName, "canSnapshot": bool(cam.config.canSnapshot)}
            for name, cam in get_webcams(plugin_manager=plugin_manager).items()
        ]
    except Exception as error:
        _logger.warning("OctoRant: could not list webcams: %s", redact(error))
        return []
