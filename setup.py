"""Packaging for OctoRant, installable by OctoPrint's Plugin Manager (pip from an archive URL)."""

import re
from pathlib import Path

from setuptools import find_namespace_packages, setup

HERE = Path(__file__).parent

setup(
    name="OctoPrint-OctoRant",
    version=re.search(r"__version__ = \"([^\"]+)\"", (HERE / "octoprint_octorant/_version.py").read_text()).group(1),
    description="Notifications from OctoPrint to Discord webhooks and Apprise services",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    author="OctoRant developers",
    url="https://github.com/octorant/OctoPrint-OctoRant",
    license="AGPLv3",
    # Namespace discovery: templates/ and static/ hold no .py files but ship with the package.
    packages=find_namespace_packages(include=["octoprint_octorant", "octoprint_octorant.*"]),
    include_package_data=True,
    package_data={"octoprint_octorant": ["templates/*", "static/js/*", "static/css/*"]},
    python_requires=">=3.9,<4",
    install_requires=["OctoPrint>=1.9.0", "requests>=2.25", "Pillow>=9.5", "apprise>=1.9"],
    entry_points={"octoprint.plugin": ["octorant = octoprint_octorant"]},
    zip_safe=False,
)
