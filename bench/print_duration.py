"""Does a slow webhook slow the printer? Print time on a real OctoPrint's virtual printer with a
webhook that answers at once versus one that takes 5 s per message (goal: ratio ≤ 1.01).

Same 30 s file, progress every 10 % (11 messages with snapshots), runs alternated fast/slow.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT  # noqa: F401 - puts the repository on sys.path
from tests.support.archive import build_archive, pip_install
from tools.discord_inbox import DiscordInbox
from tools.gcode import timed_gcode
from tools.octoprint_server import OctoPrintServer, base_config, deep_merge

RUNS = 3
SECONDS = 30


def print_once(api, name: str) -> float:
    api.upload(name, timed_gcode(seconds=SECONDS), select=True, print_now=True)
    start = time.monotonic()
    api.wait_state(lambda s: s.startswith("Printing"), 30, "print to start")
    api.wait_state(lambda s: s == "Operational", SECONDS * 5, "print to finish")
    return time.monotonic() - start


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="octorant-bench-") as folder, DiscordInbox() as inbox:
        pip_install(build_archive(Path(folder) / "OctoPrint-OctoRant-main.zip"))
        config = deep_merge(base_config(inbox.snapshot_url), {"plugins": {"octorant": {
            "_config_version": 3,
            "channels": [{"id": "discord", "type": "discord", "name": "Inbox", "enabled": True,
                          "url": inbox.webhook_url()}],
            "progress": {"percent_step": 10}}}})
        server = OctoPrintServer(Path(folder) / "octoprint", config)
        server.add_user("bench", "bench-pass", admin=True)
        server.start()
        try:
            api = server.session("bench", "bench-pass")
            api.wait_operational()
            durations = {"fast": [], "slow": []}
            for run in range(RUNS):
                for kind, delay in (("fast", 0.0), ("slow", 5.0)):
                    inbox.reset()
                    inbox.delay = delay
                    durations[kind].append(print_once(api, f"{kind}{run}.gcode"))
                    delivered = len(inbox.received())
                    # Let the slow webhook's backlog land before the next run starts.
                    inbox.wait_for(lambda ms: any("is finished" in m.content for m in ms), timeout=120)
                    print(f"  run {run + 1} {kind:4}: {durations[kind][-1]:.2f} s "
                          f"({delivered} of {len(inbox.received())} messages delivered when the print ended)",
                          flush=True)
            fast, slow = statistics.median(durations["fast"]), statistics.median(durations["slow"])
            print(f"print time, webhook answering at once: median {fast:.2f} s", flush=True)
            print(f"print time, webhook answering in 5 s:  median {slow:.2f} s", flush=True)
            print(f"ratio slow/fast: {slow / fast:.3f}", flush=True)
            api.close()
        finally:
            inbox.delay = 0
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
