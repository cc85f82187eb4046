"""A multipart/form-data body that streams its files from disk.

requests builds multipart bodies in memory (its `files=` reads every file whole); a rendered
timelapse can be tens of megabytes on a Raspberry Pi. This body is a file-like object of known
length: requests sends it with a Content-Length and reads it in blocks.
"""

from __future__ import annotations

import json
import uuid
from typing import BinaryIO, List, Optional, Sequence, Tuple, Union

from ..model import Attachment

_Segment = Union[bytes, Attachment]


def _quote(value: str) -> str:
    """A file name for a Content-Disposition header: quotes and line breaks cannot break out."""
    return value.replace("\\", "_").replace('"', "_").replace("\r", "_").replace("\n", "_")


class MultipartBody:
    def __init__(self, fields: Sequence[Tuple[str, str]], files: Sequence[Tuple[str, Attachment]]):
        self.boundary = uuid.uuid4().hex
        self._segments: List[_Segment] = []
        for name, value in fields:
            self._segments.append(
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n'
                f"Content-Type: application/json\r\n\r\n{value}\r\n".encode())
        for name, attachment in files:
            self._segments.append(
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{_quote(attachment.filename)}"\r\n'
                f"Content-Type: {attachment.content_type}\r\n\r\n".encode())
            self._segments.append(attachment)
            self._segments.append(b"\r\n")
        self._segments.append(f"--{self.boundary}--\r\n".encode())
        self._length = sum(s.size if isinstance(s, Attachment) else len(s) for s in self._segments)
        self._index = 0
        self._current: Optional[BinaryIO] = None
        # Set when a file could not be opened while sending: requests reports that as a
        # connection error, but it is the file's fault and retrying will not help.
        self.unreadable: Optional[OSError] = None

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while self._index < len(self._segments) and (size < 0 or len(out) < size):
            if self._current is None:
                segment = self._segments[self._index]
                try:
                    self._current = segment.open() if isinstance(segment, Attachment) else _BytesReader(segment)
                except OSError as error:
                    self.unreadable = error
                    raise
            chunk = self._current.read(-1 if size < 0 else size - len(out))
            if chunk:
                out += chunk
            else:
                self._current.close()
                self._current = None
                self._index += 1
        return bytes(out)

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None


class _BytesReader:
    def __init__(self, data: bytes):
        self._data = data
        self._position = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._position + size
        chunk = self._data[self._position:end]
        self._position += len(chunk)
        return chunk

    def close(self) -> None:
        pass


def payload_with_files(payload: dict, attachments: Sequence[Attachment]) -> MultipartBody:
    """Discord's layout: the JSON body as `payload_json`, files as `files[n]`."""
    return MultipartBody([("payload_json", json.dumps(payload))],
                         [(f"files[{index}]", item) for index, item in enumerate(attachments)])
