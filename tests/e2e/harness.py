"""What the end-to-end tests share: the baseline settings, message kinds, and a test's handle."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List

from octoprint_octorant.catalogue import EVENTS
from tools.discord_inbox import DiscordInbox, Received
from tools.octoprint_server import ApiSession, OctoPrintServer, wait_until

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
        "snapshot": {"webcams": [], "timeout": 3, "max_side": 0, "jpeg_quality": 85, "done_delay": 0,
                     "gcode_before": "", "gcode_after": "", "gcode_settle": 1},
        # Faults are injected for seconds, not hours: short waits keep the suite quick.
        "delivery": {"max_age_hours": 24, "retry_max_seconds": 2, "request_timeout": 3},
    }


def reset_to_baseline(api: ApiSession, inbox: DiscordInbox) -> None:
    """Printer idle and connected, baseline settings, webcam upright, outboxes drained, inbox empty."""
    state = api.state()
    if state.startswith(("Printing", "Paused", "Pausing")):
        api.job_command("cancel")
    if not state.startswith(("Operational", "Printing", "Paused", "Pausing", "Cancelling")):
        api.connect()
    api.wait_operational(60)
    api.save_plugin_settings(baseline_settings(inbox))
    api.ok_json("POST", "/api/settings", json={"plugins": {"classicwebcam": {
        "flipH": False, "flipV": False, "rotate90": False, "snapshot": inbox.snapshot_url}}})
    # Let what the previous test left in flight land before the inbox is emptied.
    wait_until(lambda: all(not c.get("pending") for c in api.ok_json("GET", "/api/plugin/octorant")
                           ["channels"].values()), 60, 0.2, "outboxes to drain")
    # Removing and re-adding the channel starts its outbox afresh: empty history, not stopped.
    api.save_plugin_settings({"channels": []})
    api.save_plugin_settings(baseline_settings(inbox))
    inbox.reset()


def marker_corner(data: bytes, colour=(255, 0, 0)) -> tuple:
    """Which corner of an image holds the test marker of `colour`, and the image's size."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    width, height = image.size
    inset = max(2, min(width, height) // 60)
    corners = {
        "top-left": (inset, inset), "top-right": (width - 1 - inset, inset),
        "bottom-left": (inset, height - 1 - inset), "bottom-right": (width - 1 - inset, height - 1 - inset),
    }
    found = [name for name, xy in corners.items() if all(abs(a - b) < 40 for a, b in zip(image.getpixel(xy), colour))]
    assert len(found) == 1, f"expected the marker {colour} in exactly one corner, found {found}"
    return found[0], image.size


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

    def status(self, channel: str = "discord") -> dict:
        return self.api.ok_json("GET", "/api/plugin/octorant")["channels"][channel]

    def last_sequence(self, channel: str = "discord") -> int:
        return max((h["sequence"] for h in self.status(channel)["history"]), default=0)

    def account(self, since: int, channel: str = "discord", webhook_id: str = None,
                timeout: float = 90) -> Accounting:
        """Once the channel's outbox is empty: what it accepted after `since`, and what arrived."""
        wait_until(lambda: self.status(channel)["pending"] == 0, timeout, 0.2, f"{channel} outbox to drain")
        finals: Dict[int, dict] = {}
        for entry in self.status(channel)["history"]:
            if entry["sequence"] > since:
                finals[entry["sequence"]] = entry  # later entries are later attempts
        return Accounting(finals, self.inbox.received(webhook_id))


@dataclass
class Accounting:
    """Notifications generated (the outbox's history) against notifications delivered (the inbox)."""

    finals: Dict[int, dict]
    delivered: List[Received]

    @property
    def outcomes(self) -> Counter:
        return Counter(entry["status"] for entry in self.finals.values())

    @property
    def lost(self) -> List[dict]:
        return [e for e in self.finals.values() if e["status"] not in ("ok", "superseded")]

    @property
    def superseded_kinds(self) -> set:
        return {e["event"] for e in self.finals.values() if e["status"] == "superseded"}

    @property
    def duplicates(self) -> int:
        return len(self.delivered) - self.outcomes["ok"]

    def kinds_in_order(self) -> List[str]:
        """Delivered kinds, a resend of the same message (always right after it) folded."""
        folded: List[str] = []
        previous = None
        for message in self.delivered:
            if message.content != previous:
                folded.append(kind_of(message))
            previous = message.content
        return folded
