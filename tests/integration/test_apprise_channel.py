"""The Apprise channel through Apprise's own code: json:// and form:// to a local HTTP server,
mailto:// to a local SMTP server. Nothing mocked."""

from __future__ import annotations

import base64
import email
import email.policy
import glob
import json
import os
import tempfile
import threading
import time

import pytest
from aiosmtpd.controller import Controller

from octoprint_octorant.channels.apprise import AppriseChannel
from octoprint_octorant.model import Attachment, Message
from tests.support.http_capture import CaptureServer
from tools.discord_inbox import make_snapshot
from tools.octoprint_server import free_port

SECRET = "s3cretPassw0rd"


def picture() -> Attachment:
    return Attachment("snapshot.jpg", "image/jpeg", make_snapshot((320, 240)))


def channel(*urls, **config) -> AppriseChannel:
    return AppriseChannel(dict({"id": "a", "type": "apprise", "name": "phone", "urls": "\n".join(urls)}, **config),
                          timeout=5)


class Mailbox:
    def __init__(self):
        self.messages = []
        self.cond = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        with self.cond:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            self.cond.notify_all()
        return "250 Message accepted for delivery"

    def wait(self, count=1, timeout=20.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                assert left > 0, "no e-mail arrived"
                self.cond.wait(left)
            return list(self.messages)


@pytest.fixture
def smtp():
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def test_json_carries_title_body_and_attachment_bytes():
    with CaptureServer() as server:
        result = channel(f"json://127.0.0.1:{server.port}/notify").send(
            Message("print_done", "✅ benchy.gcode is finished", title="Print done – Garage",
                    attachments=(picture(),)))
        body = json.loads(server.wait_for_count(1)[0].body)
    assert result.ok, result.error
    assert body["title"] == "Print done – Garage"
    assert body["message"] == "✅ benchy.gcode is finished"
    attached = body["attachments"][0]
    assert attached["filename"] == "snapshot.jpg" and attached["mimetype"] == "image/jpeg"
    assert base64.b64decode(attached["base64"]) == picture().data


def leftovers() -> set:
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "octorant-*")))


def test_form_carries_title_body_and_the_file():
    before = leftovers()
    with CaptureServer() as server:
        result = channel(f"form://127.0.0.1:{server.port}/hook").send(
            Message("print_started", "▶️ started", title="Print started", attachments=(picture(),)))
        request = server.wait_for_count(1)[0]
    assert result.ok, result.error
    parsed = email.message_from_bytes(
        b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + request.body,
        policy=email.policy.HTTP)
    parts = {p.get_param("name", header="content-disposition"): p for p in parsed.iter_parts()}
    assert parts["title"].get_payload(decode=True).decode("utf-8") == "Print started"
    assert parts["message"].get_payload(decode=True).decode("utf-8") == "▶️ started"
    files = [p for p in parsed.iter_parts() if p.get_filename()]
    assert files[0].get_filename() == "snapshot.jpg"
    assert files[0].get_payload(decode=True) == picture().data
    assert leftovers() == before  # the snapshot's temporary folder is gone


def test_email_arrives_with_the_image(smtp):
    mailbox, port = smtp
    result = channel(f"mailto://127.0.0.1:{port}?from=printer@example.com&to=maker@example.com").send(
        Message("print_failed", "❌ benchy.gcode failed", title="Print failed", attachments=(picture(),)))
    mail = mailbox.wait()[0]
    assert result.ok, result.error
    assert mail["Subject"] == "Print failed"
    assert mail["To"].addresses[0].addr_spec == "maker@example.com"
    text = mail.get_body(("plain", "html")).get_content()
    assert "benchy.gcode failed" in text
    images = [p for p in mail.iter_attachments() if p.get_content_type() == "image/jpeg"]
    assert images and images[0].get_payload(decode=True) == picture().data


def test_a_failing_url_is_named_without_its_secrets_and_retried_alone():
    with CaptureServer() as good, CaptureServer(status=500) as bad:
        target = channel(f"json://127.0.0.1:{good.port}/ok",
                         f"json://user:{SECRET}@127.0.0.1:{bad.port}/broken")
        message = Message("print_done", "done", sequence=7, created=1.0)
        first = target.send(message)
        bad.status = 200
        second = target.send(message)  # the outbox's retry of the same message
        assert len(good.wait_for_count(1)) == 1 and len(bad.wait_for_count(2)) == 2
    assert not first.ok and first.status == "retry"
    assert "URL 2" in first.error and "500" in first.error
    assert SECRET not in first.error
    assert second.ok
    assert len(good.requests) == 1  # the URL that worked was not sent the message twice


def test_validation_names_the_wrong_url_without_echoing_it():
    problems = AppriseChannel.validate({"urls": f"json://127.0.0.1/ok\nnotascheme://user:{SECRET}@host"})
    assert len(problems) == 1
    assert "Apprise URL 2" in problems[0] and "notascheme://" in problems[0]
    assert SECRET not in problems[0]
    assert AppriseChannel.validate({"urls": ""}) == ["Add at least one Apprise URL (for example "
                                                     "ntfys://ntfy.sh/your-topic)."]


def test_test_button_reports_each_url():
    with CaptureServer() as good:
        result, details = channel(f"json://127.0.0.1:{good.port}/ok", "json://127.0.0.1:9/refused").test(
            Message("test", "hello", title="OctoRant test"))
    assert not result.ok
    assert [d["ok"] for d in details] == [True, False]
    assert details[1]["url"].startswith("URL 2 (json://127.0.0.1:9")


def test_markdown_format_escapes_variables_only():
    markdown = channel("json://127.0.0.1/x", body_format="markdown")
    assert markdown.escape_value("my_part*v2.gcode") == "my\\_part\\*v2.gcode"
    assert channel("json://127.0.0.1/x").escape_value("my_part.gcode") == "my_part.gcode"
