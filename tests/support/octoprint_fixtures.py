"""One real OctoPrint for the end-to-end and browser tests: virtual printer, OctoRant installed
from a zip archive as Plugin Manager installs it, a Discord-compatible inbox as the webhook and
the webcam. Session-scoped: started once, shared by tests/e2e and tests/ui.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from octoprint_octorant.settings import SETTINGS_VERSION
from tests.e2e.harness import ADMIN, MAKER, PRINTER_NAME, baseline_settings, kind_of
from tests.support.archive import build_archive, pip_install
from tools.discord_inbox import DiscordInbox
from tools.octoprint_server import OctoPrintServer, base_config, deep_merge

BEDCAM_PLUGIN = Path(__file__).parent / "octoprint_plugins" / "octorant_test_bedcam.py"


@pytest.fixture(scope="session")
def inbox():
    with DiscordInbox() as server:
        yield server


@pytest.fixture(scope="session")
def octoprint(tmp_path_factory, inbox):
    archive = build_archive(tmp_path_factory.mktemp("archive") / "OctoPrint-OctoRant-main.zip")
    pip_install(archive)
    config = deep_merge(base_config(snapshot_url=inbox.snapshot_url), {
        "appearance": {"name": PRINTER_NAME},
        "plugins": {"octorant": dict(baseline_settings(inbox), _config_version=SETTINGS_VERSION),
                    "octorant_test_bedcam": {"snapshot": inbox.second_snapshot_url}},
    })
    server = OctoPrintServer(tmp_path_factory.mktemp("octoprint"), config)
    # A second webcam, as a multi-camera setup has: a webcam provider plugin of its own.
    (server.basedir / "plugins").mkdir(exist_ok=True)
    shutil.copy(BEDCAM_PLUGIN, server.basedir / "plugins")
    server.add_user(*ADMIN, admin=True)
    server.add_user(*MAKER)
    server.start()
    # The startup message is the first thing a user sees; later tests empty the inbox.
    server.startup_messages = inbox.wait_for(lambda ms: any(kind_of(m) == "startup" for m in ms), timeout=60)
    yield server
    server.stop()
