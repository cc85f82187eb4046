"""The channel registry: type name → channel class. Adding a service is adding one module here."""

from __future__ import annotations

from typing import Dict, Type

from .apprise import AppriseChannel
from .base import Channel
from .discord import DiscordChannel

# Importing a channel module must stay cheap: a type imports its service library only when a
# channel of that type is used (see apprise.py).
REGISTRY: Dict[str, Type[Channel]] = {
    DiscordChannel.type_name: DiscordChannel,
    AppriseChannel.type_name: AppriseChannel,
}


def channel_class(type_name: str) -> Type[Channel]:
    try:
        return REGISTRY[type_name]
    except KeyError:
        raise ValueError(f"Unknown channel type {type_name!r}") from None
