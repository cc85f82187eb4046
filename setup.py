"""Packaging for OctoRant, installable by OctoPrint's Plugin Manager (pip from an archive URL)."""

import re

from setuptools import find_packages, setup

setup(
    name="OctoPrint-OctoRant",
    version=re.search(r"__version__ = \"([^\"]+)\"", open("octoprint_octorant/_version.py").read()).group(1),
    description="Notifications from OctoPrint to Discord webhooks and Apprise services",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    author="OctoRant developers",
    url="https://github.com/octorant/OctoPrint-OctoRant",
    license="AGPLv3",
    packages=find_packages(include=["octoprint_octorant", "octoprint_octorant.*"]),
    include_package_data=True,
    package_data={"octoprint_octorant": ["templates/*", "static/js/*", "static/css/*"]},
    python_requires=">=3.9,<4",
    install_requires=["OctoPrint>=1.9.0", "requests>=2.25", "Pillow>=8.0", "apprise>=1.9"],
    entry_points={"octoprint.plugin": ["octorant = octoprint_octorant"]},
    zip_safe=False,
)
