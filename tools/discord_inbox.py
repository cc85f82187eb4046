"""A local stand-in for Discord's webhook API, and a web page showing what it received.

Faithful to Discord's documented webhook behaviour where OctoRant depends on it: JSON and
multipart (`payload_json` + `files[n]`) bodies, `?wait=true` (200 with a message object, else
204), the error bodies for an empty message (50006), an invalid form body (50035), invalid
JSON (50109), a file too large (413 / 40005), a deleted webhook (404 / 10015) and a wrong token
(401 / 50027), rate-limit headers on every answer and 429 answers with `retry_after` in seconds.
It also serves a test webcam snapshot: a grey 640×480 JPEG with a red square in the top-left
corner, so flips and rotation show where the square ends up.

    python tools/discord_inbox.py --port 8765

Used by `make run`, the integration and the end-to-end tests. Stdlib and Pillow only.
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import html
import io
import itertools
import json
import math
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

MAX_CONTENT = 2000
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_USERNAME = 80
_WEBHOOK_PATH = re.compile(r"^/api/(?:v\d+/)?webhooks/(\d+)/([\w-]+)/?$")
_snowflakes = itertools.count(1_200_000_000_000_000_000)
_MENTION = re.compile(r"@(everyone|here)\b|<@!?(\d+)>|<@&(\d+)>")


@dataclass(frozen=True)
class Fault:
    """What the inbox does with one upcoming request instead of answering it normally.

    action "answer": answer `status`/`body`/`headers`; "drop": close the connection without an
    answer; "hang": wait `seconds`, then drop. With `accept`, the message is taken first (it
    shows in `received()`), so the client cannot know it arrived: the unknown-fate case.
    """

    action: str = "answer"
    status: int = 0
    body: Optional[dict] = None
    headers: Dict[str, str] = field(default_factory=dict)
    accept: bool = False
    seconds: float = 0.0


@dataclass(frozen=True)
class ReceivedFile:
    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Received:
    seq: int
    time: float
    webhook_id: str
    token: str
    query: Dict[str, str]
    kind: str  # "json" or "multipart"
    payload: dict
    files: Tuple[ReceivedFile, ...] = ()
    headers: Dict[str, str] = field(default_factory=dict)

    @property
    def content(self) -> str:
        return self.payload.get("content") or ""

    @property
    def shown(self) -> str:
        """The text as Discord shows it: markdown escapes resolved, zero-width spaces gone."""
        return re.sub(r"\\([\\*_~`|\[\]>#-])", r"\1", self.content).replace("\u200b", "")

    @property
    def username(self) -> Optional[str]:
        return self.payload.get("username")

    @property
    def avatar_url(self) -> Optional[str]:
        return self.payload.get("avatar_url")

    @property
    def allowed_mentions(self) -> Optional[dict]:
        return self.payload.get("allowed_mentions")

    @property
    def thread_id(self) -> Optional[str]:
        return self.query.get("thread_id")

    def pings(self) -> List[str]:
        """Who this message notifies, by Discord's rules: a mention in the content counts only
        if `allowed_mentions` allows it (absent: everything is allowed)."""
        allowed = self.allowed_mentions
        parse = set(allowed.get("parse") or []) if allowed is not None else {"everyone", "users", "roles"}
        users = set(allowed.get("users") or []) if allowed is not None else set()
        roles = set(allowed.get("roles") or []) if allowed is not None else set()
        found = []
        for match in _MENTION.finditer(self.content):
            everyone, user, role = match.groups()
            if everyone and "everyone" in parse:
                found.append("@" + everyone)
            elif user and ("users" in parse or user in users):
                found.append(f"user {user}")
            elif role and ("roles" in parse or role in roles):
                found.append(f"role {role}")
        return found

    def summary(self) -> str:
        files = ", ".join(f"{f.filename} ({f.content_type}, {len(f.data)} B)" for f in self.files)
        return f"#{self.seq} [{self.webhook_id}] {self.content[:200]!r}" + (f" files: {files}" if files else "")


def make_snapshot(size: Tuple[int, int] = (640, 480), colour=(255, 0, 0)) -> bytes:
    """Grey JPEG with a pure red (or `colour`) 80×80 square in the top-left corner."""
    from PIL import Image

    image = Image.new("RGB", size, (128, 128, 128))
    image.paste(colour, (0, 0, 80, 80))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _form_error(field_name: str, code: str, message: str) -> dict:
    return {"message": "Invalid Form Body", "code": 50035,
            "errors": {field_name: {"_errors": [{"code": code, "message": message}]}}}


def validate_payload(payload: dict, files: List[ReceivedFile]) -> Optional[Tuple[int, dict]]:
    """Discord's answer to a message it would refuse, or None."""
    if not isinstance(payload, dict):
        return 400, {"message": "Invalid Form Body", "code": 50035, "errors": {}}
    content = payload.get("content") or ""
    if not isinstance(content, str):
        return 400, _form_error("content", "STRING_TYPE_CONVERT", "Must be a string.")
    if len(content) > MAX_CONTENT:
        return 400, _form_error("content", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT} or fewer in length.")
    username = payload.get("username")
    if username is not None:
        lowered = str(username).lower()
        if not 1 <= len(str(username)) <= MAX_USERNAME:
            return 400, _form_error("username", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 80 in length.")
        if "discord" in lowered or "clyde" in lowered or lowered in ("everyone", "here"):
            return 400, _form_error("username", "USERNAME_INVALID_CONTAINS",
                                    "Username cannot contain \"discord\", \"clyde\", \"everyone\" or \"here\".")
    if any(len(f.data) > MAX_FILE_BYTES for f in files):
        return 413, {"message": "Request entity too large", "code": 40005}
    if not content.strip() and not payload.get("embeds") and not files:
        return 400, {"message": "Cannot send an empty message", "code": 50006}
    return None


def parse_multipart(content_type: str, body: bytes) -> Tuple[Optional[dict], List[ReceivedFile]]:
    """payload_json and files[n] from a multipart/form-data body, bytes kept exactly."""
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    payload, files = None, []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        if name == "payload_json":
            payload = json.loads(data.decode("utf-8"))
        elif part.get_filename() is not None:
            files.append(ReceivedFile(name or "", part.get_filename(), part.get_content_type(), data))
    return payload, files


class DiscordInbox:
    """The server. Start with `start()` or `with DiscordInbox() as inbox:`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._cond = threading.Condition()
        self._received: List[Received] = []
        self._attempts: List[Tuple[float, int, str]] = []
        self._faults: List[Fault] = []
        self._connections: set = set()
        self.offline = False
        self._windows: Dict[str, List[float]] = {}
        self._stopping = threading.Event()
        self.snapshot = make_snapshot()
        self.reset()
        self._server = self._listen(host, port)
        self._address = self._server.server_address
        self._thread: Optional[threading.Thread] = None
        self.base_url = f"http://{host}:{self._server.server_address[1]}"
        self.snapshot_url = self.base_url + "/snapshot.jpg"
        # A second camera (blue marker), for multi-webcam setups.
        self.second_snapshot = make_snapshot(colour=(0, 0, 255))
        self.second_snapshot_url = self.base_url + "/snapshot-blue.jpg"

    # -- lifecycle -----------------------------------------------------------------------------

    def _listen(self, host: str, port: int) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer((host, port), _handler_for(self))
        server.daemon_threads = True
        return server

    def go_offline(self) -> None:
        """The host becomes unreachable: nothing listens on the port, open connections are cut."""
        with self._cond:
            self.offline = True
            connections = list(self._connections)
        self._server.shutdown()
        self._server.server_close()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def go_online(self) -> None:
        """Listen again on the same address (what a client saw before works again)."""
        self._server = self._listen(*self._address)
        with self._cond:
            self.offline = False
        self.start()

    def start(self) -> DiscordInbox:
        self._thread = threading.Thread(target=self._server.serve_forever, name="discord-inbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> DiscordInbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def webhook_url(self, webhook_id: str = "112233445566778899", token: str = "inbox-token-secret") -> str:
        return f"{self.base_url}/api/webhooks/{webhook_id}/{token}"

    # -- what arrived --------------------------------------------------------------------------

    def received(self, webhook_id: Optional[str] = None) -> List[Received]:
        with self._cond:
            return [m for m in self._received if webhook_id is None or m.webhook_id == webhook_id]

    def attempts(self) -> List[Tuple[float, int, str]]:
        """Every POST that reached the server: (time, HTTP status answered, webhook id)."""
        with self._cond:
            return list(self._attempts)

    def wait_for(self, predicate: Callable[[List[Received]], bool], timeout: float = 30.0,
                 webhook_id: Optional[str] = None) -> List[Received]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                messages = [m for m in self._received if webhook_id is None or m.webhook_id == webhook_id]
                if predicate(messages):
                    return messages
                left = deadline - time.monotonic()
                if left <= 0:
                    listing = "\n".join(m.summary() for m in self._received) or "(nothing)"
                    raise AssertionError(f"inbox: condition not met within {timeout} s; received:\n{listing}")
                self._cond.wait(left)

    def wait_for_count(self, n: int, timeout: float = 30.0, webhook_id: Optional[str] = None) -> List[Received]:
        return self.wait_for(lambda messages: len(messages) >= n, timeout, webhook_id)

    def reset(self) -> None:
        """Forget what arrived and lift every fault."""
        with self._cond:
            self._received = []
            self._attempts = []
            self._faults = []
            self._windows = {}
            self.delay = 0.0
            self.bucket_limit = 5
            self.bucket_window = 2.0
            self.known_webhooks: Optional[Dict[str, str]] = None
            self.snapshot_mode = "ok"
            self.snapshot_delay = 0.0
            self.snapshot_requests = 0

    # -- faults --------------------------------------------------------------------------------

    def fail_next(self, count: int, status: int, body: Optional[dict] = None,
                  headers: Optional[Dict[str, str]] = None) -> None:
        self.inject(count, Fault("answer", status, body, dict(headers or {})))

    def drop_next(self, count: int, accept: bool = False) -> None:
        """Cut the next `count` connections mid-request (after taking the message if `accept`)."""
        self.inject(count, Fault("drop", accept=accept))

    def hang_next(self, count: int, seconds: float, accept: bool = False) -> None:
        """Leave the next `count` requests unanswered for `seconds`, then cut them."""
        self.inject(count, Fault("hang", accept=accept, seconds=seconds))

    def inject(self, count: int, fault: Fault) -> None:
        with self._cond:
            self._faults.extend([fault] * count)

    def faults_left(self) -> int:
        with self._cond:
            return len(self._faults)

    def rate_limit_next(self, count: int, retry_after: float = 0.5, is_global: bool = False) -> None:
        body, headers = self._rate_limited(retry_after, is_global, "fault")
        self.fail_next(count, 429, body, headers)

    @staticmethod
    def _rate_limited(retry_after: float, is_global: bool, bucket: str) -> Tuple[dict, Dict[str, str]]:
        body = {"message": "You are being rate limited.", "retry_after": round(retry_after, 3), "global": is_global}
        headers = {
            "Retry-After": str(math.ceil(retry_after)),
            "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": bucket,
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        return body, headers

    # -- request handling (called on the server's threads) -------------------------------------

    def _bucket_answer(self, webhook_id: str) -> Tuple[Optional[Tuple[dict, Dict[str, str]]], Dict[str, str]]:
        """Discord's per-webhook bucket: (429 answer or None, headers for a success)."""
        now = time.monotonic()
        bucket = f"webhook-{webhook_id}"
        if self.bucket_limit <= 0:
            return None, {}
        window = [t for t in self._windows.get(bucket, []) if now - t < self.bucket_window]
        if len(window) >= self.bucket_limit:
            self._windows[bucket] = window
            retry_after = max(0.001, self.bucket_window - (now - window[0]))
            return self._rate_limited(retry_after, False, bucket), {}
        window.append(now)
        self._windows[bucket] = window
        reset_after = self.bucket_window - (now - window[0])
        return None, {
            "X-RateLimit-Limit": str(self.bucket_limit),
            "X-RateLimit-Remaining": str(self.bucket_limit - len(window)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }

    def _webhook_problem(self, webhook_id: str, token: str) -> Optional[Tuple[int, dict]]:
        known = self.known_webhooks
        if known is None:
            return None
        if webhook_id not in known:
            return 404, {"message": "Unknown Webhook", "code": 10015}
        if known[webhook_id] != token:
            return 401, {"message": "Invalid Webhook Token", "code": 50027}
        return None

    def handle_post(self, path: str, headers: Dict[str, str],
                    body: bytes) -> Tuple[Optional[int], Optional[dict], Dict]:
        split = urlsplit(path)
        match = _WEBHOOK_PATH.match(split.path)
        if not match:
            return 404, {"message": "404: Not Found", "code": 0}, {}
        webhook_id, token = match.groups()
        query = dict(parse_qsl(split.query))
        if self.delay:
            self._stopping.wait(self.delay)
        with self._cond:
            fault = None if self._webhook_problem(webhook_id, token) or not self._faults else self._faults.pop(0)
            if fault is not None and fault.action == "answer":
                answer = (fault.status, fault.body, fault.headers)
            elif fault is not None and not fault.accept:
                answer = (None, None, {})
            else:
                answer = self._answer(webhook_id, token, query, headers, body)
            # Status 0 in attempts: the client got no answer.
            self._attempts.append((time.monotonic(), 0 if fault and fault.action != "answer" else answer[0],
                                   webhook_id))
            self._cond.notify_all()
        if fault is not None and fault.action == "hang":
            self._stopping.wait(fault.seconds)
        if fault is not None and fault.action != "answer":
            return None, None, {}  # the handler closes the connection without a word
        return answer

    def _answer(self, webhook_id, token, query, headers, body) -> Tuple[int, Optional[dict], Dict]:
        problem = self._webhook_problem(webhook_id, token)
        if problem:
            return problem[0], problem[1], {}
        content_type = headers.get("content-type", "")
        try:
            if content_type.startswith("multipart/form-data"):
                kind = "multipart"
                payload, files = parse_multipart(content_type, body)
                if payload is None:
                    payload = {}
            else:
                kind, files = "json", []
                payload = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return 400, {"message": "The request body contains invalid JSON.", "code": 50109}, {}
        refused = validate_payload(payload, files)
        if refused:
            return refused[0], refused[1], {}
        limited, rate_headers = self._bucket_answer(webhook_id)
        if limited:
            return 429, limited[0], limited[1]
        message = Received(
            seq=len(self._received) + 1, time=time.monotonic(), webhook_id=webhook_id, token=token,
            query=query, kind=kind, payload=payload, files=tuple(files), headers=dict(headers),
        )
        self._received.append(message)
        if query.get("wait", "").lower() != "true":
            return 204, None, rate_headers
        return 200, {
            "id": str(next(_snowflakes)), "type": 0, "channel_id": query.get("thread_id", "1100000000000000000"),
            "content": message.content, "webhook_id": webhook_id,
            "attachments": [{"id": str(next(_snowflakes)), "filename": f.filename, "size": len(f.data),
                             "content_type": f.content_type} for f in files],
        }, rate_headers

    def handle_get_webhook(self, path: str) -> Tuple[int, dict]:
        match = _WEBHOOK_PATH.match(urlsplit(path).path)
        if not match:
            return 404, {"message": "404: Not Found", "code": 0}
        webhook_id, token = match.groups()
        problem = self._webhook_problem(webhook_id, token)
        if problem:
            return problem
        return 200, {"id": webhook_id, "type": 1, "name": "Inbox", "channel_id": "1100000000000000000",
                     "guild_id": "1000000000000000000", "token": token, "avatar": None}

    # -- the web page --------------------------------------------------------------------------

    def page(self) -> str:
        rows = []
        for message in reversed(self.received()):
            images = "".join(
                f'<img src="/files/{message.seq}/{n}" alt="{html.escape(f.filename)}">'
                for n, f in enumerate(message.files) if f.content_type.startswith("image/")
            )
            rows.append(
                f"<div class=msg><div class=meta>#{message.seq} · {time.strftime('%H:%M:%S')} · webhook "
                f"{html.escape(message.webhook_id)} · {html.escape(message.username or '(default name)')}</div>"
                f"<div class=text>{html.escape(message.content)}</div>{images}</div>"
            )
        body = "".join(rows) or "<p>Nothing yet. Start a print in OctoPrint.</p>"
        return (
            "<!doctype html><html><head><meta charset=utf-8><meta http-equiv=refresh content=3>"
            "<title>OctoRant inbox</title><style>body{font-family:sans-serif;background:#313338;color:#dbdee1;"
            "max-width:60em;margin:auto}.msg{border-bottom:1px solid #444;padding:.6em}.meta{color:#949ba4;"
            "font-size:.8em}.text{white-space:pre-wrap;margin:.3em 0}img{max-width:30em;display:block}</style>"
            f"</head><body><h1>OctoRant inbox</h1><p>Webhook: {html.escape(self.webhook_url())}</p>{body}"
            "</body></html>"
        )

    def listing(self) -> list:
        return [
            {"seq": m.seq, "webhook_id": m.webhook_id, "kind": m.kind, "content": m.content,
             "username": m.username, "thread_id": m.thread_id,
             "files": [{"filename": f.filename, "content_type": f.content_type, "size": len(f.data)} for f in m.files]}
            for m in self.received()
        ]

    def file(self, seq: int, index: int) -> Optional[ReceivedFile]:
        for message in self.received():
            if message.seq == seq and 0 <= index < len(message.files):
                return message.files[index]
        return None


def _handler_for(inbox: DiscordInbox):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            with inbox._cond:
                inbox._connections.add(self.connection)
            # Headers and body go out as separate writes; without this, Nagle's algorithm and
            # the client's delayed ACK add 40 ms to every answer, which Discord does not.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def finish(self) -> None:
            with inbox._cond:
                inbox._connections.discard(self.connection)
            try:
                super().finish()
            except OSError:
                pass  # the client had gone (it timed out); nothing to tell it

        def log_message(self, *args) -> None:  # quiet, and never a token in a log
            pass

        def _send(self, status: int, body: Optional[bytes] = None, content_type: str = "application/json",
                  headers: Optional[Dict[str, str]] = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if body is None:
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data: Optional[dict], headers: Optional[Dict[str, str]] = None) -> None:
            self._send(status, None if data is None else json.dumps(data).encode("utf-8"), headers=headers)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, data, extra = inbox.handle_post(self.path, headers, body)
            if status is None or inbox.offline:
                self.close_connection = True
                return
            try:
                self._json(status, data, extra)
            except OSError:
                self.close_connection = True  # the client gave up waiting

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/snapshot.jpg":
                return self._snapshot()
            if path == "/snapshot-blue.jpg":
                return self._send(200, inbox.second_snapshot, "image/jpeg")
            if path in ("/", "/index.html"):
                return self._send(200, inbox.page().encode("utf-8"), "text/html; charset=utf-8")
            if path == "/inbox.json":
                return self._send(200, json.dumps(inbox.listing()).encode("utf-8"))
            match = re.match(r"^/files/(\d+)/(\d+)$", path)
            if match:
                found = inbox.file(int(match.group(1)), int(match.group(2)))
                if found is None:
                    return self._json(404, {"message": "Unknown attachment"})
                return self._send(200, found.data, found.content_type)
            status, data = inbox.handle_get_webhook(self.path)
            return self._json(status, data)

        def _snapshot(self) -> None:
            with inbox._cond:
                inbox.snapshot_requests += 1
            mode = inbox.snapshot_mode
            if mode == "hang":
                inbox._stopping.wait(300)
                self.close_connection = True
                return None
            if mode == "slow":
                inbox._stopping.wait(inbox.snapshot_delay)
            if mode == "error":
                return self._send(500, b"camera exploded", "text/plain")
            if mode == "missing":
                return self._send(404, b"no such camera", "text/plain")
            if mode == "broken":
                return self._send(200, b"\xff\xd8 this is not really a jpeg", "image/jpeg")
            return self._send(200, inbox.snapshot, "image/jpeg")

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="A local Discord webhook inbox with a test webcam.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    with DiscordInbox(args.host, args.port) as inbox:
        print(f"Inbox:    {inbox.base_url}\nWebhook:  {inbox.webhook_url()}\nSnapshot: {inbox.snapshot_url}",
              flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
