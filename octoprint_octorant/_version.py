"""The release version, in one place for setup.py, the User-Agent and the update hook."""

__version__ = "0.1.0"
