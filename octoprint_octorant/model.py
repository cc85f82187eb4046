"""Small immutable values that cross layers: notifications, rendered messages, attachments, results."""

from __future__ import annotations

import io
import itertools
import os
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, BinaryIO, Mapping, Optional, Tuple

MEDIA_NONE = "none"
MEDIA_SNAPSHOT = "snapshot"  # the webcam(s), at the moment of the event
MEDIA_THUMBNAIL = "thumbnail"  # the slicer's preview in the G-code file, else the snapshot
MEDIA_BOTH = "both"  # thumbnail and snapshot
MEDIA_TIMELAPSE = "timelapse"  # the rendered movie (timelapse events only)
MEDIA_CHOICES = (MEDIA_NONE, MEDIA_SNAPSHOT, MEDIA_THUMBNAIL, MEDIA_BOTH, MEDIA_TIMELAPSE)

_sequence = itertools.count(1)


def next_sequence() -> int:
    """Process-wide increasing number, so notifications keep their order in logs and history."""
    return next(_sequence)


@dataclass(frozen=True)
class Attachment:
    """A file to send: bytes in memory, or a file on disk (`path`) that channels stream."""

    filename: str
    content_type: str
    data: bytes = field(default=b"", repr=False)
    path: Optional[str] = None
    file_size: int = 0  # of `path`, taken when the attachment was made

    @classmethod
    def from_file(cls, path: str, filename: str, content_type: str) -> Attachment:
        return cls(filename, content_type, b"", path, os.path.getsize(path))

    @property
    def size(self) -> int:
        return self.file_size if self.path else len(self.data)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    def open(self) -> BinaryIO:
        return open(self.path, "rb") if self.path else io.BytesIO(self.data)


@dataclass(frozen=True)
class Notification:
    """What the router decided to announce: one event kind with its variables and the media it wants."""

    kind: str
    variables: Mapping[str, Any]
    media: str = MEDIA_NONE
    created: float = 0.0
    sequence: int = field(default_factory=next_sequence)

    def __post_init__(self):
        # A read-only view: channels and templates share it across threads.
        object.__setattr__(self, "variables", MappingProxyType(dict(self.variables)))


@dataclass(frozen=True)
class Message:
    """A notification rendered for one channel: the text, optional title and files to send."""

    kind: str
    text: str
    title: str = ""
    attachments: Tuple[Attachment, ...] = ()
    sequence: int = 0
    created: float = 0.0
    # Text that comes from variables (file names...) must never ping anyone; the channel
    # may use this to decide what mentions are allowed. Mentions written by the user are kept.
    template: str = ""


@dataclass(frozen=True)
class RateLimit:
    """What a service said about its rate limit in its last answer."""

    remaining: Optional[int] = None
    reset_after: Optional[float] = None
    bucket: Optional[str] = None


STATUS_OK = "ok"
STATUS_RETRY = "retry"
STATUS_FAILED = "failed"


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one delivery attempt, in words a user can read (never containing secrets)."""

    status: str
    error: str = ""
    http_status: Optional[int] = None
    retry_after: Optional[float] = None
    rate_limit: Optional[RateLimit] = None
    handle: Optional[str] = None
    # True when the service told us the destination is gone (Discord 404): stop using it.
    gone: bool = False
    # True when a 429 applies to every request from this machine, not one webhook.
    global_limit: bool = False
    # Set when the files could not go (why, in words): the text is sent again without them.
    files_left_out: str = ""

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK

    @classmethod
    def success(cls, http_status=None, rate_limit=None, handle=None) -> DeliveryResult:
        return cls(STATUS_OK, "", http_status, None, rate_limit, handle)

    @classmethod
    def retry(cls, error, retry_after=None, http_status=None, rate_limit=None,
              global_limit=False) -> DeliveryResult:
        return cls(STATUS_RETRY, error, http_status, retry_after, rate_limit, global_limit=global_limit)

    @classmethod
    def failure(cls, error, http_status=None, rate_limit=None, gone=False, files_left_out="") -> DeliveryResult:
        return cls(STATUS_FAILED, error, http_status, None, rate_limit, gone=gone, files_left_out=files_left_out)
