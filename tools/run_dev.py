"""`make run`: a real OctoPrint with the virtual printer and OctoRant, pointed at a local inbox.

Starts the Discord-compatible inbox on 127.0.0.1:8765 (webhook and webcam), installs this
checkout into the virtual environment (editable, so a restart picks up code changes), and runs
OctoPrint on 127.0.0.1:5000 from `.run/octoprint`. Ctrl-C stops both.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.discord_inbox import DiscordInbox  # noqa: E402
from tools.gcode import timed_gcode  # noqa: E402
from tools.octoprint_server import OctoPrintServer, base_config, deep_merge  # noqa: E402

ADMIN_USER = "admin"
ADMIN_PASSWORD = "octorant"


def install_editable() -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-index",
                    "--no-build-isolation", "--no-deps", "--editable", str(ROOT)], check=True, timeout=300)


def config_for(inbox: DiscordInbox) -> dict:
    return deep_merge(base_config(snapshot_url=inbox.snapshot_url), {
        "appearance": {"name": "Virtual Printer"},
        "plugins": {"octorant": {"_config_version": 3, "channels": [{
            "id": "discord", "type": "discord", "name": "Local inbox", "enabled": True,
            "url": inbox.webhook_url(), "username": "OctoRant", "avatar_url": "", "thread_id": "",
        }]}},
    })


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5000, help="OctoPrint's port")
    parser.add_argument("--inbox-port", type=int, default=8765, help="the local inbox's port")
    parser.add_argument("--basedir", default=str(ROOT / ".run" / "octoprint"))
    args = parser.parse_args()

    install_editable()
    with DiscordInbox(port=args.inbox_port) as inbox:
        basedir = Path(args.basedir)
        fresh = not (basedir / "users.yaml").exists()
        server = OctoPrintServer(basedir, config_for(inbox), port=args.port)
        if fresh:
            server.add_user(ADMIN_USER, ADMIN_PASSWORD, admin=True)
        server.start()
        try:
            api = server.session(ADMIN_USER, ADMIN_PASSWORD)
            api.upload("octorant-demo.gcode", timed_gcode(seconds=90, layers=15))
            api.close()
            print(f"""
OctoPrint   {server.base_url}   login: {ADMIN_USER} / {ADMIN_PASSWORD}
Inbox       {inbox.base_url}   (messages and pictures OctoRant sent)

Print "octorant-demo.gcode" on the virtual printer (Files panel) and watch the inbox.
OctoPrint's log: {server.log_path}
Ctrl-C stops everything.""", flush=True)
            while server.process.poll() is None:
                time.sleep(0.5)
            print(f"OctoPrint exited ({server.process.returncode}); see {server.log_path}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\nStopping OctoPrint…", flush=True)
            return 0
        finally:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
