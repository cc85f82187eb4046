"""OctoRant's adapter: translates OctoPrint's plugin calls into calls on the core, and returns fast.

No business logic and no network here: see notifier.py for the flow and ../docs for the picture.
"""

from __future__ import annotations

import sys

import flask
import octoprint.plugin
from flask_babel import gettext
from octoprint.access.permissions import Permissions

from . import media, webcam
from . import settings as octorant_settings
from ._version import __version__
from .channels import REGISTRY
from .notifier import Notifier
from .page import page_data
from .redact import redact
from .router import PrinterState
from .thumbnails import ThumbnailCache

__plugin_version__ = __version__


class OctoRantPlugin(
    octoprint.plugin.StartupPlugin,
    octoprint.plugin.ShutdownPlugin,
    octoprint.plugin.SettingsPlugin,
    octoprint.plugin.EventHandlerPlugin,
    octoprint.plugin.ProgressPlugin,
    octoprint.plugin.SimpleApiPlugin,
    octoprint.plugin.TemplatePlugin,
    octoprint.plugin.AssetPlugin,
):
    def __init__(self):
        super().__init__()
        self._notifier = None
        self._thumbnails = ThumbnailCache()

    def initialize(self):
        self._notifier = Notifier(
            printer_state=self._printer_state,
            snapshot_source=self._snapshot_sources,
            thumbnail_source=self._thumbnail,
            send_gcode=self._send_gcode,
            logger=self._logger,
            # The outbox and delivery history live here, so they survive a restart.
            store_dir=self.get_plugin_data_folder(),
        )

    def _printer_state(self):
        return PrinterState.from_octoprint(
            self._printer.get_current_data(), self._printer.get_current_temperatures()
        )

    def _snapshot_sources(self, names=None):
        if names is None:
            names = self._settings.get(["snapshot", "webcams"]) or []
        return webcam.snapshot_sources(names, plugin_manager=self._plugin_manager)

    def _thumbnail(self, origin, path):
        # Files on the SD card cannot be read without stopping the printer: local files only.
        if origin != "local":
            return None
        return self._thumbnails.get(self._file_manager.path_on_disk("local", path))

    def _send_gcode(self, lines):
        if self._printer.is_operational():
            self._printer.commands(lines, tags={"trigger:octorant.snapshot"})

    def _configure(self):
        printer_name = (
            self._settings.get(["printer_name"])
            or self._settings.global_get(["appearance", "name"])
            or "OctoPrint"
        )
        self._notifier.configure(self._settings.get_all_data(merged=True), printer_name)

    # ~ StartupPlugin

    def on_startup(self, host, port):
        # Started before OctoPrint fires Startup, so that event is announced too.
        self._notifier.start()

    # ~ ShutdownPlugin

    def on_shutdown(self):
        # OctoPrint calls this while its event thread may still hold the Shutdown event: the
        # notifier announces it itself (once) and flushes within a bounded time.
        self._notifier.shutdown(timeout=10.0)

    # ~ EventHandlerPlugin

    def on_event(self, event, payload):
        self._notifier.handle_event(event, payload)

    # ~ ProgressPlugin

    def on_print_progress(self, storage, path, progress):
        self._notifier.handle_progress()

    # ~ SettingsPlugin

    def get_settings_defaults(self):
        return octorant_settings.defaults()

    def get_settings_version(self):
        return octorant_settings.SETTINGS_VERSION

    def get_settings_restricted_paths(self):
        # Webhook URLs carry their token; Apprise URLs carry credentials.
        return {Permissions.SETTINGS: [["channels"]]}

    def on_settings_initialized(self):
        # Runs after migration, so the notifier only ever sees the current layout.
        self._configure()

    def on_settings_migrate(self, target, current):
        stored = self._settings.get_all_data(merged=False) or {}
        migrated = octorant_settings.migrate(stored, current)
        for key in list(stored):
            if key not in migrated and not key.startswith("_"):
                self._settings.remove([key])
        for key, value in migrated.items():
            self._settings.set([key], value)

    def on_settings_save(self, data):
        current = self._settings.get_all_data(merged=True)
        clean, problems = octorant_settings.validate_all(data, current)
        if problems:
            self._logger.warning("OctoRant: settings not saved as given: %s", redact("; ".join(problems)))
            self._plugin_manager.send_plugin_message(self._identifier, {"type": "settings_problems",
                                                                        "problems": problems})
        result = octoprint.plugin.SettingsPlugin.on_settings_save(self, clean)
        self._configure()
        return result

    # ~ SimpleApiPlugin

    def get_api_commands(self):
        return {"test": ["channel"], "validate": ["settings"], "preview": ["template"], "snapshot": []}

    def is_api_protected(self):
        return True

    def on_api_command(self, command, data):
        if not Permissions.SETTINGS.can():
            return flask.abort(403)
        if command == "test":
            channel = self._saved_channel(str(data.get("channel", "")))
            if channel is None:
                return flask.jsonify(ok=False, error="No saved channel with that id: save the settings first."), 404
            return flask.jsonify(self._notifier.test_channel(channel, bool(data.get("snapshot", True))))
        if command == "validate":
            current = self._settings.get_all_data(merged=True)
            _, problems = octorant_settings.validate_all(data.get("settings"), current)
            return flask.jsonify(problems=problems)
        if command == "preview":
            return flask.jsonify(self._notifier.preview(str(data.get("event", "")), data.get("template")))
        if command == "snapshot":
            return flask.jsonify(self._snapshot_preview(data.get("snapshot")))
        return flask.abort(400)

    def on_api_get(self, request):
        if not Permissions.SETTINGS.can():
            return flask.abort(403)
        return flask.jsonify(
            channels=self._notifier.channel_status(),
            # Service libraries load only when a channel needs them; the page and bench/ show it.
            libraries={"apprise": "apprise" in sys.modules},
            channel_types=[cls.metadata() for cls in REGISTRY.values()],
            webcams=webcam.list_webcams(plugin_manager=self._plugin_manager),
        )

    def _snapshot_preview(self, unsaved):
        """The pictures channels would get now, with the settings as the page shows them."""
        current = self._settings.get(["snapshot"], merged=True) or {}
        snapshot, problems = octorant_settings.validate_snapshot(unsaved if unsaved is not None else {}, current)
        media_set = self._notifier.snapshot_preview(
            snapshot, lambda: self._snapshot_sources(snapshot.get("webcams") or []))
        return {"images": [media.describe(item) for item in media_set.attachments],
                "notes": list(media_set.notes), "problems": problems}

    def _saved_channel(self, channel_id):
        for channel in self._settings.get(["channels"]) or []:
            if isinstance(channel, dict) and str(channel.get("id")) == channel_id:
                return channel
        return None

    # ~ TemplatePlugin

    def get_template_configs(self):
        return [{"type": "settings", "name": "OctoRant", "custom_bindings": True}]

    def is_template_autoescaped(self):
        return True

    def get_template_vars(self):
        return {"page": page_data(gettext)}

    # ~ AssetPlugin

    def get_assets(self):
        return {"js": ["js/octorant.js"], "css": ["css/octorant.css"]}

    # ~ softwareupdate.check_config hook

    def get_update_information(self):
        return {
            "octorant": {
                "displayName": "OctoRant",
                "displayVersion": self._plugin_version,
                "type": "github_release",
                "user": "octorant",
                "repo": "OctoPrint-OctoRant",
                "current": self._plugin_version,
                "pip": "https://github.com/octorant/OctoPrint-OctoRant/archive/{target_version}.zip",
            }
        }


__plugin_name__ = "OctoRant"
__plugin_description__ = "Tells you what your printer is doing: Discord webhooks and any Apprise service."
__plugin_author__ = "OctoRant developers"
__plugin_license__ = "AGPLv3"
__plugin_pythoncompat__ = ">=3.9,<4"
__plugin_implementation__ = OctoRantPlugin()
__plugin_hooks__ = {
    "octoprint.plugin.softwareupdate.check_config": __plugin_implementation__.get_update_information,
}
