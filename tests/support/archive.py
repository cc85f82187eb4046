"""The plugin as Plugin Manager gets it: a zip archive of the repository, installed with pip."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
# What a release archive of the repository holds that pip needs; tests and tools are left out
# so the installed plugin cannot lean on them.
PACKAGED = ("setup.py", "setup.cfg", "pyproject.toml", "MANIFEST.in", "README.md", "LICENSE")
PACKAGE_DIR = "octoprint_octorant"


def build_archive(target: Path, top: str = "OctoPrint-OctoRant-main") -> Path:
    """Zip laid out like a GitHub branch archive: one top folder holding the repository."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in PACKAGED:
            path = REPOSITORY / name
            if path.exists():
                archive.write(path, f"{top}/{name}")
        for path in sorted((REPOSITORY / PACKAGE_DIR).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, f"{top}/{path.relative_to(REPOSITORY)}")
    return target


def pip_install(archive: Path, python: str = sys.executable) -> str:
    """`pip install <archive>` as Plugin Manager runs it.

    Offline (`--no-index`): the declared dependencies must already be installed, so a missing
    one fails here instead of reaching the network.
    """
    pip = [python, "-m", "pip", "--disable-pip-version-check"]
    # Remove an earlier install first: --force-reinstall would reinstall the dependencies too.
    subprocess.run([*pip, "uninstall", "--yes", "--quiet", "OctoPrint-OctoRant"], capture_output=True, timeout=120)
    command = [*pip, "install", "--no-index", "--no-build-isolation", "--quiet", str(archive)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"pip install of the plugin archive failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout
