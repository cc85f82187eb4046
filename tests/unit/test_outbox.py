"""Outbox logic with a scripted channel and a fake clock: retries, pacing, order, history."""

import threading

import pytest

from octoprint_octorant import outbox as outbox_module
from octoprint_octorant.channels.base import Capabilities, Channel
from octoprint_octorant.clock import FakeClock
from octoprint_octorant.model import Attachment, DeliveryResult, Message, Notification, RateLimit
from octoprint_octorant.outbox import Delivery, MediaFuture, Outbox, RateGate, RetryPolicy
from octoprint_octorant.store import OutboxStore


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


def drain(outbox, real_seconds=10.0, close=True):
    """Wait (in real time, bounded) until the queue is empty, then stop the outbox."""
    import time

    deadline = time.monotonic() + real_seconds
    while outbox.pending() and time.monotonic() < deadline:
        with outbox._cond:
            outbox._cond.wait(0.05)
    assert outbox.pending() == 0, "outbox did not drain"
    if close:
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
    # History lists every attempt: three rate-limited ones, then the delivery.
    assert [h["status"] for h in outbox.status.history] == ["retry"] * 3 + ["ok", "ok"]
    assert outbox.status.history[3]["attempts"] == 4


def test_server_errors_back_off_exponentially_up_to_the_cap_and_never_give_up_early():
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    outbox, channel, _ = make([DeliveryResult.retry("HTTP 500", None, 500)] * 12, policy)
    outbox.put(note("x"))
    outbox.put(note("after"))
    drain(outbox)
    times = [t for t, m in channel.sent if m.text == "x"]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(times) == 13  # twelve 500s, then it went through
    assert gaps[0] >= 0.8 and gaps[1] >= 1.6 and gaps[2] >= 3.2
    assert max(gaps) <= 8.0  # capped: after an outage the message goes out within the cap
    assert [h["status"] for h in outbox.status.history][-2:] == ["ok", "ok"]


def test_a_message_older_than_the_maximum_age_is_given_up_with_the_reason():
    policy = RetryPolicy(base_delay=600.0, max_delay=3600.0, max_age=2 * 3600.0)
    outbox, channel, _ = make([DeliveryResult.retry("HTTP 503", None, 503)] * 100, policy)
    outbox.put(note("x"))
    drain(outbox)
    final = outbox.status.history[-1]
    assert final["status"] == "expired"
    assert "not sent within 2 h" in final["error"]
    assert outbox.status.failed == 1


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
    assert [h["status"] for h in outbox.status.history] == ["retry", "ok"]
    assert outbox.status.history[0]["http_status"] == 413


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
    # The message the dead worker held is not lost: it goes first.
    assert [m.text for _, m in channel.sent] == ["first", "second"]


@pytest.mark.parametrize("closing_timeout", [0.0])
def test_closed_outbox_refuses_new_messages(closing_timeout):
    outbox, _, _ = make([])
    outbox.close(closing_timeout)
    assert outbox.put(note("late")) is False


# -- durable queue, coalescing, bounds ------------------------------------------------------------

def progress(percent):
    return Delivery(Notification("print_progress", {"text": f"{percent} %"}))


def stalled(tmp_path, results=(), policy=None):
    """An outbox on disk whose worker is held on its first send until `release` is set."""
    clock = FakeClock()
    release = threading.Event()
    entered = threading.Event()
    channel = ScriptedChannel(list(results), clock)
    original = channel.send

    def held_send(message):
        entered.set()
        release.wait(10)
        return original(message)

    channel.send = held_send
    store = OutboxStore(str(tmp_path))
    outbox = Outbox("s", channel, render, clock, RateGate(clock), policy or RetryPolicy(), store=store)
    return outbox, channel, clock, store, release, entered


def test_newer_progress_replaces_waiting_progress_but_not_the_one_in_flight(tmp_path):
    outbox, channel, _, _, release, entered = stalled(tmp_path)
    outbox.put(progress(10))
    assert entered.wait(5)  # 10 % is in flight
    for percent in (20, 30, 40):
        outbox.put(progress(percent))
    outbox.put(note("done"))
    release.set()
    drain(outbox)
    assert [m.text for _, m in channel.sent] == ["10 %", "40 %", "done"]
    assert [h["status"] for h in outbox.status.history].count("superseded") == 2
    assert outbox.status.superseded == 2


def test_full_outbox_drops_the_oldest_non_terminal_and_never_a_terminal(tmp_path, monkeypatch):
    monkeypatch.setattr(outbox_module, "MAX_PENDING", 3)
    outbox, channel, _, _, release, entered = stalled(tmp_path)
    outbox.put(note("held"))
    assert entered.wait(5)
    outbox.put(note("failed-1", kind="print_failed"))
    outbox.put(Delivery(Notification("print_started", {"text": "started"})))
    outbox.put(note("done-1"))
    outbox.put(note("done-2"))  # over the bound: "started" (not terminal) makes room
    outbox.put(note("done-3"))  # only terminal ones left: kept anyway
    release.set()
    drain(outbox)
    assert [m.text for _, m in channel.sent] == ["held", "failed-1", "done-1", "done-2", "done-3"]
    dropped = [h for h in outbox.status.history if h["status"] == "dropped"]
    assert [h["event"] for h in dropped] == ["print_started"]
    assert "full" in dropped[0]["error"]


def test_queue_and_message_in_flight_survive_a_restart(tmp_path):
    outbox, channel, _, store, release, entered = stalled(tmp_path)
    outbox.put(note("in flight"))
    assert entered.wait(5)
    outbox.put(note("waiting"))
    # What is on disk now is what a kill -9 would leave: both messages.
    saved = store.load("s")
    assert [d["variables"]["text"] for d in saved["pending"]] == ["in flight", "waiting"]

    clock = FakeClock()
    fresh = ScriptedChannel([], clock)
    again = Outbox("s", fresh, render, clock, RateGate(clock), RetryPolicy(), store=OutboxStore(str(tmp_path)))
    again.ensure_worker()
    drain(again)
    # The message whose fate was unknown goes again (the one possible duplicate), then the rest.
    assert [m.text for _, m in fresh.sent] == ["in flight", "waiting"]
    assert OutboxStore(str(tmp_path)).load("s")["pending"] == []
    release.set()
    outbox.close(0)


def test_history_and_counts_survive_a_restart(tmp_path):
    clock = FakeClock()
    channel = ScriptedChannel([DeliveryResult.failure("Invalid Form Body (code 50035)", 400)], clock)
    outbox = Outbox("s", channel, render, clock, RateGate(clock), store=OutboxStore(str(tmp_path)))
    outbox.put(note("bad"))
    outbox.put(note("good"))
    drain(outbox)
    again = Outbox("s", ScriptedChannel([], clock), render, clock, RateGate(clock), store=OutboxStore(str(tmp_path)))
    assert [h["status"] for h in again.status.history] == ["failed", "ok"]
    assert (again.status.delivered, again.status.failed) == (1, 1)
    assert "SECRET" not in (tmp_path / "outbox-s.json").read_text()


def test_restored_messages_older_than_the_maximum_age_are_given_up(tmp_path):
    clock = FakeClock()
    store = OutboxStore(str(tmp_path))
    store.save("s", {"pending": [dict(note("old").to_json(), accepted=clock.time() - 3 * 3600),
                                 dict(note("recent").to_json(), accepted=clock.time() - 60)]})
    channel = ScriptedChannel([], clock)
    outbox = Outbox("s", channel, render, clock, RateGate(clock), RetryPolicy(max_age=2 * 3600.0), store=store)
    outbox.ensure_worker()
    drain(outbox)
    assert [m.text for _, m in channel.sent] == ["recent"]
    assert outbox.status.history[0]["status"] == "expired"


def test_a_damaged_outbox_file_is_set_aside_and_the_channel_works(tmp_path):
    (tmp_path / "outbox-s.json").write_text('{"version": 1, "pending": [{"kind": 5}, "x", {"kind": "print_done",'
                                            ' "variables": {"text": "kept"}}]')
    clock = FakeClock()
    channel = ScriptedChannel([], clock)
    outbox = Outbox("s", channel, render, clock, RateGate(clock), store=OutboxStore(str(tmp_path)))
    outbox.put(note("new"))
    drain(outbox)
    assert [m.text for _, m in channel.sent] == ["new"]
    assert (tmp_path / "outbox-s.json.broken").exists()


def test_unreadable_entries_are_skipped_and_good_ones_kept(tmp_path):
    store = OutboxStore(str(tmp_path))
    good = dict(note("kept").to_json(), accepted=FakeClock().time())
    store.save("s", {"pending": [{"kind": 5}, "x", {"kind": "print_done", "variables": [1]}, good]})
    clock = FakeClock()
    channel = ScriptedChannel([], clock)
    outbox = Outbox("s", channel, render, clock, RateGate(clock), store=store)
    outbox.ensure_worker()
    drain(outbox)
    assert [m.text for _, m in channel.sent] == ["kept"]


def test_a_removed_channel_leaves_no_file(tmp_path):
    clock = FakeClock()
    outbox = Outbox("s", ScriptedChannel([], clock), render, clock, RateGate(clock), store=OutboxStore(str(tmp_path)))
    outbox.put(note("x"))
    drain(outbox)
    assert (tmp_path / "outbox-s.json").exists()
    outbox.discard()
    assert not (tmp_path / "outbox-s.json").exists()


# -- rate-limit buckets ---------------------------------------------------------------------------

def test_channels_sharing_a_bucket_share_its_window():
    clock = FakeClock()
    gate = RateGate(clock)
    gate.learn("bucket:b", RateLimit(remaining=2, reset_after=5.0, bucket="b"))
    assert gate.acquire("bucket:b") == 0.0
    assert gate.acquire("bucket:b") == 0.0
    assert gate.acquire("bucket:b") == pytest.approx(5.0)  # the third must wait for the window
    assert gate.acquire("bucket:other") == 0.0
    clock.advance(5.0)
    assert gate.acquire("bucket:b") == 0.0  # one request probes the new window…
    assert 0 < gate.acquire("bucket:b") <= 0.5  # …the others look again soon
    gate.learn("bucket:b", RateLimit(remaining=4, reset_after=2.0, bucket="b"))
    assert gate.acquire("bucket:b") == 0.0  # the probe's answer opened the window


def test_a_global_429_holds_every_bucket():
    clock = FakeClock()
    gate = RateGate(clock)
    gate.block(RateGate.GLOBAL, 3.0)
    assert gate.acquire("bucket:a") == pytest.approx(3.0)
    assert gate.acquire("channel:x") == pytest.approx(3.0)
    clock.advance(3.0)
    assert gate.acquire("bucket:a") == 0.0


def test_two_outboxes_on_one_bucket_never_overrun_it():
    clock = FakeClock()
    gate = RateGate(clock)
    limited = DeliveryResult.success(200, RateLimit(remaining=0, reset_after=2.0, bucket="shared"))
    pairs = []
    for name in ("a", "b"):
        channel = ScriptedChannel([limited] * 4, clock)
        outbox = Outbox(name, channel, render, clock, gate)
        outbox.put(note("first"))  # a channel's first request can't know its bucket yet
        drain(outbox, close=False)
        pairs.append((outbox, channel))
    for outbox, _ in pairs:
        for i in range(3):
            outbox.put(note(f"{outbox.channel_id}{i}"))
    for outbox, _ in pairs:
        drain(outbox)
    times = sorted(t for _, channel in pairs for t, m in channel.sent if m.text != "first")
    assert len(times) == 6
    # Every answer says "0 left, refills in 2 s": no two requests within 2 s of each other.
    assert all(b - a >= 2.0 for a, b in zip(times, times[1:])), times


def test_a_probe_answered_by_another_bucket_or_an_error_does_not_hold_the_old_one():
    clock = FakeClock()
    gate = RateGate(clock)
    gate.learn("bucket:old", RateLimit(remaining=0, reset_after=1.0, bucket="old"))
    clock.advance(1.0)
    assert gate.acquire("bucket:old") == 0.0  # the probe goes
    assert gate.acquire("bucket:old") > 0  # others wait for its answer
    gate.learn("bucket:new", RateLimit(remaining=3, reset_after=2.0, bucket="new"), asked="bucket:old")
    assert gate.acquire("bucket:old") == 0.0
    clock.advance(1.0)
    gate.learn("bucket:x", RateLimit(remaining=0, reset_after=1.0, bucket="x"))
    clock.advance(1.0)
    assert gate.acquire("bucket:x") == 0.0
    gate.learn("bucket:x", None)  # the probe failed without an answer
    assert gate.acquire("bucket:x") == 0.0
