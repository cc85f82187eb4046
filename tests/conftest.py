"""Shared by every test layer: the repository root is importable (tools.discord_inbox, tests.support)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The shared OctoPrint and inbox (session fixtures) for tests/e2e and tests/ui.
pytest_plugins = ["tests.support.octoprint_fixtures"]
