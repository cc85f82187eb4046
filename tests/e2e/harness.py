"""What the end-to-end tests share: the baseline settings, message kinds, and a test's handle."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List

from octoprint_octorant.catalogue import EVENTS
from tools.discord_inbox import DiscordInbox, Received
from tools.octoprint_server import ApiSession, OctoPrintServer

WEBHOOK_TOKEN = "e2eSecretToken-9f3b2c"  # the tests grep everything OctoPrint wrote for this
ADMIN = ("admin", "admin-pass-9d2")
MAKER = ("maker", "maker-pass-4e1")  # a plain user: no settings permission
PRINTER_NAME = "Garage MK3"
TAG = re.compile(r"^\[(\w+)\] ")


def tagged_events() -> dict:
    return {
        spec.key: {"enabled": True, "message": f"[{spec.key}] {spec.default_message}", "media": spec.default_media}
        for spec in EVENTS
    }


def baseline_settings(inbox: DiscordInbox) -> dict:
    return {
        "printer_name": "",
        "channels": [{
            "id": "discord", "type": "discord", "name": "Discord", "enabled": True,
            "url": inbox.webhook_url(token=WEBHOOK_TOKEN), "username": "Garage Printer",
            "avatar_url": "", "thread_id": "",
        }],
        "events": tagged_events(),
        "progress": {"percent_step": 25, "time_step": 0, "height_step": 0, "min_interval": 0, "source": "estimate"},
        "snapshot": {"webcam": "", "timeout": 3},
    }


def kind_of(message: Received) -> str:
    match = TAG.match(message.content)
    return match.group(1) if match else ""


def kinds(messages: List[Received]) -> List[str]:
    return [kind_of(m) for m in messages]


@dataclass
class E2E:
    server: OctoPrintServer
    inbox: DiscordInbox
    api: ApiSession

    def messages(self, kind: str = None) -> List[Received]:
        received = self.inbox.received()
        return [m for m in received if kind is None or kind_of(m) == kind]

    def wait_kind(self, kind: str, count: int = 1, timeout: float = 60) -> List[Received]:
        self.inbox.wait_for(lambda ms: sum(kind_of(m) == kind for m in ms) >= count, timeout=timeout)
        return self.messages(kind)

    def start_print(self, name: str, gcode: str) -> None:
        self.api.upload(name, gcode, select=True, print_now=True)
        self.api.wait_state(lambda s: s.startswith("Printing"), 30, "print to start")

    def marker(self, timeout: float = 60) -> None:
        """Disconnect and reconnect the printer: those messages come after anything queued before,
        so once they arrive a test can say what did *not* arrive."""
        count = len(self.messages("printer_connected"))
        self.api.ok_json("POST", "/api/connection", json={"command": "disconnect"})
        self.api.wait_state(lambda s: s.startswith(("Offline", "Closed")), 30, "printer to disconnect")
        self.api.connect()
        self.wait_kind("printer_connected", count + 1, timeout)
        self.api.wait_operational()
