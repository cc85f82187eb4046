"""Discord webhooks: text in `content`, snapshots as multipart files, mentions only where written.

Facts from Discord's documentation that shape this module: `content` holds at most 2000
characters; files go as `files[n]` parts beside a `payload_json` part; a file may be 10 MiB by
default; `?wait=true` makes Discord confirm the message; 429 answers carry `retry_after` in
seconds; 404 means the webhook was deleted; bot names may not contain "discord" or "clyde" nor
be "everyone" or "here".
"""

from __future__ import annotations

import re
from typing import Any, List, Mapping, Optional, Tuple

import requests

from .._version import __version__
from ..model import DeliveryResult, Message, RateLimit
from ..redact import redact
from .base import Capabilities, Channel, Field
from .multipart import MultipartBody, payload_with_files

USER_AGENT = f"DiscordBot (https://github.com/octorant/OctoPrint-OctoRant, {__version__})"

_DISCORD_URL = re.compile(
    r"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/(?:v\d+/)?webhooks/\d+/[\w-]+/?\Z"
)
# A Discord-compatible server on this machine (the project's local webhook inbox, a test server).
_LOCAL_URL = re.compile(
    r"https?://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?/api/(?:v\d+/)?webhooks/\d+/[\w-]+/?\Z"
)
_MARKDOWN = re.compile(r"([\\*_~`|\[\]])")
_LINE_START_MARKDOWN = re.compile(r"(?m)^([>#-])")
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def check_webhook_url(url: str) -> Optional[str]:
    """A problem with a webhook URL in plain words (never echoing the token), or None."""
    url = (url or "").strip()
    if not url:
        return "The webhook URL is empty. Copy it from Discord: channel settings → Integrations → Webhooks."
    if _DISCORD_URL.match(url) or _LOCAL_URL.match(url):
        return None
    if "discord" in url and "/webhooks/" in url:
        return ("That does not look like a whole Discord webhook URL: it should read "
                "https://discord.com/api/webhooks/<number>/<token>.")
    return "The webhook URL must be a Discord webhook URL (https://discord.com/api/webhooks/…)."


def check_username(username: str) -> Optional[str]:
    """Discord's rules for a webhook's bot name, so a bad name fails in settings, not as a 400."""
    name = (username or "").strip()
    if not name:
        return None
    if len(name) > 80:
        return "The bot name may be at most 80 characters long."
    lowered = name.lower()
    for word in ("discord", "clyde"):
        if word in lowered:
            return f'Discord does not allow "{word}" in a bot name.'
    if lowered in ("everyone", "here"):
        return f'Discord does not allow "{name}" as a bot name.'
    return None


def escape_value(value: str) -> str:
    """Variables (file names, error texts) render literally: no markdown, no pings."""
    value = _MARKDOWN.sub(r"\\\1", value)
    value = _LINE_START_MARKDOWN.sub(r"\\\1", value)
    # A zero-width space after "@" keeps "@everyone" readable but inert.
    return value.replace("@", "@\u200b")


def allowed_mentions(template: str) -> dict:
    """Mentions the user wrote in the template ping; nothing else can (allowed_mentions)."""
    template = template or ""
    parse = ["everyone"] if ("@everyone" in template or "@here" in template) else []
    return {
        "parse": parse,
        "users": sorted(set(_USER_MENTION.findall(template)))[:100],
        "roles": sorted(set(_ROLE_MENTION.findall(template)))[:100],
    }


def _seconds(value: Any) -> Optional[float]:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if result >= 0 else None


def rate_limit_of(response: requests.Response) -> RateLimit:
    headers = response.headers
    remaining = headers.get("X-RateLimit-Remaining")
    return RateLimit(
        remaining=int(remaining) if remaining and remaining.isdigit() else None,
        reset_after=_seconds(headers.get("X-RateLimit-Reset-After")),
        bucket=headers.get("X-RateLimit-Bucket"),
    )


def discord_error(response: requests.Response) -> str:
    """Discord's own error text: message, code and the first field errors."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return f"HTTP {response.status_code} {response.reason or ''}".strip()
    text = f"{body.get('message', 'error')} (code {body.get('code', response.status_code)})"
    details = []

    def walk(node, path):
        if isinstance(node, dict):
            for item in node.get("_errors", []) if isinstance(node.get("_errors"), list) else []:
                if isinstance(item, dict):
                    details.append(f"{path or 'body'}: {item.get('message', '')}")
            for key, child in node.items():
                if key != "_errors":
                    walk(child, f"{path}.{key}" if path else str(key))

    walk(body.get("errors"), "")
    if details:
        text += ": " + "; ".join(details[:3])
    return text


class DiscordChannel(Channel):
    type_name = "discord"
    label = "Discord webhook"
    capabilities = Capabilities(
        max_text_length=2000,
        max_file_bytes=10 * 1024 * 1024,
        max_files=10,
        supports_files=True,
        supports_edits=True,
    )
    fields = (
        Field("url", "Webhook URL", "url", required=True, secret=True,
              help="Discord: channel settings → Integrations → Webhooks → Copy Webhook URL."),
        Field("username", "Bot name", help="Optional. Overrides the webhook's name."),
        Field("avatar_url", "Avatar URL", "url", help="Optional. A picture for the bot."),
        Field("thread_id", "Thread ID", help="Optional. Post into this thread of the channel."),
    )

    def __init__(self, config: Mapping[str, Any], timeout: float = 10.0,
                 session: Optional[requests.Session] = None):
        super().__init__(config, timeout)
        self._session = session or requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT

    @classmethod
    def validate(cls, config: Mapping[str, Any]) -> List[str]:
        problems = []
        url_problem = check_webhook_url(str(config.get("url") or ""))
        if url_problem:
            problems.append(url_problem)
        name_problem = check_username(str(config.get("username") or ""))
        if name_problem:
            problems.append(name_problem)
        avatar = str(config.get("avatar_url") or "").strip()
        if avatar and not re.match(r"https?://\S+\Z", avatar):
            problems.append("The avatar URL must start with http:// or https://.")
        thread = str(config.get("thread_id") or "").strip()
        if thread and not thread.isdigit():
            problems.append("The thread ID is a number (right-click the thread → Copy Thread ID).")
        return problems

    def escape_value(self, value: str) -> str:
        return escape_value(value)

    @property
    def url(self) -> str:
        return str(self.config.get("url") or "").strip().rstrip("/")

    def _params(self) -> dict:
        params = {"wait": "true"}
        thread = str(self.config.get("thread_id") or "").strip()
        if thread:
            params["thread_id"] = thread
        return params

    def payload(self, message: Message) -> dict:
        body: dict = {"content": message.text, "allowed_mentions": allowed_mentions(message.template)}
        username = str(self.config.get("username") or "").strip()
        if username:
            body["username"] = username
        avatar = str(self.config.get("avatar_url") or "").strip()
        if avatar:
            body["avatar_url"] = avatar
        if message.attachments:
            body["attachments"] = [
                {"id": index, "filename": item.filename}
                for index, item in enumerate(message.attachments)
            ]
        return body

    def request_body(self, message: Message) -> Tuple[dict, Optional[MultipartBody]]:
        """Keyword arguments for requests.post: JSON alone, or a streamed multipart body with files."""
        body = self.payload(message)
        if not message.attachments:
            return {"json": body}, None
        stream = payload_with_files(body, message.attachments)
        return {"data": stream, "headers": {"Content-Type": stream.content_type}}, stream

    def send(self, message: Message) -> DeliveryResult:
        kwargs, stream = self.request_body(message)
        try:
            response = self._session.post(self.url, params=self._params(), timeout=self.timeout, **kwargs)
        except requests.Timeout:
            return DeliveryResult.retry(f"Discord did not answer within {self.timeout:g} s")
        except requests.RequestException as error:
            if stream is not None and stream.unreadable is not None:  # a timelapse deleted meanwhile
                return DeliveryResult.failure(f"A file to attach could not be read: {self._clean(stream.unreadable)}",
                                              files_left_out="the file could not be read")
            return DeliveryResult.retry(f"Could not reach Discord: {self._clean(error)}")
        finally:
            if stream is not None:
                stream.close()
        return self._result(response)

    def check(self) -> Optional[DeliveryResult]:
        """Ask Discord about the webhook (GET), to explain a deleted webhook or a wrong token."""
        try:
            response = self._session.get(self.url, timeout=self.timeout)
        except requests.RequestException as error:
            return DeliveryResult.retry(f"Could not reach Discord: {self._clean(error)}")
        if response.status_code == 200:
            return DeliveryResult.success(200)
        return self._result(response)

    def _clean(self, error: BaseException) -> str:
        return redact(f"{type(error).__name__}: {error}", self.secrets())

    def _result(self, response: requests.Response) -> DeliveryResult:
        status = response.status_code
        limit = rate_limit_of(response)
        if 200 <= status < 300:
            return DeliveryResult.success(status, limit)
        if status == 429:
            try:
                body = response.json()
            except ValueError:
                body = {}
            body = body if isinstance(body, dict) else {}
            wait = _seconds(body.get("retry_after"))
            if wait is None:
                wait = _seconds(response.headers.get("Retry-After")) or 1.0
            scope = "global " if body.get("global") else ""
            return DeliveryResult.retry(
                f"Discord {scope}rate limit: retrying in {wait:g} s", wait, status, limit,
                global_limit=bool(body.get("global")),
            )
        if status >= 500:
            return DeliveryResult.retry(f"Discord server error: {discord_error(response)}", None, status, limit)
        if status == 404:
            return DeliveryResult.failure(
                "Discord says this webhook no longer exists (it was deleted). "
                "Create a new webhook and paste its URL.", status, limit, gone=True)
        if status == 401:
            return DeliveryResult.failure(
                "Discord rejected the webhook token: the URL is incomplete or wrong. "
                "Copy the webhook URL again.", status, limit)
        return DeliveryResult.failure(redact(discord_error(response), self.secrets()), status, limit)
