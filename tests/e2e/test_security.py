"""Who may read and change what, through OctoPrint's REST API, and where the webhook token may go."""

from __future__ import annotations

import pytest

from tests.e2e.harness import ADMIN, MAKER, WEBHOOK_TOKEN
from tools.gcode import timed_gcode

pytestmark = pytest.mark.e2e


@pytest.fixture
def sessions(e2e):
    anonymous = e2e.server.session()
    maker = e2e.server.session(*MAKER)
    yield {"anonymous": anonymous, "maker": maker, "admin": e2e.api}
    anonymous.close()
    maker.close()


@pytest.mark.parametrize("who", ["anonymous", "maker"])
def test_webhook_url_is_hidden_without_the_settings_permission(sessions, who):
    response = sessions[who].get("/api/settings")
    assert WEBHOOK_TOKEN not in response.text
    page = sessions[who].get("/")
    assert WEBHOOK_TOKEN not in page.text


def test_admin_reads_the_webhook_url(sessions):
    channels = sessions["admin"].plugin_settings()["channels"]
    assert WEBHOOK_TOKEN in channels[0]["url"]


@pytest.mark.parametrize("who", ["anonymous", "maker"])
def test_settings_cannot_be_changed_without_the_permission(e2e, sessions, who):
    attempt = sessions[who].post("/api/settings", json={"plugins": {"octorant": {"channels": [{
        "id": "discord", "type": "discord", "name": "Evil", "url": "http://127.0.0.1:9/api/webhooks/1/stolen"}]}}})
    assert attempt.status_code in (401, 403), attempt.status_code
    assert WEBHOOK_TOKEN in e2e.api.plugin_settings()["channels"][0]["url"]


@pytest.mark.parametrize("who", ["anonymous", "maker"])
@pytest.mark.parametrize(("method", "body"), [
    ("GET", None),
    ("POST", {"command": "test", "channel": "discord"}),
    ("POST", {"command": "validate", "settings": {}}),
    ("POST", {"command": "preview", "event": "print_done", "template": "{name}"}),
])
def test_plugin_api_needs_the_settings_permission(e2e, sessions, who, method, body):
    response = sessions[who].request(method, "/api/plugin/octorant", json=body)
    assert response.status_code in (401, 403), (response.status_code, response.text[:200])
    assert WEBHOOK_TOKEN not in response.text
    assert e2e.inbox.received() == []  # the test command did not fire


@pytest.mark.parametrize(("method", "body"), [
    ("GET", None),
    ("POST", {"command": "validate", "settings": {}}),
    ("POST", {"command": "preview", "event": "print_done", "template": "{name} done"}),
])
def test_plugin_api_works_for_the_admin(sessions, method, body):
    response = sessions["admin"].request(method, "/api/plugin/octorant", json=body)
    assert response.status_code == 200, response.text[:200]


def test_test_command_only_sends_to_saved_channels(e2e):
    response = e2e.api.plugin_command("test", channel="not-saved",
                                      url="http://127.0.0.1:9/api/webhooks/1/elsewhere")
    assert response.status_code == 404
    assert e2e.inbox.attempts() == []


def test_token_never_reaches_a_log(e2e):
    # By now this OctoPrint has started, printed, failed, hit rate limits and a deleted webhook.
    e2e.api.plugin_command("test", channel="discord")
    for path in (e2e.server.log_path, e2e.server.basedir / "console.log"):
        text = path.read_text(encoding="utf-8", errors="replace")
        assert WEBHOOK_TOKEN not in text, f"the webhook token appears in {path.name}"
    assert ADMIN[1] not in e2e.server.log_text()


APPRISE_SECRET = "ntfyPassw0rd-e2e"


def test_apprise_credentials_are_as_restricted_as_webhooks(e2e, sessions):
    url = f"json://printer:{APPRISE_SECRET}@127.0.0.1:9/refused"  # nothing listens: the send fails
    e2e.api.save_plugin_settings({"channels": [
        {"id": "phone", "type": "apprise", "name": "Phone", "enabled": True, "urls": url}]})
    assert e2e.api.plugin_settings()["channels"][0]["urls"] == url
    failed = e2e.api.plugin_command("test", channel="phone").json()
    status = e2e.api.ok_json("GET", "/api/plugin/octorant")

    assert failed["ok"] is False and "URL 1" in failed["error"]
    assert APPRISE_SECRET not in str(failed) and APPRISE_SECRET not in str(status)
    for who in ("anonymous", "maker"):
        assert APPRISE_SECRET not in sessions[who].get("/api/settings").text
        assert APPRISE_SECRET not in sessions[who].get("/").text
    assert APPRISE_SECRET not in e2e.server.log_text()


def test_mentions_from_a_file_name_never_ping_but_the_template_does(e2e):
    e2e.api.save_plugin_settings({"events": {"print_started": {
        "message": "[print_started] <@&777> heads up: {name} started"}}})
    name = "@everyone <@123> <@&42> @here **bold**.gcode"
    e2e.start_print(name, timed_gcode(seconds=30))
    started = e2e.wait_kind("print_started")[0]
    e2e.api.job_command("cancel")

    # OctoPrint keeps "@" in file names (it drops "<", ">", "&" and "*"): shown as written…
    assert "heads up: @everyone @123 @42 @here bold.gcode started" in started.shown
    assert started.pings() == ["role 777"]  # …but only the template's own mention notifies


def test_bad_settings_through_the_api_are_refused_clearly_and_nothing_breaks(e2e):
    before = e2e.api.plugin_settings()
    bad = {
        "progress": {"percent_step": -5, "time_step": "often", "min_interval": 1e12},
        "snapshot": {"timeout": None},
        "delivery": {"request_timeout": [1, 2]},
        "events": {"print_done": {"enabled": "sometimes", "message": {"not": "text"}}},
        "channels": [
            # A broken edit of the working channel keeps the working version; a channel of an
            # unknown type is not stored.
            {"id": "discord", "type": "discord", "name": "Broken", "url": "https://discord.com/api/webhooks/nope"},
            {"id": "x1", "type": "pigeon", "name": "Pigeon"},
        ],
    }
    problems = e2e.api.plugin_command("validate", settings=bad).json()["problems"]
    for words in ("Progress every N %", "Snapshot timeout", "answer", "'enabled' must be true or false",
                  "message must be text", "pigeon", "whole Discord webhook URL"):
        assert any(words in p for p in problems), (words, problems)
    assert all("nope" not in p for p in problems)

    log_start = len(e2e.server.log_text())
    e2e.api.save_plugin_settings(bad)  # OctoPrint's own save: the plugin keeps what was good
    after = e2e.api.plugin_settings()
    for key in ("progress", "snapshot", "delivery", "channels"):
        assert after[key] == before[key], key
    assert after["events"]["print_done"] == before["events"]["print_done"]

    # Nothing raised inside OctoPrint, and the channel still delivers.
    e2e.start_print("after_bad_settings.gcode", timed_gcode(seconds=3))
    e2e.wait_kind("print_done", timeout=60)
    log = e2e.server.log_text()[log_start:]
    assert "settings not saved as given" in log  # the problems were logged, in words…
    assert "Traceback" not in log  # …and nothing raised


def test_no_secret_in_anything_octoprint_wrote(e2e):
    """Every file of the run but the settings file itself: logs, the outbox, history, caches."""
    secrets = (WEBHOOK_TOKEN, APPRISE_SECRET)
    offenders = []
    for path in e2e.server.basedir.rglob("*"):
        # config.yaml holds the settings (and config.backup is OctoPrint's copy of it).
        if not path.is_file() or path.name in ("config.yaml", "config.backup") or path.suffix == ".gcode":
            continue
        data = path.read_bytes()
        offenders += [f"{path.relative_to(e2e.server.basedir)}: {s[:4]}…" for s in secrets if s.encode() in data]
    assert offenders == []
