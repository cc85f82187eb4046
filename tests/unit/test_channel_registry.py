"""The channel registry: every type honours the same contract, and Apprise loads only when used."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from octoprint_octorant.channels import REGISTRY
from octoprint_octorant.channels.base import Capabilities, Channel
from octoprint_octorant.model import Message


@pytest.mark.parametrize("channel_type", sorted(REGISTRY))
def test_every_type_declares_what_the_settings_page_needs(channel_type):
    cls = REGISTRY[channel_type]
    assert issubclass(cls, Channel) and cls.type_name == channel_type and cls.label
    assert isinstance(cls.capabilities, Capabilities) and cls.capabilities.max_text_length > 0
    meta = cls.metadata()
    assert meta["type"] == channel_type and meta["fields"]
    assert any(f["secret"] for f in meta["fields"]), "every type has a secret (URL, token) to restrict"
    assert cls.validate({}), "an empty configuration is refused with a reason"


@pytest.mark.parametrize("channel_type", sorted(REGISTRY))
def test_every_type_fits_text_and_files_to_its_limits(channel_type):
    cls = REGISTRY[channel_type]
    channel = cls({"id": "x", "type": channel_type})
    fitted = channel.fit(Message("print_done", "line\n" * 20000))
    assert len(fitted.text) <= cls.capabilities.max_text_length


def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_discord_only_never_imports_apprise():
    out = run_python("""
        import sys
        from octoprint_octorant import settings
        from octoprint_octorant.notifier import Notifier
        from octoprint_octorant.router import PrinterState
        config = settings.defaults()
        new = {"channels": [{"id": "d", "type": "discord", "name": "D",
                             "url": "https://discord.com/api/webhooks/1/abc"}]}
        clean, problems = settings.validate_all(new, config)
        assert not problems, problems
        notifier = Notifier(printer_state=PrinterState, snapshot_source=lambda: None)
        notifier.configure(clean, "P")
        print("apprise" in sys.modules)
    """)
    assert out == "False"


def test_an_apprise_channel_imports_apprise():
    out = run_python("""
        import sys
        from octoprint_octorant import settings
        clean, problems = settings.validate_all(
            {"channels": [{"id": "a", "type": "apprise", "name": "A", "urls": "json://127.0.0.1/x"}]},
            settings.defaults())
        assert not problems, problems
        print("apprise" in sys.modules)
    """)
    assert out == "True"
