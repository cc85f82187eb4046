"""Slicer thumbnails from the head of a G-code file.

Slicers write preview images as base64 in comment blocks near the top of the file:

    ; thumbnail begin 300x300 12345        PrusaSlicer, SuperSlicer, OrcaSlicer, Bambu Studio (PNG)
    ; thumbnail_JPG begin 300x300 12345    the same slicers, JPEG
    ; thumbnail_QOI begin 300x300 12345    the same slicers, QOI (sent on as PNG)
    ;thumbnail begin 300 300 12345         Cura's thumbnail scripts
    ; THUMBNAIL_BLOCK_START … _END          Bambu Studio / OrcaSlicer wrap the blocks in this

Only the head of the file is read, in chunks, and reading stops soon after the last block (at
the first G-code command once a thumbnail was seen) or at a byte bound: a 200 MB file costs no
more than a small one. Results are cached per (path, size, modification time). Nothing here
raises: a missing, unreadable or damaged file means "no thumbnail".
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import List, Optional, Tuple

from .model import Attachment

HEAD_LIMIT = 8 * 1024 * 1024  # bytes read at most, whatever the file's size
CHUNK = 64 * 1024
# Without any thumbnail seen, this many G-code commands mean the header is over.
COMMANDS_BEFORE_GIVING_UP = 500
CACHE_SIZE = 16

_BEGIN = re.compile(
    r"^;\s*thumbnail(?:_(?P<fmt>PNG|JPG|QOI))?\s+begin\s+(?P<w>\d+)\s*[x ]\s*(?P<h>\d+)(?:\s+(?P<len>\d+))?",
    re.IGNORECASE,
)
_END = re.compile(r"^;\s*thumbnail(?:_(?:PNG|JPG|QOI))?\s+end\b", re.IGNORECASE)
_CONTENT_TYPES = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg")}


@dataclass(frozen=True)
class Block:
    """One thumbnail block as found: its format, declared size and base64 text."""

    fmt: str  # PNG | JPG | QOI
    width: int
    height: int
    data: str


def scan(lines) -> List[Block]:
    """Thumbnail blocks in `lines` (text lines of a G-code head), stopping when the header is over."""
    blocks: List[Block] = []
    current: Optional[Tuple[str, int, int, List[str]]] = None
    commands = 0
    for raw in lines:
        line = raw.strip()
        if current is not None:
            if _END.match(line):
                fmt, width, height, parts = current
                blocks.append(Block(fmt, width, height, "".join(parts)))
                current = None
            elif line.startswith(";"):
                current[3].append(line[1:].strip())
            elif line:
                current = None  # a command inside a block: the block is broken, drop it
            continue
        begin = _BEGIN.match(line)
        if begin:
            fmt = (begin.group("fmt") or "PNG").upper()
            current = (fmt, int(begin.group("w")), int(begin.group("h")), [])
        elif line and not line.startswith(";"):
            commands += 1
            if blocks or commands >= COMMANDS_BEFORE_GIVING_UP:
                break  # thumbnails come before the G-code
    return blocks


def _head_lines(handle, limit: int):
    """Text lines from a binary file, reading at most `limit` bytes; the generator stops early."""
    read = 0
    rest = b""
    while read < limit:
        chunk = handle.read(min(CHUNK, limit - read))
        if not chunk:
            break
        read += len(chunk)
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        for line in lines:
            yield line.decode("utf-8", "replace")
    if rest and read < limit:
        yield rest.decode("utf-8", "replace")


def decode(block: Block) -> Optional[Attachment]:
    """`block` as an attachment with the right type and extension, or None if it is damaged."""
    try:
        data = base64.b64decode(block.data, validate=False)
    except (binascii.Error, ValueError):
        return None
    try:
        from PIL import Image  # imported on first use, not at OctoPrint start-up

        image = Image.open(io.BytesIO(data))
        image.load()
        fmt = image.format
        if fmt in _CONTENT_TYPES:
            extension, content_type = _CONTENT_TYPES[fmt]
            return Attachment(f"thumbnail.{extension}", content_type, data)
        out = io.BytesIO()  # QOI and anything else: chat services show PNG
        image.save(out, "PNG")
        return Attachment("thumbnail.png", "image/png", out.getvalue())
    except Exception:
        return None


def best(blocks: List[Block]) -> Optional[Attachment]:
    """The largest thumbnail that decodes (a damaged big one gives way to a smaller good one)."""
    for block in sorted(blocks, key=lambda b: b.width * b.height, reverse=True):
        attachment = decode(block)
        if attachment is not None:
            return attachment
    return None


def extract(path: str, limit: int = HEAD_LIMIT) -> Optional[Attachment]:
    """The best thumbnail of the G-code file at `path`, or None. Never raises."""
    try:
        with open(path, "rb") as handle:
            return best(scan(_head_lines(handle, limit)))
    except (OSError, ValueError):
        return None


class ThumbnailCache:
    """`extract` remembered per file version: a print's start, progress and done messages read once."""

    def __init__(self, size: int = CACHE_SIZE):
        self._size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: str) -> Optional[Attachment]:
        try:
            stat = os.stat(path)
        except (OSError, ValueError, TypeError):
            return None
        key = (path, stat.st_size, stat.st_mtime_ns)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        found = extract(path)
        with self._lock:
            self._entries[key] = found
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return found
