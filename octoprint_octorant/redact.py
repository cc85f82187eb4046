"""One place that removes secrets from anything headed for a log, an error text or a history entry."""

from __future__ import annotations

import re

# Discord webhook: https://discord.com/api/webhooks/<id>/<token>
_WEBHOOK = re.compile(r"(/api/(?:v\d+/)?webhooks/\d+/)[^/?#\s'\"]+", re.IGNORECASE)
# user:password@host in any URL (Apprise URLs carry credentials this way).
_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s'\"]+@", re.IGNORECASE)
# Whatever follows the scheme of an Apprise-style URL may be a token: keep only the scheme and host.
_QUERY_SECRET = re.compile(
    r"([?&](?:token|key|apikey|api_key|password|pass|secret|access_token)=)[^&#\s'\"]+",
    re.IGNORECASE,
)


def redact(text: object, secrets: tuple = ()) -> str:
    """Return `text` as a string with webhook tokens, credentials and the given secrets masked."""
    result = str(text)
    for secret in secrets:
        if secret and len(str(secret)) >= 4:
            result = result.replace(str(secret), "***")
    result = _WEBHOOK.sub(r"\1***", result)
    result = _USERINFO.sub(r"\g<scheme>***@", result)
    result = _QUERY_SECRET.sub(r"\1***", result)
    return result
