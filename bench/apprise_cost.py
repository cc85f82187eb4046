"""What Apprise costs, and that an OctoPrint with Discord channels only never pays it.

1. Importing apprise in a fresh interpreter (median of 5), against an empty interpreter.
2. A real OctoPrint with OctoRant and one Discord channel: resident memory after a test message,
   and whether apprise was imported; then the same with one Apprise channel added.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT  # noqa: F401 - puts the repository on sys.path
from tests.support.archive import build_archive, pip_install
from tests.support.http_capture import CaptureServer
from tools.discord_inbox import DiscordInbox
from tools.octoprint_server import OctoPrintServer, base_config, deep_merge


def interpreter_seconds(code: str, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def octoprint_with(channels: list, folder: Path, inbox: DiscordInbox, name: str) -> tuple:
    config = deep_merge(base_config(inbox.snapshot_url), {"plugins": {"octorant": {
        "_config_version": 3, "channels": channels}}})
    server = OctoPrintServer(folder / name, config)
    server.add_user("bench", "bench-pass", admin=True)
    server.start()
    try:
        api = server.session("bench", "bench-pass")
        for channel in channels:  # each channel sends once, so its library is in use
            result = api.plugin_command("test", channel=channel["id"]).json()
            assert result["ok"], result
        time.sleep(2)  # let the process settle before reading its memory
        # The plugin's status API reports which service libraries the process has imported.
        imported = api.ok_json("GET", "/api/plugin/octorant")["libraries"]["apprise"]
        memory = rss_mib(server.process.pid)
        api.close()
        return memory, imported
    finally:
        server.stop()


def main() -> None:
    bare = interpreter_seconds("pass")
    with_apprise = interpreter_seconds("import apprise")
    print(f"import apprise in a fresh interpreter: {1000 * (with_apprise - bare):.0f} ms "
          f"(interpreter alone {1000 * bare:.0f} ms)", flush=True)
    with tempfile.TemporaryDirectory(prefix="octorant-bench-") as folder, DiscordInbox() as inbox, \
            CaptureServer() as capture:
        pip_install(build_archive(Path(folder) / "OctoPrint-OctoRant-main.zip"))
        discord = {"id": "discord", "type": "discord", "name": "Inbox", "enabled": True, "url": inbox.webhook_url()}
        apprise = {"id": "phone", "type": "apprise", "name": "Phone", "enabled": True,
                   "urls": f"json://127.0.0.1:{capture.port}/notify"}
        only_discord, loaded_a = octoprint_with([discord], Path(folder), inbox, "discord-only")
        both, loaded_b = octoprint_with([discord, apprise], Path(folder), inbox, "with-apprise")
    print(f"OctoPrint + OctoRant, Discord channel only: {only_discord:.0f} MiB resident, "
          f"apprise imported: {loaded_a}", flush=True)
    print(f"OctoPrint + OctoRant, plus an Apprise channel: {both:.0f} MiB resident, "
          f"apprise imported: {loaded_b}", flush=True)
    print(f"difference: {both - only_discord:+.0f} MiB", flush=True)
