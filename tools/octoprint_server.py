"""A real OctoPrint process for end-to-end tests and `make run`.

It runs OctoPrint from the current virtual environment with the bundled virtual printer, a
config written here (first-run wizards done, every call to the internet switched off), and
users made with OctoPrint's own CLI. Tests talk to it only through its REST API.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import requests
import yaml

# Bundled plugins that would reach the internet (repository, notices, update checks,
# analytics, Python end-of-life lookup): the tests talk to 127.0.0.1 only.
OFFLINE_DISABLED_PLUGINS = [
    "announcements",
    "tracking",
    "errortracking",
    "softwareupdate",
    "pluginmanager",
    "health_check",
    "achievements",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.1, what: str = "condition"):
    """Polls `predicate` until it returns something truthy; fails loudly after `timeout` s."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (requests.RequestException, OSError) as error:
            value, last_error = None, error
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}" + (f" ({last_error})" if last_error else ""))


def deep_merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def base_config(snapshot_url: str = "", virtual_printer: Optional[dict] = None) -> dict:
    return {
        "server": {
            "firstRun": False,
            "onlineCheck": {"enabled": False},
            "pluginBlacklist": {"enabled": False},
            "seenWizards": {"corewizard": 4, "backup": None, "tracking": None},
        },
        "serial": {"port": "VIRTUAL", "baudrate": 115200, "autoconnect": True},
        "plugins": {
            "_disabled": list(OFFLINE_DISABLED_PLUGINS),
            "virtual_printer": deep_merge({"enabled": True}, virtual_printer or {}),
            "classicwebcam": {"snapshot": snapshot_url, "stream": "", "snapshotTimeout": 5},
        },
    }


class ApiSession:
    """A logged-in (or anonymous) browser-like session: CSRF cookie, then /api/login."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()

    def close(self):
        self.http.close()

    def _csrf(self):
        self.http.get(self.base_url + "/", timeout=30).close()
        for name, value in self.http.cookies.items():
            if name.startswith("csrf_token"):
                self.http.headers["X-CSRF-Token"] = value

    def login(self, user: str, password: str) -> ApiSession:
        self._csrf()
        response = self.http.post(self.base_url + "/api/login", json={"user": user, "pass": password}, timeout=30)
        assert response.status_code == 200, f"login as {user} failed: {response.status_code} {response.text[:200]}"
        return self

    def anonymous(self) -> ApiSession:
        self._csrf()
        return self

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        return self.http.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def ok_json(self, method: str, path: str, **kwargs) -> Any:
        response = self.request(method, path, **kwargs)
        assert response.ok, f"{method} {path}: {response.status_code} {response.text[:300]}"
        return response.json() if response.content else None

    # ~ OctoPrint's job API

    def job(self) -> dict:
        return self.ok_json("GET", "/api/job")

    def state(self) -> str:
        return self.job()["state"]

    def upload(self, name: str, gcode: str, select: bool = False, print_now: bool = False) -> None:
        files = {"file": (name, gcode.encode("utf-8"), "application/octet-stream")}
        data = {"select": str(select).lower(), "print": str(print_now).lower()}
        self.ok_json("POST", "/api/files/local", files=files, data=data)

    def job_command(self, command: str, **extra) -> None:
        response = self.post("/api/job", json=dict(command=command, **extra))
        assert response.status_code == 204, f"job {command}: {response.status_code} {response.text[:200]}"

    def printer_command(self, *commands: str) -> None:
        response = self.post("/api/printer/command", json={"commands": list(commands)})
        assert response.status_code == 204, f"printer command: {response.status_code} {response.text[:200]}"

    def wait_state(self, predicate: Callable[[str], bool], timeout: float = 60, what: str = "printer state"):
        return wait_until(lambda: predicate(self.state()) and self.state(), timeout, 0.2, what)

    def wait_operational(self, timeout: float = 60):
        return self.wait_state(lambda s: s == "Operational", timeout, "printer operational")

    def connect(self) -> None:
        self.ok_json("POST", "/api/connection", json={"command": "connect", "port": "VIRTUAL", "baudrate": 115200})

    # ~ settings and the plugin's API

    def plugin_settings(self) -> dict:
        return self.ok_json("GET", "/api/settings")["plugins"]["octorant"]

    def save_plugin_settings(self, values: dict) -> dict:
        return self.ok_json("POST", "/api/settings", json={"plugins": {"octorant": values}})

    def plugin_command(self, command: str, **data) -> requests.Response:
        return self.post("/api/plugin/octorant", json=dict(command=command, **data))


class OctoPrintServer:
    """One OctoPrint process on 127.0.0.1 with its own base folder."""

    def __init__(self, basedir: Path, config: dict, port: Optional[int] = None, python: str = sys.executable):
        self.basedir = Path(basedir)
        self.port = port or free_port()
        self.python = python
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: Optional[subprocess.Popen] = None
        self._output = None
        self.basedir.mkdir(parents=True, exist_ok=True)
        self.write_config(config)

    @property
    def config_path(self) -> Path:
        return self.basedir / "config.yaml"

    @property
    def log_path(self) -> Path:
        return self.basedir / "logs" / "octoprint.log"

    def write_config(self, config: dict) -> None:
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    def read_config(self) -> dict:
        return yaml.safe_load(self.config_path.read_text(encoding="utf-8")) or {}

    def _cli(self, *args: str) -> subprocess.CompletedProcess:
        command = [self.python, "-m", "octoprint", "--basedir", str(self.basedir), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)

    def add_user(self, name: str, password: str, admin: bool = False, groups: Iterable[str] = ()) -> None:
        args = ["user", "add", name, "--password", password]
        if admin:
            args.append("--admin")
        for group in groups:
            args += ["--group", group]
        self._cli(*args)

    def start(self, timeout: float = 120) -> OctoPrintServer:
        assert self.process is None, "already started"
        self._output = open(self.basedir / "console.log", "ab")  # noqa: SIM115 - closed in stop()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [self.python, "-m", "octoprint", "serve", "--iknowwhatimdoing", "--basedir", str(self.basedir),
             "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self._output, stderr=subprocess.STDOUT, env=env, cwd=str(self.basedir),
            start_new_session=True,
        )
        wait_until(self._ready, timeout, 0.25, f"OctoPrint on {self.base_url} ({self.basedir / 'console.log'})")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"OctoPrint exited with {self.process.returncode}: {self.console_tail()}")
        # While OctoPrint starts, a placeholder server answers; /api/version answers 403 (not
        # logged in) only once the real API is up.
        with requests.get(self.base_url + "/api/version", timeout=2) as response:
            return response.status_code in (200, 401, 403)

    def console_tail(self, lines: int = 40) -> str:
        path = self.basedir / "console.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def session(self, user: Optional[str] = None, password: Optional[str] = None) -> ApiSession:
        session = ApiSession(self.base_url)
        return session.login(user, password) if user else session.anonymous()

    def stop(self, timeout: float = 60) -> int:
        """Graceful stop (SIGTERM), as systemd stops OctoPrint: shutdown hooks run."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self._finish()

    def kill(self) -> int:
        """kill -9: no shutdown hooks."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)
        return self._finish()

    def _finish(self) -> int:
        code = self.process.returncode if self.process else 0
        self.process = None
        if self._output:
            self._output.close()
            self._output = None
        return code
