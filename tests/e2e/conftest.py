"""The end-to-end tests' handle on the shared OctoPrint (tests/support/octoprint_fixtures.py).

Each test starts from the same baseline (settings posted through the REST API, inbox emptied,
printer idle). Message texts are the catalogue's defaults with "[event key]" in front, so a
test can tell which event a message belongs to and still sees the default texts rendered.
"""

from __future__ import annotations

import pytest

from tests.e2e.harness import ADMIN, E2E, reset_to_baseline


@pytest.fixture
def e2e(octoprint, inbox):
    api = octoprint.session(*ADMIN)
    try:
        reset_to_baseline(api, inbox)
        yield E2E(octoprint, inbox, api)
    finally:
        inbox.reset()
        api.close()
