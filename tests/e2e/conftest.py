"""One real OctoPrint for the end-to-end tests: virtual printer, OctoRant installed from a zip
archive as Plugin Manager installs it, a Discord-compatible inbox as the webhook and the webcam.

Each test starts from the same baseline (settings posted through the REST API, inbox emptied,
printer idle). Message texts are the catalogue's defaults with "[event key]" in front, so a
test can tell which event a message belongs to and still sees the default texts rendered.
"""

from __future__ import annotations

import pytest

from tests.e2e.harness import ADMIN, E2E, MAKER, PRINTER_NAME, baseline_settings, kind_of
from tests.support.archive import build_archive, pip_install
from tools.discord_inbox import DiscordInbox
from tools.octoprint_server import OctoPrintServer, base_config, deep_merge, wait_until


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
        "plugins": {"octorant": dict(baseline_settings(inbox), _config_version=3)},
    })
    server = OctoPrintServer(tmp_path_factory.mktemp("octoprint"), config)
    server.add_user(*ADMIN, admin=True)
    server.add_user(*MAKER)
    server.start()
    # The startup message is the first thing a user sees; later tests empty the inbox.
    server.startup_messages = inbox.wait_for(lambda ms: any(kind_of(m) == "startup" for m in ms), timeout=60)
    yield server
    server.stop()


@pytest.fixture
def e2e(octoprint, inbox):
    api = octoprint.session(*ADMIN)
    try:
        state = api.state()
        if state.startswith(("Printing", "Paused", "Pausing")):
            api.job_command("cancel")
        if not state.startswith(("Operational", "Printing", "Paused", "Pausing", "Cancelling")):
            api.connect()
        api.wait_operational(60)
        api.save_plugin_settings(baseline_settings(inbox))
        api.ok_json("POST", "/api/settings", json={"plugins": {"classicwebcam": {
            "flipH": False, "flipV": False, "rotate90": False, "snapshot": inbox.snapshot_url}}})
        # Let what the previous test left in flight land before the inbox is emptied.
        wait_until(lambda: all(not c.get("pending") for c in api.ok_json("GET", "/api/plugin/octorant")
                               ["channels"].values()), 60, 0.2, "outboxes to drain")
        inbox.reset()
        yield E2E(octoprint, inbox, api)
    finally:
        inbox.reset()
        api.close()
