"""The settings page in a real browser: Debian's chromium driven by Playwright, against the
shared OctoPrint (tests/support/octoprint_fixtures.py).

Every page a test opens collects JavaScript errors (console errors and uncaught exceptions);
a test fails if there was any. Screenshots go to tests/ui/screenshots/ (docs/ uses them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.harness import ADMIN, reset_to_baseline

# Debian's package (the Makefile installs it); Playwright never downloads a browser here.
CHROMIUM = os.environ.get("OCTORANT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-quic", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class SettingsPage:
    """OctoPrint's UI, logged in, with OctoRant's settings open."""

    def __init__(self, page, server):
        self.page = page
        self.server = server
        self.errors = []
        page.on("console", lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def login(self, user, password):
        page = self.page
        page.goto(self.server.base_url + "/")
        page.fill("#login-user", user)
        page.fill("#login-password", password)
        page.click("#login-button")
        page.wait_for_selector("#navbar_show_settings", state="visible", timeout=60_000)
        self.dismiss_dialogs()

    def dismiss_dialogs(self):
        """Close what OctoPrint may show on load (earlier tests' printer prompts, notices)."""
        page = self.page
        for _ in range(5):
            page.wait_for_timeout(300)  # dialogs fade in after the page settles
            visible = page.locator(".modal.in:visible")
            if visible.count() == 0:
                return
            self.screenshot("dialog-on-load")
            visible.first.locator("[data-dismiss=modal], .close, .modal-footer .btn").first.click()
        raise AssertionError("a dialog would not close")

    def reload(self):
        self.page.reload()
        self.page.wait_for_selector("#navbar_show_settings", state="visible", timeout=60_000)
        self.dismiss_dialogs()

    def open(self):
        page = self.page
        page.click("#navbar_show_settings")
        page.wait_for_selector("#settings_dialog", state="visible")
        page.click("#settings_plugin_octorant_link a")
        page.wait_for_selector("#settings_plugin_octorant", state="visible")
        return page.locator("#settings_plugin_octorant")

    def tab(self, name):
        """Show one of OctoRant's tabs (Channels, Messages, Progress, Snapshots, Delivery)."""
        self.page.locator("#octorant-tabs a", has_text=name).click()
        pane = self.page.locator("#settings_plugin_octorant .tab-pane.active")
        pane.wait_for()
        return pane

    def save(self):
        page = self.page
        page.click("#settings_dialog > .modal-footer button.btn-primary")
        page.wait_for_selector("#settings_dialog", state="hidden", timeout=30_000)

    def screenshot(self, name):
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


@pytest.fixture
def ui(octoprint, inbox, browser):
    api = octoprint.session(*ADMIN)
    reset_to_baseline(api, inbox)
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    settings_page = SettingsPage(page, octoprint)
    settings_page.api = api
    settings_page.inbox = inbox
    try:
        settings_page.login(*ADMIN)
        yield settings_page
        assert settings_page.errors == [], settings_page.errors
    finally:
        context.close()
        api.close()
        inbox.reset()


@pytest.fixture
def apprise_json_server():
    """A local endpoint for Apprise's json:// scheme; `bodies()` are the JSON documents received."""
    import json

    from tests.support.http_capture import CaptureServer

    with CaptureServer() as server:
        server.bodies = lambda: [json.loads(r.body) for r in server.wait_for_count(1)]
        yield server
