"""Who may read and change what, through OctoPrint's REST API, and where the webhook token may go."""

from __future__ import annotations

import pytest

from tests.e2e.harness import ADMIN, MAKER, WEBHOOK_TOKEN

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
