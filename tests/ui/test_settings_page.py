"""Settings → OctoRant in a real browser."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_channel_shows_its_health_and_recent_deliveries(ui):
    ui.api.plugin_command("test", channel="discord")
    ui.inbox.wait_for_count(1)
    panel = ui.open()
    channel = panel.locator(".octorant-channel").first
    channel.locator(".octorant-health").wait_for()
    assert channel.locator(".octorant-health").inner_text() == "Delivering"
    ui.screenshot("channels")


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

    ui.page.reload()
    ui.page.wait_for_selector("#navbar_show_settings", state="visible", timeout=60_000)
    panel = ui.open()
    assert panel.locator(".octorant-channel").count() == 2
    names = [panel.locator(".octorant-channel").nth(i).locator("input.input-medium").first.input_value()
             for i in range(2)]
    assert names == ["Discord", "Workshop"]
