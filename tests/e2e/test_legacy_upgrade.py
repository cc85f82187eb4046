"""Upgrading from the legacy Octorant plugin: a real OctoPrint loads the old config.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from octoprint_octorant.settings import SETTINGS_VERSION
from tests.e2e.harness import ADMIN, kind_of
from tools.gcode import timed_gcode
from tools.octoprint_server import OctoPrintServer, base_config, deep_merge

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"


def start_with_legacy(tmp_path, inbox, fixture: str, webhook_id: str):
    legacy = yaml.safe_load((FIXTURES / fixture).read_text(encoding="utf-8"))
    # The old layout as stored, with the webhook pointed at the local inbox.
    token = legacy["plugins"]["octorant"]["url"].rsplit("/", 1)[1]
    legacy["plugins"]["octorant"]["url"] = inbox.webhook_url(webhook_id=webhook_id, token=token)
    server = OctoPrintServer(tmp_path / "octoprint", deep_merge(base_config(inbox.snapshot_url), legacy))
    server.add_user(*ADMIN, admin=True)
    server.start()
    return server, legacy["plugins"]["octorant"]


def test_upgrade_from_settings_version_2(octoprint, inbox, tmp_path):
    # `octoprint` (the shared instance) is requested so the plugin archive is installed.
    server, legacy = start_with_legacy(tmp_path, inbox, "octorant_v2.yaml", "202")
    try:
        api = server.session(*ADMIN)
        settings = api.plugin_settings()
        channel = settings["channels"][0]
        assert channel["type"] == "discord" and channel["url"] == legacy["url"]
        assert channel["username"] == "Garage Printer"
        assert channel["avatar_url"] == "https://example.com/avatar.png"
        assert settings["events"]["print_started"]["message"] == "🖨️ Started **{name}** from {origin}"
        assert settings["events"]["print_done"]["media"] == "none"
        assert settings["events"]["startup"]["enabled"] is False
        assert settings["progress"]["percent_step"] == 25
        assert settings["progress"]["time_step"] == 30
        assert settings["progress"]["height_step"] == 0  # it was switched off
        assert settings["progress"]["min_interval"] == 120
        assert server.read_config()["plugins"]["octorant"]["_config_version"] == SETTINGS_VERSION

        api.wait_operational()
        api.upload("old_texts.gcode", timed_gcode(seconds=60), select=True, print_now=True)
        started = inbox.wait_for(lambda ms: any("Started" in m.content for m in ms), webhook_id="202")
        api.job_command("cancel")
        # Old texts render, with the file name escaped so it cannot break Discord's markdown.
        assert started[-1].content.startswith("🖨️ Started **old\\_texts.gcode** from local")
        # Startup was switched off in the old settings: nothing came before the print.
        assert [kind_of(m) for m in started][:1] != ["startup"]
        assert not any("up and running" in m.content for m in started)
        api.close()
    finally:
        server.stop()
    # Shutdown stayed on (the old default): stopping OctoPrint delivered it before exiting.
    assert any("shutting down" in m.content for m in inbox.received(webhook_id="202"))


def test_upgrade_from_the_unversioned_layout(octoprint, inbox, tmp_path):
    server, legacy = start_with_legacy(tmp_path, inbox, "octorant_unversioned.yaml", "303")
    try:
        api = server.session(*ADMIN)
        settings = api.plugin_settings()
        assert settings["channels"][0]["url"] == legacy["url"]
        assert settings["channels"][0]["username"] == "Old Bot"
        assert settings["events"]["print_started"]["message"] == "Printing {name}"
        assert settings["events"]["print_started"]["media"] == "none"
        assert settings["events"]["print_paused"]["media"] == "snapshot"
        assert settings["events"]["shutdown"]["enabled"] is False
        assert settings["progress"]["percent_step"] == 20
        assert settings["progress"]["time_step"] == 15
        api.close()
    finally:
        server.stop()
    # Shutdown was switched off: stopping OctoPrint sent nothing to this webhook.
    assert not any("shutting down" in m.content for m in inbox.received(webhook_id="303"))
