"""The plugin as Plugin Manager installs it: from the archive, with its files and dependencies."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import pytest

pytestmark = pytest.mark.e2e


def test_installed_from_the_archive_with_declared_dependencies(octoprint):
    location = subprocess.run([sys.executable, "-c", "import octoprint_octorant; print(octoprint_octorant.__file__)"],
                              capture_output=True, text=True, cwd=str(octoprint.basedir), timeout=60, check=True)
    assert "site-packages" in location.stdout  # not this checkout
    requires = " ".join(metadata.requires("OctoPrint-OctoRant") or [])
    for dependency in ("OctoPrint", "requests", "Pillow", "apprise"):
        assert dependency in requires


def test_octoprint_serves_the_settings_page_and_script(e2e):
    page = e2e.api.get("/").text
    assert 'id="settings_plugin_octorant"' in page
    assert "window.OCTORANT = " in page and "octorant-channel-events" in page
    script = e2e.api.get("/plugin/octorant/static/js/octorant.js")
    assert script.status_code == 200 and "OctoRantViewModel" in script.text
