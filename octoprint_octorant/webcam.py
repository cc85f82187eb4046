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


def _from_webcam_api(name: str, plugin_manager) -> Optional[SnapshotSource]:
    from octoprint.webcams import get_snapshot_webcam, get_webcams  # OctoPrint >= 1.9

    webcam = get_webcams(plugin_manager=plugin_manager).get(name) if name else None
    if webcam is None:
        if name:
            _logger.warning("OctoRant: webcam %r not found, using OctoPrint's snapshot webcam", name)
        webcam = get_snapshot_webcam()
    if webcam is None or not webcam.config.canSnapshot:
        return None
    config = webcam.config
    provider = webcam.providerPlugin
    return SnapshotSource(
        name=config.name,
        fetch=lambda: provider.take_webcam_snapshot(config.name),
        transform=Transform(bool(config.flipH), bool(config.flipV), bool(config.rotate90)),
    )


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


def snapshot_source(webcam_name: str = "", plugin_manager=None, settings=None) -> Optional[SnapshotSource]:
    try:
        try:
            import octoprint.webcams  # noqa: F401
        except ImportError:
            return _from_legacy_settings(settings)
        return _from_webcam_api(webcam_name, plugin_manager)
    except Exception as error:
        _logger.warning("OctoRant: no snapshot webcam: %s", redact(error))
        return None


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
