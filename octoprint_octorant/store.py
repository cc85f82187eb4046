"""Durable per-channel state: what is still to be sent, and the recent delivery history.

One JSON file per channel in the plugin's data folder, replaced atomically (write a temporary
file, fsync, rename), so a `kill -9` or a power cut leaves either the old or the new file,
never half of one. A file that cannot be read is set aside, not fatal: the channel starts empty.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from typing import Any, Dict, Optional

FORMAT_VERSION = 1
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")


class OutboxStore:
    def __init__(self, directory: str, logger: Optional[logging.Logger] = None):
        self.directory = directory
        self._logger = logger or logging.getLogger(__name__)
        self._lock = threading.Lock()

    def path(self, channel_id: str) -> str:
        # Channel ids come from settings: anything odd becomes a hash, never a path component.
        safe = channel_id if _SAFE_ID.match(channel_id) else hashlib.sha256(channel_id.encode()).hexdigest()[:32]
        return os.path.join(self.directory, f"outbox-{safe}.json")

    def load(self, channel_id: str) -> Dict[str, Any]:
        path = self.path(channel_id)
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
            if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
                raise ValueError("unknown format")
            return data
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            self._set_aside(path, error)
            return {}

    def save(self, channel_id: str, data: Dict[str, Any]) -> bool:
        """Write `data` for the channel atomically. False (logged) if the disk refused."""
        path = self.path(channel_id)
        body = json.dumps(dict(data, version=FORMAT_VERSION), ensure_ascii=False, default=str)
        with self._lock:
            try:
                os.makedirs(self.directory, exist_ok=True)
                handle, temporary = tempfile.mkstemp(prefix=".outbox-", suffix=".tmp", dir=self.directory)
                try:
                    with os.fdopen(handle, "w", encoding="utf-8") as out:
                        out.write(body)
                        out.flush()
                        os.fsync(out.fileno())
                    os.replace(temporary, path)
                except BaseException:
                    os.unlink(temporary)
                    raise
                return True
            except OSError as error:
                self._logger.error("OctoRant: could not save the outbox to %s: %s", self.directory, error)
                return False

    def remove(self, channel_id: str) -> None:
        try:
            os.unlink(self.path(channel_id))
        except FileNotFoundError:
            pass
        except OSError as error:
            self._logger.warning("OctoRant: could not remove %s: %s", self.path(channel_id), error)

    def _set_aside(self, path: str, error: Exception) -> None:
        self._logger.error("OctoRant: %s could not be read (%s); keeping it as .broken and starting empty",
                           path, error)
        try:
            os.replace(path, path + ".broken")
        except OSError:
            pass
