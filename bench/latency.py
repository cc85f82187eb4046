"""Event-to-delivery latency on loopback: from on_event returning to the message in the inbox.

The real notifier and Discord channel against the local inbox, one event at a time; text only,
and with a 1280×720 webcam snapshot fetched over HTTP from the inbox's test webcam.
"""

from __future__ import annotations

import time

import requests

from bench.common import describe
from octoprint_octorant import settings as octorant_settings
from octoprint_octorant.media import Transform
from octoprint_octorant.notifier import Notifier
from octoprint_octorant.router import PrinterState
from octoprint_octorant.webcam import SnapshotSource
from tools.discord_inbox import DiscordInbox, make_snapshot

ROUNDS = 30


def measure(inbox: DiscordInbox, media: str, transform: Transform) -> list:
    settings = octorant_settings.defaults()
    settings["channels"] = [{"id": "discord", "type": "discord", "name": "Inbox", "enabled": True,
                             "url": inbox.webhook_url()}]
    settings["events"]["print_paused"].update(enabled=True, media=media)
    session = requests.Session()

    def fetch():
        with session.get(inbox.snapshot_url, timeout=5) as response:
            response.raise_for_status()
            return response.content

    notifier = Notifier(printer_state=lambda: PrinterState(printing=True),
                        snapshot_source=lambda: SnapshotSource("bench", fetch, transform))
    notifier.configure(settings, "Bench")
    notifier.start()
    inbox.bucket_limit = 0  # measure our path, not Discord's rate limit
    samples = []
    for round_number in range(ROUNDS + 3):
        inbox.reset()
        inbox.bucket_limit = 0
        start = time.monotonic()
        notifier.handle_event("PrintPaused", {"name": f"part{round_number}.gcode", "path": "part.gcode"})
        message = inbox.wait_for_count(1, timeout=30)[0]
        if round_number >= 3:  # the first rounds warm up connections and Pillow
            samples.append(message.time - start)
    notifier.shutdown(5)
    session.close()
    return samples


def main() -> None:
    with DiscordInbox() as inbox:
        inbox.snapshot = make_snapshot((1280, 720))
        for label, media, transform in (
            ("text only", "none", Transform()),
            ("1280×720 snapshot, as is", "snapshot", Transform()),
            ("1280×720 snapshot, flipped + rotated", "snapshot", Transform(True, False, True)),
        ):
            print(f"{label:38} {describe(measure(inbox, media, transform), 'ms', 1e3)}", flush=True)
