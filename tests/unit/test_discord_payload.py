
import pytest

from octoprint_octorant.channels.base import truncate
from octoprint_octorant.channels.discord import (
    DiscordChannel,
    allowed_mentions,
    check_username,
    check_webhook_url,
    escape_value,
)
from octoprint_octorant.channels.multipart import payload_with_files
from octoprint_octorant.model import Attachment, Message
from octoprint_octorant.templating import render
from tools.discord_inbox import parse_multipart

TOKEN = "AbC-def_123456789"
URL = f"https://discord.com/api/webhooks/123456/{TOKEN}"


@pytest.mark.parametrize("url", [
    URL,
    f"https://discordapp.com/api/webhooks/1/{TOKEN}",
    f"https://ptb.discord.com/api/webhooks/1/{TOKEN}",
    f"https://canary.discord.com/api/v10/webhooks/1/{TOKEN}/",
    f"http://127.0.0.1:8765/api/webhooks/1/{TOKEN}",
])
def test_valid_webhook_urls(url):
    assert check_webhook_url(url) is None


@pytest.mark.parametrize("url", [
    "", "   ", "https://discord.com/api/webhooks/123/", "https://discord.com/channels/1/2",
    f"https://evil.example/api/webhooks/1/{TOKEN}", f"http://discord.com/api/webhooks/1/{TOKEN}",
    f"https://discord.com.evil.example/api/webhooks/1/{TOKEN}",
])
def test_invalid_webhook_urls_get_a_clear_error_without_the_token(url):
    problem = check_webhook_url(url)
    assert problem and TOKEN not in problem


@pytest.mark.parametrize("name, ok", [
    ("", True), ("Printer Bot", True), ("x" * 80, True), ("x" * 81, False),
    ("My Discord bot", False), ("CLYDE", False), ("everyone", False), ("Here", False), ("everyone2", True),
])
def test_bot_name_follows_discords_rules(name, ok):
    assert (check_username(name) is None) is ok


def test_mentions_written_in_the_template_ping_and_variables_never_do():
    template = "<@&42> <@7> @everyone {name}"
    rendered = render(template, {"name": "@everyone <@999> <@&13> @here.gcode"}, escape=escape_value)
    mentions = allowed_mentions(template)
    assert mentions == {"parse": ["everyone"], "users": ["7"], "roles": ["42"]}
    assert "999" not in mentions["users"] and "13" not in mentions["roles"]
    # The variable's text is inert even as text.
    assert "@everyone <@999>" not in rendered.text.split(" ", 3)[3]


def test_no_mentions_when_template_has_none():
    assert allowed_mentions("{name} done") == {"parse": [], "users": [], "roles": []}


def test_markdown_in_file_names_renders_literally():
    assert escape_value("my_file*v2*.gcode") == r"my\_file\*v2\*.gcode"
    assert escape_value("[click](http://x)") == r"\[click\](http://x)"


def test_json_body_without_files():
    channel = DiscordChannel({"url": URL, "username": "Printer", "avatar_url": "https://x/a.png"})
    kwargs, stream = channel.request_body(Message("print_done", "done", template="done"))
    assert stream is None
    assert kwargs["json"]["content"] == "done"
    assert kwargs["json"]["username"] == "Printer"
    assert kwargs["json"]["avatar_url"] == "https://x/a.png"
    assert kwargs["json"]["allowed_mentions"] == {"parse": [], "users": [], "roles": []}


def test_empty_username_is_left_out():
    channel = DiscordChannel({"url": URL, "username": "  "})
    assert "username" not in channel.payload(Message("x", "hi"))


def test_multipart_with_snapshot():
    channel = DiscordChannel({"url": URL})
    snap = Attachment("snapshot.jpg", "image/jpeg", b"\xff\xd8jpeg")
    kwargs, stream = channel.request_body(Message("print_done", "done", attachments=(snap,)))
    body = stream.read()
    assert len(body) == len(stream)
    payload, files = parse_multipart(kwargs["headers"]["Content-Type"], body)
    assert [(f.field, f.filename, f.content_type, f.data) for f in files] == [
        ("files[0]", "snapshot.jpg", "image/jpeg", b"\xff\xd8jpeg")]
    assert payload["content"] == "done"
    assert payload["attachments"] == [{"id": 0, "filename": "snapshot.jpg"}]


def test_files_on_disk_are_streamed_in_blocks_and_the_length_is_exact(tmp_path):
    movie = tmp_path / "benchy.mp4"
    movie.write_bytes(bytes(range(256)) * 4096)  # 1 MiB
    attachment = Attachment.from_file(str(movie), "benchy.mp4", "video/mp4")
    stream = payload_with_files({"content": "x"}, [Attachment("a.png", "image/png", b"png"), attachment])
    blocks = []
    while True:
        block = stream.read(8192)
        if not block:
            break
        blocks.append(block)
    assert max(len(b) for b in blocks) <= 8192
    body = b"".join(blocks)
    assert len(body) == len(stream)
    _, files = parse_multipart(stream.content_type, body)
    assert [f.filename for f in files] == ["a.png", "benchy.mp4"]
    assert files[1].data == movie.read_bytes()


def test_thread_id_and_wait_are_query_parameters():
    assert DiscordChannel({"url": URL, "thread_id": "99"})._params() == {"wait": "true", "thread_id": "99"}
    assert DiscordChannel({"url": URL})._params() == {"wait": "true"}


def test_long_text_is_cut_at_a_line_with_ellipsis():
    lines = "\n".join(f"line {i:04d} " + "x" * 40 for i in range(100))
    fitted = DiscordChannel({"url": URL}).fit(Message("x", lines))
    assert len(fitted.text) <= 2000
    assert fitted.text.endswith("…")
    assert fitted.text[:-1].rstrip() in lines and lines.startswith(fitted.text[:-1].rstrip())
    assert lines[len(fitted.text) - 1] == "\n" or fitted.text[:-1].endswith("x")


def test_truncate_keeps_short_text_and_cuts_a_single_long_line():
    assert truncate("short", 2000) == "short"
    cut = truncate("y" * 5000, 2000)
    assert len(cut) == 2000 and cut.endswith("…")


def test_validate_lists_every_problem_without_secrets():
    problems = DiscordChannel.validate({"url": f"https://discord.com/api/webhooks/x/{TOKEN}",
                                        "username": "discord bot", "thread_id": "abc", "avatar_url": "ftp://x"})
    assert len(problems) == 4
    assert all(TOKEN not in p for p in problems)
