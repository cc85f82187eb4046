"""Apprise: one channel reaches any service Apprise knows (ntfy, Telegram, Slack, Pushover, e-mail,
Matrix, an Apprise API server for a whole farm …), one or more URLs per channel.

Apprise is imported only when an Apprise channel is validated or sends: it costs a noticeable
moment and tens of megabytes, which an OctoPrint with Discord channels only never pays.
Snapshots are handed to Apprise as files in a private temporary folder that is removed as soon
as the send is over: nothing is left behind.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import re
import tempfile
import threading
from typing import Any, Dict, Iterator, List, Mapping, Optional, Set, Tuple

from ..model import DeliveryResult, Message
from ..redact import redact
from .base import Capabilities, Channel, Field

BODY_FORMATS = ("text", "markdown")
_MARKDOWN = re.compile(r"([\\*_~`|\[\]])")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)


def split_urls(value: Any) -> List[str]:
    """Apprise URLs from the settings: one per line (commas and spaces separate too)."""
    if isinstance(value, (list, tuple)):
        value = "\n".join(str(v) for v in value)
    return [part for part in re.split(r"[\s,]+", str(value or "")) if part]


def _scheme(url: str) -> str:
    match = _SCHEME.match(url)
    return f"{match.group(1).lower()}://" if match else "(no scheme)"


class _CallLogs(logging.Handler):
    """Collects Apprise's log records per send, so each worker reads the reasons of its own
    sends. A context variable, not a thread-local: Apprise 2 sends on its own worker threads
    with a copy of the caller's context (apprise.LogCapture would mix channels sending at once)."""

    def __init__(self):
        super().__init__(level=logging.INFO)
        self._records: contextvars.ContextVar = contextvars.ContextVar("octorant_apprise_records", default=None)

    def start(self) -> None:
        self._records.set([])

    def stop(self) -> List[logging.LogRecord]:
        records = self._records.get() or []
        self._records.set(None)
        return records

    def emit(self, record: logging.LogRecord) -> None:
        records = self._records.get()
        if records is not None:
            records.append(record)


_logs = _CallLogs()
_logs_installed = threading.Lock()


def _apprise():
    import apprise  # deferred on purpose: see the module's docstring

    with _logs_installed:
        logger = logging.getLogger("apprise")
        if _logs not in logger.handlers:
            logger.addHandler(_logs)
            if logger.level == logging.NOTSET or logger.level > logging.INFO:
                logger.setLevel(logging.INFO)
    return apprise


class AppriseChannel(Channel):
    type_name = "apprise"
    label = "Apprise (ntfy, Telegram, Slack, Pushover, e-mail, Matrix …)"
    # Apprise cuts or splits text for each service itself; this is an upper bound for sanity.
    capabilities = Capabilities(
        max_text_length=32768,
        max_file_bytes=10 * 1024 * 1024,
        max_files=1,
        supports_files=True,
        supports_edits=False,
    )
    fields = (
        Field("urls", "Apprise URLs", "textarea", required=True, secret=True,
              help="One per line, e.g. ntfys://ntfy.sh/my-printer, tgram://bottoken/ChatID, "
                   "mailtos://user:password@example.com, apprises://apprise.example.com/KEY."),
        Field("body_format", "Message format", "choice", default="text", choices=BODY_FORMATS,
              help="text, or markdown for services that render it."),
    )

    def __init__(self, config: Mapping[str, Any], timeout: float = 10.0):
        super().__init__(config, timeout)
        self._urls = split_urls(self.config.get("urls"))
        # Which URLs already took a message that is being retried: a retry goes only to the
        # ones that failed, so the others don't get it twice.
        self._done: Dict[Tuple[int, float, str], Set[int]] = {}

    @classmethod
    def validate(cls, config: Mapping[str, Any]) -> List[str]:
        urls = split_urls(config.get("urls"))
        if not urls:
            return ["Add at least one Apprise URL (for example ntfys://ntfy.sh/your-topic)."]
        problems = []
        fmt = str(config.get("body_format") or "text")
        if fmt not in BODY_FORMATS:
            problems.append("The message format must be 'text' or 'markdown'.")
        apprise = _apprise()
        for number, url in enumerate(urls, 1):
            if apprise.Apprise.instantiate(url, suppress_exceptions=True) is None:
                # Name the URL by position and scheme only: the rest may hold a password or token.
                problems.append(f"Apprise URL {number} ({_scheme(url)}…) is not one Apprise understands.")
        return problems

    def escape_value(self, value: str) -> str:
        if self.config.get("body_format") == "markdown":
            return _MARKDOWN.sub(r"\\\1", value)
        return value

    def secrets(self) -> Tuple[str, ...]:
        return tuple(self._urls)

    def describe_url(self, number: int, url: str, plugin=None) -> str:
        """A URL named for people: its position and Apprise's own masked form (no secrets)."""
        masked = ""
        if plugin is not None:
            try:
                masked = plugin.url(privacy=True)
            except Exception:  # a plugin that cannot print itself: fall back to the scheme
                masked = ""
        # Apprise masks passwords and tokens in its privacy form; the query only adds noise.
        return f"URL {number} ({redact(masked.split('?')[0]) or _scheme(url) + '…'})"

    def send(self, message: Message) -> DeliveryResult:
        apprise = _apprise()
        key = (message.sequence, message.created, message.kind)
        if key not in self._done and len(self._done) >= 100:
            self._done.pop(next(iter(self._done)))  # a message given up long ago
        done = self._done.setdefault(key, set())
        body_format = apprise.NotifyFormat.MARKDOWN if self.config.get("body_format") == "markdown" \
            else apprise.NotifyFormat.TEXT
        failures = []
        with self._attachments(apprise, message) as attach:
            for number, url in enumerate(self._urls, 1):
                if number in done:
                    continue
                ok, reason, plugin = self._notify_one(apprise, url, message, body_format, attach)
                if ok:
                    done.add(number)
                else:
                    failures.append(f"{self.describe_url(number, url, plugin)}: {reason}")
        if not failures:
            self._done.pop(key, None)
            return DeliveryResult.success(200)
        error = redact("; ".join(failures), self.secrets())
        if not done:
            return DeliveryResult.retry(error)
        return DeliveryResult.retry(f"{len(done)} of {len(self._urls)} delivered; {error}")

    def test(self, message: Message) -> Tuple[DeliveryResult, List[dict]]:
        """Send to every URL and say, per URL, whether it worked and Apprise's reason if not."""
        apprise = _apprise()
        details = []
        with self._attachments(apprise, message) as attach:
            for number, url in enumerate(self._urls, 1):
                ok, reason, plugin = self._notify_one(apprise, url, message, apprise.NotifyFormat.TEXT, attach)
                details.append({"url": self.describe_url(number, url, plugin), "ok": ok,
                                "error": redact(reason, self.secrets())})
        failed = [f"{d['url']}: {d['error']}" for d in details if not d["ok"]]
        result = DeliveryResult.failure("; ".join(failed)) if failed else DeliveryResult.success(200)
        return result, details

    def _notify_one(self, apprise, url: str, message: Message, body_format, attach) -> Tuple[bool, str, Any]:
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if plugin is None:
            return False, "not a URL Apprise understands", None
        # Every request Apprise makes for us has a timeout.
        for attribute in ("socket_connect_timeout", "socket_read_timeout"):
            if hasattr(plugin, attribute):
                setattr(plugin, attribute, self.timeout)
        notifier = apprise.Apprise()
        notifier.add(plugin)
        _logs.start()
        try:
            ok = bool(notifier.notify(body=message.text, title=message.title, body_format=body_format,
                                      attach=attach))
        except Exception as error:  # Apprise should not raise; if it does, it is this URL's failure
            _logs.stop()
            return False, f"{type(error).__name__}: {error}", plugin
        records = _logs.stop()
        if ok:
            return True, "", plugin
        reasons = [r.getMessage() for r in records if r.levelno >= logging.WARNING]
        return False, (reasons[-1] if reasons else "Apprise reported a failure without a reason"), plugin

    @staticmethod
    @contextlib.contextmanager
    def _attachments(apprise, message: Message) -> Iterator[Optional[Any]]:
        """The message's files for Apprise, in a private folder removed as soon as Apprise is done.

        Not apprise's in-memory attachments: several services (form://, apprise:// API servers,
        Matrix, Pushbullet, Mastodon …) open `attachment.path` as a file and fail on them.
        """
        if not message.attachments:
            yield None
            return
        with tempfile.TemporaryDirectory(prefix="octorant-") as folder:
            attach = apprise.AppriseAttachment()
            for number, item in enumerate(message.attachments):
                if item.path:  # already a file (a timelapse): Apprise reads it from where it is
                    attach.add(item.path)
                    continue
                # One folder per file, so each keeps its own name as the receiver sees it.
                os.mkdir(os.path.join(folder, str(number)))
                path = os.path.join(folder, str(number), os.path.basename(item.filename) or "file")
                with open(path, "wb") as handle:
                    handle.write(item.data)
                attach.add(path)
            yield attach
