"""Outbox logic with a scripted channel and a fake clock: retries, pacing, order, history."""

import threading

import pytest

from octoprint_octorant.channels.base import Capabilities, Channel
from octoprint_octorant.clock import FakeClock
from octoprint_octorant.model import Attachment, DeliveryResult, Message, Notification, RateLimit
from octoprint_octorant.outbox import Delivery, MediaFuture, Outbox, RateGate, RetryPolicy


class ScriptedChannel(Channel):
    type_name = "scripted"
    capabilities = Capabilities(max_text_length=2000, max_file_bytes=1000, max_files=10)

    def __init__(self, results, clock):
        super().__init__({"id": "s", "name": "scripted", "url": "https://secret.example/tok"})
        self.results = list(results)
        self.sent = []
        self.clock = clock

    def send(self, message):
        self.sent.append((self.clock.monotonic(), message))
        return self.results.pop(0) if self.results else DeliveryResult.success(200)


def render(notification, channel, capture):
    attachments = (capture,) if capture is not None else ()
    return Message(notification.kind, notification.variables.get("text", ""), attachments=attachments)


def make(results, policy=None):
    clock = FakeClock()
    channel = ScriptedChannel(results, clock)
    outbox = Outbox("s", channel, render, clock, RateGate(clock), policy or RetryPolicy())
    return outbox, channel, clock


def note(text, kind="print_done"):
    return Delivery(Notification(kind, {"text": text}))


def drain(outbox, real_seconds=10.0):
    """Wait (in real time, bounded) until the queue is empty, then stop the outbox."""
    import time

    deadline = time.monotonic() + real_seconds
    while outbox.pending() and time.monotonic() < deadline:
        with outbox._cond:
            outbox._cond.wait(0.05)
    assert outbox.pending() == 0, "outbox did not drain"
    outbox.close(0)


def test_delivers_in_order():
    outbox, channel, _ = make([])
    for i in range(5):
        outbox.put(note(f"m{i}"))
    drain(outbox)
    assert [m.text for _, m in channel.sent] == [f"m{i}" for i in range(5)]
    assert [h["status"] for h in outbox.status.history] == ["ok"] * 5


def test_429_waits_retry_after_and_resends_the_same_message():
    outbox, channel, _ = make([DeliveryResult.retry("rate limited", 2.5, 429)] * 3)
    outbox.put(note("important"))
    outbox.put(note("next"))
    drain(outbox)
    texts = [m.text for _, m in channel.sent]
    assert texts == ["important"] * 4 + ["next"]
    times = [t for t, _ in channel.sent]
    assert all(b - a >= 2.5 for a, b in zip(times[:3], times[1:4]))
    assert outbox.status.history[0]["status"] == "ok" and outbox.status.history[0]["attempts"] == 4


def test_server_errors_back_off_exponentially_then_give_up():
    policy = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=60.0)
    outbox, channel, _ = make([DeliveryResult.retry("HTTP 500", None, 500)] * 10, policy)
    outbox.put(note("x"))
    outbox.put(note("after"))
    drain(outbox)
    times = [t for t, m in channel.sent if m.text == "x"]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(times) == 4
    assert gaps[0] >= 0.8 and gaps[1] >= 1.6 and gaps[2] >= 3.2
    assert outbox.status.history[0]["status"] == "failed"
    assert "given up after 4 attempts" in outbox.status.history[0]["error"]
    assert [h["status"] for h in outbox.status.history] == ["failed", "failed"]  # "after" met the same 500s


def test_permanent_error_is_not_retried_and_kept_as_last_error():
    outbox, channel, _ = make([DeliveryResult.failure("Invalid Form Body (code 50035)", 400)])
    outbox.put(note("x"))
    drain(outbox)
    assert len(channel.sent) == 1
    assert outbox.status.last_error == "Invalid Form Body (code 50035)"


def test_gone_webhook_stops_sending():
    outbox, channel, _ = make([DeliveryResult.failure("webhook deleted", 404, gone=True)])
    for i in range(3):
        outbox.put(note(f"m{i}"))
    drain(outbox)
    assert len(channel.sent) == 1
    assert outbox.status.gone
    assert [h["status"] for h in outbox.status.history] == ["failed"] * 3


def test_pacing_from_rate_limit_headers_avoids_429():
    exhausted = DeliveryResult.success(200, RateLimit(remaining=0, reset_after=2.0, bucket="b1"))
    outbox, channel, _ = make([exhausted, DeliveryResult.success(200)])
    outbox.put(note("a"))
    outbox.put(note("b"))
    drain(outbox)
    (t1, _), (t2, _) = channel.sent
    assert t2 - t1 >= 2.0


def test_413_resends_text_without_the_image():
    outbox, channel, _ = make([DeliveryResult.failure("Request entity too large (code 40005)", 413)])
    future = MediaFuture()
    future.set(Attachment("snapshot.jpg", "image/jpeg", b"x" * 10))
    outbox.put(Delivery(Notification("print_done", {"text": "done"}), future))
    drain(outbox)
    assert len(channel.sent) == 2
    assert channel.sent[1][1].attachments == ()
    assert channel.sent[1][1].text.startswith("done")
    assert outbox.status.history[0]["status"] == "ok"


def test_a_crashing_channel_does_not_kill_the_worker():
    class Boom(ScriptedChannel):
        def send(self, message):
            if message.text == "bad":
                raise RuntimeError("boom https://discord.com/api/webhooks/1/SECRETTOKEN")
            return super().send(message)

    clock = FakeClock()
    channel = Boom([], clock)
    outbox = Outbox("s", channel, render, clock, RateGate(clock))
    outbox.put(note("bad"))
    outbox.put(note("good"))
    drain(outbox)
    assert [m.text for _, m in channel.sent] == ["good"]
    assert "SECRETTOKEN" not in outbox.status.history[0]["error"]


# The worker's death is the point of this test; pytest reports the thread's exception otherwise.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_dead_worker_is_restarted_and_queue_kept():
    outbox, channel, _ = make([])
    gate = threading.Event()

    class Die(BaseException):
        pass

    original = channel.send

    def send_once_then_die(message):
        if not gate.is_set():
            gate.set()
            raise Die()
        return original(message)

    channel.send = send_once_then_die
    outbox.put(note("first"))
    assert gate.wait(5)
    outbox._worker.join(5)
    assert not outbox.alive()
    outbox.put(note("second"))  # put() notices and starts a new worker
    drain(outbox)
    assert [m.text for _, m in channel.sent] == ["second"]


@pytest.mark.parametrize("closing_timeout", [0.0])
def test_closed_outbox_refuses_new_messages(closing_timeout):
    outbox, _, _ = make([])
    outbox.close(closing_timeout)
    assert outbox.put(note("late")) is False
