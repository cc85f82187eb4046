"""The Discord channel and the outbox against the local Discord-compatible server, for real."""

from __future__ import annotations

import io
import json

import pytest
import requests
from PIL import Image

from octoprint_octorant.channels.discord import DiscordChannel
from octoprint_octorant.clock import Clock
from octoprint_octorant.model import Attachment, Message, Notification
from octoprint_octorant.outbox import Delivery, MediaFuture, Outbox, RateGate, RetryPolicy
from octoprint_octorant.templating import render
from tools.discord_inbox import make_snapshot
from tools.octoprint_server import wait_until

TOKEN = "integrationToken-77aa"


def channel_for(inbox, timeout=5, **config):
    return DiscordChannel(dict({"id": "d", "type": "discord", "url": inbox.webhook_url(token=TOKEN)}, **config),
                          timeout=timeout)


def jpeg(size=(320, 240)) -> Attachment:
    return Attachment("snapshot.jpg", "image/jpeg", make_snapshot(size))


# ~ the server is faithful to what Discord documents (later tests rely on it)

def test_server_refuses_what_discord_refuses(inbox):
    url = inbox.webhook_url()
    with requests.Session() as http:
        empty = http.post(url, json={"content": ""})
        long = http.post(url, json={"content": "x" * 2001})
        bad_name = http.post(url, json={"content": "x", "username": "Clyde"})
        bad_json = http.post(url, data=b"{nope", headers={"Content-Type": "application/json"})
        too_big = http.post(url, data={"payload_json": json.dumps({"content": "big"})},
                            files={"files[0]": ("big.bin", b"\0" * (10 * 1024 * 1024 + 1), "application/octet-stream")})
    assert (empty.status_code, empty.json()["code"]) == (400, 50006)
    assert (long.status_code, long.json()["code"]) == (400, 50035)
    assert "content" in long.json()["errors"]
    assert (bad_name.status_code, bad_name.json()["code"]) == (400, 50035)
    assert (bad_json.status_code, bad_json.json()["code"]) == (400, 50109)
    assert (too_big.status_code, too_big.json()["code"]) == (413, 40005)
    assert inbox.received() == []


def test_server_paces_like_a_discord_bucket(inbox):
    inbox.bucket_limit = 2
    with requests.Session() as http:
        answers = [http.post(inbox.webhook_url() + "?wait=true", json={"content": str(i)}) for i in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["X-RateLimit-Remaining"] == "1"
    assert answers[1].headers["X-RateLimit-Remaining"] == "0"
    body = answers[2].json()
    assert body["retry_after"] > 0 and body["global"] is False
    assert int(answers[2].headers["Retry-After"]) >= 1


# ~ the channel

def test_text_message_with_name_and_avatar(inbox):
    channel = channel_for(inbox, username="Garage", avatar_url="http://127.0.0.1/a.png", thread_id="555")
    result = channel.send(Message("print_done", "Done: part.gcode", template="Done: {name}"))
    received = inbox.wait_for_count(1)[0]

    assert result.ok and result.http_status == 200
    assert received.kind == "json" and received.content == "Done: part.gcode"
    assert received.username == "Garage" and received.avatar_url == "http://127.0.0.1/a.png"
    assert received.query == {"wait": "true", "thread_id": "555"}
    assert received.headers["user-agent"].startswith("DiscordBot (https://")
    assert received.allowed_mentions["parse"] == []


def test_empty_bot_name_is_left_out(inbox):
    channel_for(inbox, username="  ").send(Message("startup", "hello"))
    assert "username" not in inbox.wait_for_count(1)[0].payload


def test_snapshot_arrives_as_a_multipart_file_byte_for_byte(inbox):
    picture = jpeg()
    result = channel_for(inbox).send(Message("print_started", "Started", attachments=(picture,)))
    received = inbox.wait_for_count(1)[0]

    assert result.ok
    assert received.kind == "multipart" and received.content == "Started"
    assert len(received.files) == 1
    sent = received.files[0]
    assert (sent.field, sent.filename, sent.content_type) == ("files[0]", "snapshot.jpg", "image/jpeg")
    assert sent.data == picture.data
    assert Image.open(io.BytesIO(sent.data)).size == (320, 240)


def test_long_text_is_cut_and_accepted(inbox):
    text = "\n".join(f"line {n} " + "x" * 50 for n in range(100))
    channel = channel_for(inbox)
    result = channel.send(channel.fit(Message("print_done", text)))
    received = inbox.wait_for_count(1)[0]

    assert result.ok
    assert len(received.content) <= 2000 and received.content.endswith("…")
    assert received.content.split("\n")[-2].startswith("line ")  # cut at a line boundary


def test_mentions_in_variables_never_ping(inbox):
    channel = channel_for(inbox)
    template = "<@&42> {name} is done"
    rendered = render(template, {"name": "@everyone <@123> @here.gcode"}, escape=channel.escape_value)
    channel.send(Message("print_done", rendered.text, template=template))
    received = inbox.wait_for_count(1)[0]

    mentions = received.allowed_mentions
    assert mentions["parse"] == [] and mentions["users"] == [] and mentions["roles"] == ["42"]
    assert "@everyone" not in received.content and "@here" not in received.content
    assert received.shown.startswith("<@&42> ")


def test_check_explains_a_deleted_webhook_and_a_wrong_token(inbox):
    inbox.known_webhooks = {"1": "right-token"}
    deleted = channel_for(inbox).check()
    wrong = DiscordChannel({"url": inbox.webhook_url(webhook_id="1", token="wrong-token")}).check()
    fine = DiscordChannel({"url": inbox.webhook_url(webhook_id="1", token="right-token")}).check()

    assert (deleted.ok, deleted.http_status, deleted.gone) == (False, 404, True)
    assert "deleted" in deleted.error and TOKEN not in deleted.error
    assert (wrong.ok, wrong.http_status) == (False, 401)
    assert "token" in wrong.error and "wrong-token" not in wrong.error
    assert fine.ok


def test_discord_error_text_is_kept_for_the_user(inbox):
    result = channel_for(inbox).send(Message("print_done", ""))
    assert not result.ok and result.http_status == 400
    assert "Cannot send an empty message (code 50006)" in result.error


# ~ the outbox in front of the channel

def run_outbox(inbox, messages, policy=None, timeout=5, **config):
    channel = channel_for(inbox, timeout, **config)

    def renderer(notification, channel, capture):
        attachments = (capture,) if capture is not None else ()
        return Message(notification.kind, notification.variables["text"], attachments=attachments)

    clock = Clock()
    outbox = Outbox("d", channel, renderer, clock, RateGate(clock),
                    policy or RetryPolicy(base_delay=0.05, max_delay=0.2))
    for text, picture in messages:
        future = None
        if picture is not None:
            future = MediaFuture()
            future.set(picture)
        outbox.put(Delivery(Notification("print_done", {"text": text}), future))
    return outbox


def test_server_errors_are_retried_and_delivered_once(inbox):
    inbox.fail_next(2, 500, {"message": "Internal Server Error", "code": 0})
    outbox = run_outbox(inbox, [("after two 500s", None)])
    received = inbox.wait_for_count(1)
    assert outbox.close(10)
    assert [m.content for m in received] == ["after two 500s"]
    assert [a[1] for a in inbox.attempts()] == [500, 500, 200]


def test_a_burst_through_rate_limits_loses_nothing_and_keeps_order(inbox):
    inbox.bucket_limit = 5
    inbox.bucket_window = 1.0
    inbox.rate_limit_next(2, retry_after=0.3)
    texts = [f"message {n:02d}" for n in range(20)]
    outbox = run_outbox(inbox, [(t, None) for t in texts])
    received = inbox.wait_for_count(20, timeout=60)
    assert outbox.close(10)

    assert [m.content for m in received] == texts
    rejected = [a for a in inbox.attempts() if a[1] == 429]
    # The two injected 429s, and pacing by X-RateLimit-Remaining keeps the bucket's own few.
    assert 2 <= len(rejected) <= 6, len(rejected)


def test_too_large_is_sent_again_without_the_picture(inbox):
    inbox.fail_next(1, 413, {"message": "Request entity too large", "code": 40005})
    outbox = run_outbox(inbox, [("with a picture", jpeg())])
    received = inbox.wait_for_count(1)
    assert outbox.close(10)
    assert received[0].content.startswith("with a picture")
    assert received[0].files == ()


def test_a_movie_deleted_before_sending_leaves_the_text_going_without_it(inbox, tmp_path):
    movie = tmp_path / "lapse.mp4"
    movie.write_bytes(b"\0" * 4096)
    attachment = Attachment.from_file(str(movie), "lapse.mp4", "video/mp4")
    movie.unlink()  # OctoPrint's timelapse cleanup, or the user, removed it meanwhile
    outbox = run_outbox(inbox, [("timelapse ready", attachment)])
    received = inbox.wait_for_count(1)
    assert outbox.close(10)
    assert received[0].content == "timelapse ready\n(image left out: the file could not be read)"
    assert received[0].files == ()
    assert [h["status"] for h in outbox.status.history] == ["retry", "ok"]


def test_a_deleted_webhook_stops_the_channel(inbox):
    inbox.known_webhooks = {}
    outbox = run_outbox(inbox, [("first", None), ("second", None)])
    outbox.close(10)
    assert outbox.status.gone
    assert len(inbox.attempts()) == 1  # Discord bans addresses that keep sending to dead webhooks
    assert "deleted" in outbox.status.last_error


def test_token_is_not_in_history_or_errors(inbox):
    inbox.known_webhooks = {}
    outbox = run_outbox(inbox, [("x", None)])
    outbox.close(10)
    assert TOKEN not in repr(list(outbox.status.history)) + str(outbox.status.last_error)


# ~ faults: every message arrives; a duplicate only where the client could not know

def contents(inbox):
    return [m.content for m in inbox.received()]


def test_connection_cut_before_the_message_was_taken_gives_no_duplicate(inbox):
    inbox.drop_next(2)
    outbox = run_outbox(inbox, [("one", None), ("two", None)])
    inbox.wait_for_count(2)
    assert outbox.close(10)
    assert contents(inbox) == ["one", "two"]
    assert [a[1] for a in inbox.attempts()] == [0, 0, 200, 200]


def test_connection_cut_after_the_message_was_taken_is_the_one_duplicate(inbox):
    inbox.drop_next(1, accept=True)
    outbox = run_outbox(inbox, [("one", None), ("two", None)])
    inbox.wait_for_count(3)
    assert outbox.close(10)
    # The client never heard back, so it sent again: at least once, never lost.
    assert contents(inbox) == ["one", "one", "two"]


@pytest.mark.parametrize("accept, expected", [(False, ["one"]), (True, ["one", "one"])])
def test_an_answer_that_never_comes_is_retried_after_the_timeout(inbox, accept, expected):
    inbox.hang_next(1, seconds=3, accept=accept)
    outbox = run_outbox(inbox, [("one", None)], timeout=0.5)
    inbox.wait_for_count(len(expected))
    assert outbox.close(10)
    assert contents(inbox) == expected
    assert "did not answer within 0.5 s" in outbox.status.history[0]["error"]


def test_an_unreachable_host_is_retried_until_it_is_back(inbox):
    inbox.go_offline()
    outbox = run_outbox(inbox, [("one", None), ("two", None)])
    wait_until(lambda: sum(h["status"] == "retry" for h in outbox.status.history) >= 3, 10, 0.05, "retries")
    assert contents(inbox) == []
    inbox.go_online()
    inbox.wait_for_count(2)
    assert outbox.close(10)
    assert contents(inbox) == ["one", "two"]
    assert "Could not reach Discord" in outbox.status.history[0]["error"]


def test_a_global_429_storm_holds_every_webhook_without_a_retry_storm(inbox):
    """Two webhooks, one gate: a global 429 pauses both, and each waits as told."""
    inbox.rate_limit_next(6, retry_after=0.3, is_global=True)
    clock = Clock()
    gate = RateGate(clock)
    outboxes = []
    for webhook_id in ("111", "222"):
        channel = DiscordChannel({"id": webhook_id, "type": "discord",
                                  "url": inbox.webhook_url(webhook_id, TOKEN)}, timeout=5)
        outbox = Outbox(webhook_id, channel, lambda n, c, m: Message(n.kind, n.variables["text"]), clock, gate,
                        RetryPolicy(base_delay=0.05, max_delay=0.2))
        outboxes.append(outbox)
    for i in range(3):
        for outbox in outboxes:
            outbox.put(Delivery(Notification("print_done", {"text": f"{outbox.channel_id}-{i}"})))
    inbox.wait_for_count(6, timeout=30)
    for outbox in outboxes:
        assert outbox.close(10)
    for webhook_id in ("111", "222"):
        assert [m.content for m in inbox.received(webhook_id)] == [f"{webhook_id}-{i}" for i in range(3)]
    limited = [t for t, status, _ in inbox.attempts() if status == 429]
    assert len(limited) == 6  # the storm's own answers, and no more: nobody retried early
    # Both webhooks' first requests went out together, before anyone knew; after that, while a
    # global limit is on nobody asks: the following 429s are at least retry_after apart.
    later = limited[1:]
    assert all(b - a >= 0.25 for a, b in zip(later, later[1:])), limited
