"""Fault injection on a real OctoPrint: a print runs, the webhook misbehaves, the fault is lifted.

Each test counts the notifications the outbox accepted against those the inbox received:
nothing is lost, a duplicate appears only where a request's fate was unknown (the message was
taken but the answer never came), the order holds, and the print itself is untouched.
"""

from __future__ import annotations

import pytest

from tools.gcode import timed_gcode

pytestmark = pytest.mark.e2e

LIFECYCLE = ["print_started", "print_done"]


def print_through(e2e, name: str, seconds: float = 6) -> None:
    e2e.start_print(name, timed_gcode(seconds=seconds))
    e2e.api.wait_state(lambda s: s == "Operational", seconds * 4 + 30, "print to finish")
    # The job is untouched by whatever the webhook did: it completed.
    job = e2e.api.ok_json("GET", "/api/job")
    assert job["job"]["file"]["name"] == name and job["progress"]["completion"] == 100


def check(account, duplicates_at_most: int = 0) -> None:
    assert account.lost == [], account.lost
    assert account.superseded_kinds <= {"print_progress"}, account.superseded_kinds
    assert 0 <= account.duplicates <= duplicates_at_most, account.duplicates
    order = [k for k in account.kinds_in_order() if k != "print_progress"]
    assert order == LIFECYCLE, account.kinds_in_order()
    generated = len(account.finals)
    delivered = account.outcomes["ok"] + account.outcomes["superseded"]
    assert generated == delivered, account.outcomes


def test_server_errors(e2e):
    since = e2e.last_sequence()
    e2e.inbox.fail_next(6, 500, {"message": "500: Internal Server Error", "code": 0})
    print_through(e2e, "errors.gcode")
    account = e2e.account(since)
    check(account)
    assert account.outcomes["ok"] >= 3  # started, at least one progress, done


@pytest.mark.parametrize("taken", [False, True], ids=["not-taken", "taken"])
def test_answers_that_never_come(e2e, taken):
    since = e2e.last_sequence()
    e2e.inbox.hang_next(2, seconds=5, accept=taken)  # past the 3 s request timeout
    print_through(e2e, f"hang_{taken}.gcode")
    account = e2e.account(since)
    check(account, duplicates_at_most=2 if taken else 0)
    retries = [h for h in e2e.status()["history"] if h["sequence"] > since and h["status"] == "retry"]
    assert len(retries) == 2 and all("did not answer within 3 s" in h["error"] for h in retries), retries


@pytest.mark.parametrize("taken", [False, True], ids=["not-taken", "taken"])
def test_connections_cut_mid_request(e2e, taken):
    since = e2e.last_sequence()
    e2e.inbox.drop_next(3, accept=taken)
    print_through(e2e, f"cut_{taken}.gcode")
    account = e2e.account(since)
    check(account, duplicates_at_most=3 if taken else 0)
    if taken:
        assert account.duplicates >= 1  # the inbox did take a message whose answer was cut


@pytest.mark.parametrize("is_global", [False, True], ids=["bucket", "global"])
def test_429_storm(e2e, is_global):
    since = e2e.last_sequence()
    e2e.inbox.rate_limit_next(12, retry_after=0.4, is_global=is_global)
    print_through(e2e, "storm.gcode")
    account = e2e.account(since)
    check(account)
    limited = [t for t, status, _ in e2e.inbox.attempts() if status == 429]
    # The storm's twelve, and at most a couple of the bucket's own: no retry storm.
    assert 12 <= len(limited) <= 14, len(limited)
    assert all(b - a >= 0.35 for a, b in zip(limited, limited[1:12])), limited


def test_webhook_host_unreachable(e2e):
    since = e2e.last_sequence()
    e2e.inbox.go_offline()  # the snapshot goes with it: messages say so, and still go
    try:
        print_through(e2e, "offline.gcode")
        assert e2e.inbox.received() == []
        assert any("Could not reach Discord" in h["error"] for h in e2e.status()["history"])
    finally:
        e2e.inbox.go_online()
    account = e2e.account(since)
    check(account)
    # After the outage: the current progress, not a backlog of stale ones.
    assert sum(k == "print_progress" for k in account.kinds_in_order()) <= 1
    assert "no snapshot" in account.delivered[0].shown


@pytest.mark.parametrize("mode", ["hang", "broken"])
def test_webcam_hanging_or_sending_garbage(e2e, mode):
    since = e2e.last_sequence()
    e2e.inbox.snapshot_mode = mode
    print_through(e2e, f"webcam_{mode}.gcode")
    account = e2e.account(since)
    check(account)
    started = account.delivered[0]
    assert started.files == () and "no snapshot" in started.shown
