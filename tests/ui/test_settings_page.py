"""Settings → OctoRant in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

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


def channel_names(panel):
    return [n.strip() for n in panel.locator(".octorant-channel .octorant-channel-name").all_inner_texts()]


def test_add_a_discord_channel_test_it_break_it_and_everything_persists(ui):
    panel = ui.open()
    panel.locator("button", has_text="Add Discord webhook").click()
    channel = panel.locator(".octorant-channel").last
    channel.locator("input.octorant-name").fill("Workshop")
    channel.locator("input[name=url]").fill(ui.inbox.webhook_url("5550001", "uiToken-31"))
    assert channel.locator("input[name=url]").get_attribute("type") == "password"  # the token is a secret
    channel.locator("input[name=username]").fill("Workshop printer")
    ui.screenshot("channel-added")
    ui.save()

    saved = [c for c in ui.api.plugin_settings()["channels"] if c["name"] == "Workshop"]
    assert len(saved) == 1 and saved[0]["url"].endswith("/5550001/uiToken-31")
    assert saved[0]["username"] == "Workshop printer"

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
    assert channel_names(panel) == ["Discord", "Workshop"]


def test_a_broken_url_is_refused_on_save_with_the_reason(ui):
    panel = ui.open()
    panel.locator("button", has_text="Add Discord webhook").click()
    channel = panel.locator(".octorant-channel").last
    channel.locator("input[name=url]").fill("https://discord.com/api/webhooks/123")
    ui.save()
    notice = ui.page.locator(".ui-pnotify", has_text="some settings were not saved")
    notice.wait_for(timeout=15_000)
    assert "whole Discord webhook URL" in notice.inner_text()
    assert [c["id"] for c in ui.api.plugin_settings()["channels"]] == ["discord"]


def test_add_an_apprise_channel_reorder_and_remove(ui, apprise_json_server):
    panel = ui.open()
    panel.locator("button", has_text="Add Apprise").click()
    channel = panel.locator(".octorant-channel").last
    channel.locator("input.octorant-name").fill("Phone")
    channel.locator("textarea[name=urls]").fill(f"json://127.0.0.1:{apprise_json_server.port}/notify")
    channel.locator(".octorant-up").click()  # Apprise first, Discord second
    assert channel_names(panel) == ["Phone", "Discord"]
    ui.screenshot("channels-reordered")
    ui.save()
    assert [c["name"] for c in ui.api.plugin_settings()["channels"]] == ["Phone", "Discord"]

    panel = ui.open()
    first = panel.locator(".octorant-channel").first
    first.locator("button.octorant-test").click()
    first.locator(".octorant-test-result").filter(has_text="Sent.").wait_for(timeout=30_000)
    assert "Test message" in apprise_json_server.bodies()[-1]["message"]

    panel.locator(".octorant-channel").last.locator(".octorant-remove").click()  # Discord goes
    assert channel_names(panel) == ["Phone"]
    ui.save()
    assert [c["name"] for c in ui.api.plugin_settings()["channels"]] == ["Phone"]
    ui.reload()
    assert channel_names(ui.open()) == ["Phone"]


def test_first_run_help_when_no_channel_is_configured(ui):
    ui.api.save_plugin_settings({"channels": []})
    panel = ui.open()
    help_box = panel.locator(".octorant-first-run")
    help_box.wait_for()
    assert "Copy Webhook URL" in help_box.inner_text()
    assert help_box.locator("a").get_attribute("href").endswith("docs/channels.md")
    ui.screenshot("first-run")


def test_edit_a_message_chips_live_preview_and_it_persists(ui):
    ui.open()
    pane = ui.tab("Messages")
    row = pane.locator(".octorant-event[data-event=print_done]")
    preview = row.locator(".octorant-preview")
    preview.filter(has_text="benchy.gcode is finished").wait_for(timeout=15_000)  # sample values

    area = row.locator("textarea.octorant-template")
    area.fill("Done: ")
    row.locator(".octorant-chip", has_text="{name}").click()  # inserted at the cursor
    area.press("End")
    area.type(" took ")
    row.locator(".octorant-chip", has_text="{time_formatted}").click()
    assert area.input_value() == "Done: {name} took {time_formatted}"
    preview.filter(has_text="Done: benchy.gcode took 2 h 1 min").wait_for(timeout=15_000)

    # Put the cursor in the middle and insert there.
    area.evaluate("el => el.setSelectionRange(6, 6)")
    row.locator(".octorant-chip", has_text="{printer_name}").click()
    assert area.input_value() == "Done: {printer_name}{name} took {time_formatted}"

    area.fill("Done {nmae} at {now}")
    row.locator(".octorant-problems").filter(has_text="nmae").wait_for(timeout=15_000)
    ui.screenshot("tab-messages")

    area.fill("All done: {name} ({time_formatted})")
    row.locator(".octorant-event-media select").select_option(label="thumbnail and snapshot")
    ui.save()
    saved = ui.api.plugin_settings()["events"]["print_done"]
    assert saved["message"] == "All done: {name} ({time_formatted})" and saved["media"] == "both"

    ui.reload()
    ui.open()
    row = ui.tab("Messages").locator(".octorant-event[data-event=print_done]")
    assert row.locator("textarea.octorant-template").input_value() == "All done: {name} ({time_formatted})"
    row.locator(".octorant-preview").filter(has_text="All done: benchy.gcode (2 h 1 min)").wait_for(timeout=15_000)


def test_progress_is_validated_as_you_type(ui):
    ui.open()
    pane = ui.tab("Progress")
    percent = pane.locator("input[name=progress-percent_step]")
    group = pane.locator(".control-group:has(input[name=progress-percent_step])")
    percent.fill("150")
    group.locator(".octorant-problem").filter(has_text="From 0 to 100").wait_for(timeout=5_000)
    assert "error" in group.get_attribute("class")
    ui.screenshot("tab-progress-invalid")
    percent.fill("20")
    expect(group.locator(".octorant-problem")).to_have_text("", timeout=5_000)
    expect(group).not_to_have_class(re.compile(r"\berror\b"))
    ui.screenshot("tab-progress")
    ui.save()
    assert ui.api.plugin_settings()["progress"]["percent_step"] == 20


def test_snapshot_preview_shows_the_pictures_channels_get(ui):
    ui.open()
    pane = ui.tab("Snapshots")
    pane.locator("input[name=snapshot-max_side]").fill("320")
    pane.locator("button.octorant-snapshot-preview").click()
    image = pane.locator(".octorant-snapshot-images img").first
    image.wait_for(timeout=30_000)
    caption = pane.locator(".octorant-snapshot-images figcaption").first.inner_text()
    assert "320×240" in caption
    assert image.evaluate("img => img.naturalWidth") == 320
    ui.screenshot("tab-snapshots")
    assert ui.api.plugin_settings()["snapshot"]["max_side"] == 0  # a preview saves nothing


def test_every_tab_renders(ui):
    ui.open()
    for name in ("Channels", "Messages", "Progress", "Snapshots", "Delivery"):
        pane = ui.tab(name)
        assert pane.is_visible()
        ui.screenshot(f"tab-{name.lower()}")
