"""The outbox across restarts: a graceful stop with messages waiting, and `kill -9` mid-delivery.

An OctoPrint of its own (it is stopped and killed), with its own inbox.
"""

from __future__ import annotations

import json

import pytest

from octoprint_octorant.settings import SETTINGS_VERSION
from tests.e2e.harness import ADMIN, E2E, baseline_settings, kind_of
from tools.discord_inbox import DiscordInbox
from tools.gcode import timed_gcode
from tools.octoprint_server import OctoPrintServer, base_config, deep_merge, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def restartable(octoprint, tmp_path_factory):
    # `octoprint` (the shared instance) is requested so the plugin archive is installed.
    with DiscordInbox() as inbox:
        config = deep_merge(base_config(snapshot_url=inbox.snapshot_url), {
            "plugins": {"octorant": dict(baseline_settings(inbox), _config_version=SETTINGS_VERSION)},
        })
        server = OctoPrintServer(tmp_path_factory.mktemp("restartable"), config)
        server.add_user(*ADMIN, admin=True)
        server.start()
        try:
            yield server, inbox
        finally:
            server.stop()


def connect(server, inbox) -> E2E:
    e2e = E2E(server, inbox, server.session(*ADMIN))
    e2e.api.wait_operational(60)
    e2e.account(0)  # whatever start-up sent has landed
    inbox.reset()
    return e2e


def outbox_file(server) -> dict:
    return json.loads((server.basedir / "data" / "octorant" / "outbox-discord.json").read_text(encoding="utf-8"))


def folded_kinds(inbox):
    return [kind_of(m) for m in inbox.received()]


def test_messages_waiting_at_a_restart_are_sent_after_it(restartable):
    server, inbox = restartable
    e2e = connect(server, inbox)
    inbox.go_offline()  # the Wi-Fi is down for the whole print and the restart
    try:
        e2e.start_print("restart.gcode", timed_gcode(seconds=6))
        e2e.api.wait_state(lambda s: s == "Operational", 60, "print to finish")
        wait_until(lambda: e2e.status()["pending"] >= 2, 30, 0.2, "messages to wait")
        e2e.api.close()
        server.stop()
        waiting = [entry["kind"] for entry in outbox_file(server)["pending"]]
        assert waiting[0] == "print_started" and "print_done" in waiting and waiting[-1] == "shutdown", waiting
        assert waiting.count("print_progress") <= 1  # only the newest progress waits
    finally:
        inbox.go_online()
    server.start()
    e2e = E2E(server, inbox, server.session(*ADMIN))
    e2e.account(0)
    received = folded_kinds(inbox)
    # Each exactly once, in the order they happened, then the new start-up.
    essential = [k for k in received if k in ("print_started", "print_done", "shutdown", "startup")]
    assert essential == ["print_started", "print_done", "shutdown", "startup"], received
    assert received.count("print_progress") <= 1
    contents = [m.content for m in inbox.received()]
    assert len(contents) == len(set(contents)), contents  # no duplicates: every fate was known
    assert outbox_file(server)["pending"] == []
    e2e.api.close()


def test_kill_9_mid_delivery_loses_nothing(restartable):
    server, inbox = restartable
    e2e = connect(server, inbox)
    # Discord takes the next message but its answer never comes: its fate is unknown.
    inbox.hang_next(1, seconds=300, accept=True)
    e2e.api.ok_json("POST", "/api/connection", json={"command": "disconnect"})
    e2e.api.wait_state(lambda s: s.startswith(("Offline", "Closed")), 30, "printer to disconnect")
    inbox.wait_for(lambda ms: "printer_disconnected" in [kind_of(m) for m in ms], timeout=30)
    e2e.api.connect()  # queued behind the one in flight
    wait_until(lambda: e2e.status()["pending"] >= 2, 30, 0.2, "a second message to wait")
    e2e.api.close()
    server.kill()
    assert [entry["kind"] for entry in outbox_file(server)["pending"]] == ["printer_disconnected",
                                                                           "printer_connected"]
    server.start()
    e2e = E2E(server, inbox, server.session(*ADMIN))
    e2e.account(0)
    received = folded_kinds(inbox)
    # The message in flight at the kill is sent again: the one duplicate, as documented.
    assert received.count("printer_disconnected") == 2, received
    assert received[:3] == ["printer_disconnected", "printer_disconnected", "printer_connected"], received
    assert "startup" in received
    e2e.api.close()
