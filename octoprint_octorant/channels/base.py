"""What every channel type is: capabilities and settings fields as data, one `send` per attempt."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar, List, Mapping, Optional, Tuple

from ..model import DeliveryResult, Message

ELLIPSIS = "…"


@dataclass(frozen=True)
class Capabilities:
    max_text_length: int
    max_file_bytes: int
    max_files: int
    supports_files: bool = True
    supports_edits: bool = False


@dataclass(frozen=True)
class Field:
    """One setting of a channel type, as the settings page draws it."""

    key: str
    label: str
    kind: str = "text"  # text | url | secret | bool | textarea
    required: bool = False
    help: str = ""
    default: Any = ""
    secret: bool = False
    choices: Tuple[str, ...] = ()  # for kind "choice"


class Channel:
    """Base of all channel types. Subclasses set the class attributes and implement `send`."""

    type_name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    capabilities: ClassVar[Capabilities]
    fields: ClassVar[Tuple[Field, ...]] = ()

    def __init__(self, config: Mapping[str, Any], timeout: float = 10.0):
        self.config = dict(config)
        self.timeout = timeout

    # -- what subclasses implement -------------------------------------------------------------

    @classmethod
    def validate(cls, config: Mapping[str, Any]) -> List[str]:
        """Problems with `config` in plain words, never echoing secrets. Empty when fine."""
        problems = []
        for f in cls.fields:
            if f.required and not str(config.get(f.key) or "").strip():
                problems.append(f"{f.label} is required.")
        return problems

    def send(self, message: Message) -> DeliveryResult:
        raise NotImplementedError

    def escape_value(self, value: str) -> str:
        """How a substituted variable is made literal for this service (default: as it is)."""
        return value

    def test(self, message: Message) -> Tuple[DeliveryResult, List[dict]]:
        """The test button: send `message`; types with several destinations add one detail each."""
        return self.send(message), []

    def check(self) -> Optional[DeliveryResult]:
        """Ask the service whether the configuration works, without posting. None if it can't tell."""
        return None

    def secrets(self) -> Tuple[str, ...]:
        """Values of secret fields, so logs and errors can mask them."""
        return tuple(str(self.config.get(f.key) or "") for f in self.fields if f.secret)

    def describe(self) -> str:
        """A name for logs that never contains a secret."""
        return f"{self.type_name}:{self.config.get('name') or self.config.get('id') or '?'}"

    # -- applied once, for every type ----------------------------------------------------------

    def fit(self, message: Message) -> Message:
        """Apply this type's limits: cut text at a line boundary, drop files it cannot take."""
        caps = self.capabilities
        text = truncate(message.text, caps.max_text_length)
        attachments = message.attachments if caps.supports_files else ()
        attachments = tuple(a for a in attachments if a.size <= caps.max_file_bytes)
        attachments = attachments[: caps.max_files]
        return replace(message, text=text, attachments=attachments)

    @classmethod
    def metadata(cls) -> dict:
        """Everything the settings page needs to draw a form for this type."""
        return {
            "type": cls.type_name,
            "label": cls.label,
            "capabilities": cls.capabilities.__dict__.copy(),
            "fields": [dict(f.__dict__, choices=list(f.choices)) for f in cls.fields],
        }


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, at a line boundary when one is near, with an ellipsis."""
    if limit <= 0 or len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    head = text[:room]
    cut = head.rfind("\n")
    # Prefer a whole line unless that would throw away most of the text.
    if cut >= room // 2:
        head = head[:cut]
    return head.rstrip() + ELLIPSIS
