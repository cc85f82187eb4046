"""Time spent inside the plugin's on_event and on_print_progress: what OctoPrint's threads pay.

The real plugin class with a real notifier, configured with one Discord channel pointed at a
local inbox, started as in OctoPrint. Events it watches, events it ignores, progress reports.
Goal: median under 50 µs.
"""

from __future__ import annotations

import gc
import time

from bench.common import describe
from octoprint_octorant import OctoRantPlugin
from octoprint_octorant import settings as octorant_settings
from octoprint_octorant.notifier import Notifier
from octoprint_octorant.router import PrinterState
from tools.discord_inbox import DiscordInbox

ROUNDS = 20000


def timed(call, rounds: int):
    samples = []
    clock = time.perf_counter_ns
    for _ in range(rounds):
        start = clock()
        call()
        samples.append(clock() - start)
    return samples


def main() -> None:
    with DiscordInbox() as inbox:
        settings = octorant_settings.defaults()
        settings["channels"] = [{"id": "discord", "type": "discord", "name": "Inbox", "enabled": True,
                                 "url": inbox.webhook_url()}]
        plugin = OctoRantPlugin()
        plugin._notifier = Notifier(printer_state=PrinterState, snapshot_source=lambda: None)
        plugin._notifier.configure(settings, "Bench")
        plugin.on_startup("127.0.0.1", 5000)
        payload = {"old": 0.2, "new": 0.4}
        gc.collect()
        cases = {
            "on_event, watched (ZChange)": lambda: plugin.on_event("ZChange", payload),
            "on_event, ignored (PositionUpdate)": lambda: plugin.on_event("PositionUpdate", payload),
            "on_print_progress": lambda: plugin.on_print_progress("local", "a.gcode", 42),
        }
        for name, call in cases.items():
            timed(call, 1000)  # warm up
            samples = timed(call, ROUNDS)
            print(f"{name:38} {describe(samples, 'µs', 1e-3)}", flush=True)
        plugin.on_shutdown()
