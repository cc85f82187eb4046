"""What keeping the outbox on disk costs: `Outbox.put` in memory vs with the durable store.

`put` runs on OctoRant's dispatcher thread (never OctoPrint's): each accepted message is
written (temporary file, fsync, rename) before `put` returns, so a kill -9 loses nothing.
Measured with the channel's worker held, so the queue grows as during an outage; and the
time to read 200 waiting messages back at start-up.
"""

from __future__ import annotations

import tempfile
import threading
import time

from bench.common import describe
from octoprint_octorant.channels.base import Capabilities, Channel
from octoprint_octorant.clock import Clock
from octoprint_octorant.model import DeliveryResult, Message, Notification
from octoprint_octorant.outbox import MAX_PENDING, Delivery, Outbox, RateGate
from octoprint_octorant.store import OutboxStore

ROUNDS = 150


class HeldChannel(Channel):
    type_name = "held"
    capabilities = Capabilities(max_text_length=2000, max_file_bytes=1, max_files=1)

    def __init__(self, release: threading.Event):
        super().__init__({"id": "b", "name": "bench"})
        self.release = release

    def send(self, message):
        self.release.wait(60)
        return DeliveryResult.success(200)


def render(notification, channel, capture):
    return Message(notification.kind, "x")


def delivery(i: int) -> Delivery:
    variables = {"name": f"part_{i}.gcode", "path": f"folder/part_{i}.gcode", "progress": i % 100,
                 "printer_name": "Bench", "temperatures": "Tool 0: 215/215 °C, Bed: 60/60 °C"}
    return Delivery(Notification("print_done", variables))


def measure(store) -> list:
    release = threading.Event()
    clock = Clock()
    outbox = Outbox("b", HeldChannel(release), render, clock, RateGate(clock), store=store)
    samples = []
    for i in range(ROUNDS):
        start = time.perf_counter()
        outbox.put(delivery(i))
        samples.append(time.perf_counter() - start)
    release.set()
    outbox.close(30)
    return samples


def main() -> None:
    memory = measure(None)
    print(f"{'put, in memory':34} {describe(memory, 'ms', 1e3)}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        disk = measure(OutboxStore(folder))
        print(f"{'put, on disk (fsync)':34} {describe(disk, 'ms', 1e3)}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        store = OutboxStore(folder)
        store.save("b", {"pending": [dict(delivery(i).to_json(), accepted=time.time()) for i in range(MAX_PENDING)]})
        loads = []
        for _ in range(20):
            start = time.perf_counter()
            clock = Clock()
            Outbox("b", HeldChannel(threading.Event()), render, clock, RateGate(clock), store=store)
            loads.append(time.perf_counter() - start)
            store.save("b", {"pending": [dict(delivery(i).to_json(), accepted=time.time())
                                         for i in range(MAX_PENDING)]})
        print(f"{'start-up with 200 waiting':34} {describe(loads, 'ms', 1e3)}", flush=True)


if __name__ == "__main__":
    main()
