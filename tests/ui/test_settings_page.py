"""Settings → OctoRant in a real browser."""

from __future__ import annotations

import pytest

from tools.octoprint_server import wait_until

pytestmark = pytest.mark.e2e


def test_channel_shows_its_health_and_recent_deliveries(ui):
    ui.api.ok_json("POST", "/api/connection", json={"command": "disconnect"})
    ui.inbox.wait_for_count(1)  # "printer disconnected", through the channel's outbox
    panel = ui.open()
    channel = panel.locator(".octorant-channel").first
    channel.locator(".octorant-health").wait_for()
    assert channel.locator(".octorant-health").inner_text() == "Delivering"
    assert "Printer disconnected" in channel.locator(".octorant-history tr").first.inner_text()
    ui.api.connect()
    ui.screenshot("channels")


def test_a_deleted_webhook_shows_why_the_channel_stopped(ui):
    ui.inbox.known_webhooks = {}  # Discord answers 404 Unknown Webhook from now on
    ui.api.ok_json("POST", "/api/connection", json={"command": "disconnect"})
    wait_until(lambda: ui.api.ok_json("GET", "/api/plugin/octorant")["channels"]["discord"]["gone"], 30, 0.2,
               "the channel to stop")
    ui.api.connect()
    channel = ui.open().locator(".octorant-channel").first
    stopped = channel.locator(".octorant-stopped")
    stopped.wait_for()
    assert "no longer exists" in stopped.inner_text()
    assert channel.locator(".octorant-health").inner_text() == "Stopped"
    ui.screenshot("channel-stopped")


def test_add_a_discord_channel_test_it_break_it_and_everything_persists(ui):
    panel = ui.open()
    panel.locator("button", has_text="Add Discord webhook").click()
    channel = panel.locator(".octorant-channel").last
    channel.locator("input.input-medium").first.fill("Workshop")
    channel.locator("input[type=password]").fill(ui.inbox.webhook_url("5550001", "uiToken-31"))
    ui.screenshot("channel-added")
    ui.save()

    saved = [c for c in ui.api.plugin_settings()["channels"] if c["name"] == "Workshop"]
    assert len(saved) == 1 and saved[0]["url"].endswith("/5550001/uiToken-31")

    panel = ui.open()
    channel = panel.locator(".octorant-channel").last
    channel.locator("button.octorant-test").click()
    result = channel.locator(".octorant-test-result")
    result.filter(has_text="Sent.").wait_for(timeout=30_000)
    assert "Test message" in ui.inbox.received("5550001")[0].shown

    # Discord deleted the webhook: the page says so in plain words.
    ui.inbox.known_webhooks = {}
    channel.locator("button.octorant-test").click()
    result.filter(has_text="no longer exists").wait_for(timeout=30_000)
    assert "uiToken-31" not in result.inner_text()
    ui.screenshot("channel-test-failed")

    ui.reload()
    panel = ui.open()
    assert panel.locator(".octorant-channel").count() == 2
    names = [panel.locator(".octorant-channel").nth(i).locator("input.input-medium").first.input_value()
             for i in range(2)]
    assert names == ["Discord", "Workshop"]
