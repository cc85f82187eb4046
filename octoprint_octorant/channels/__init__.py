"""The channel registry: type name → channel class. Adding a service is adding one module here."""

from __future__ import annotations

from typing import Dict, Type

from .base import Channel
from .discord import DiscordChannel

REGISTRY: Dict[str, Type[Channel]] = {
    DiscordChannel.type_name: DiscordChannel,
}


def channel_class(type_name: str) -> Type[Channel]:
    try:
        return REGISTRY[type_name]
    except KeyError:
        raise ValueError(f"Unknown channel type {type_name!r}") from None
