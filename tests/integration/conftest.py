import pytest

from tools.discord_inbox import DiscordInbox


@pytest.fixture
def inbox():
    with DiscordInbox() as server:
        yield server
