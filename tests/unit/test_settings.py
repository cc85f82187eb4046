import pathlib

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from octoprint_octorant.catalogue import EVENTS, EVENTS_BY_KEY
from octoprint_octorant.settings import SETTINGS_VERSION, defaults, migrate, validate_all

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "legacy"
TOKEN = "legacy-token"


def load(name):
    data = yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))["plugins"]["octorant"]
    return data, data.pop("_config_version", None)


def test_defaults_cover_every_event_and_start_without_channels():
    d = defaults()
    assert SETTINGS_VERSION == 4
    assert set(d["events"]) == {spec.key for spec in EVENTS}
    assert d["channels"] == []
    assert d["progress"]["percent_step"] == 10


def test_legacy_v2_migrates_with_nothing_lost():
    stored, version = load("octorant_v2.yaml")
    assert version == 2
    result = migrate(stored, version)
    assert result["channels"] == [{
        "id": "discord", "type": "discord", "name": "Discord", "enabled": True,
        "url": "https://discord.com/api/webhooks/111/legacy-token", "username": "Garage Printer",
        "avatar_url": "https://example.com/avatar.png", "thread_id": "",
    }]
    events = result["events"]
    assert events["startup"]["enabled"] is False
    assert events["print_started"]["message"] == "🖨️ Started **{name}** from {origin}"
    assert events["print_done"] == {"enabled": True, "message": "Done with {name} after {time_formatted}",
                                    "media": "none"}
    assert events["print_failed"]["message"] == "Failed: {name} ({reason})"
    assert events["print_progress"]["message"].startswith("{progress}%")
    assert events["printer_error"]["enabled"] is False
    assert events["sd_upload_done"]["enabled"] is True
    assert result["progress"] == {"percent_step": 25, "time_step": 30, "height_step": 0, "min_interval": 120,
                                  "source": "estimate"}
    assert not set(result) & {"url", "username", "avatar"}


def test_legacy_unversioned_migrates_with_snapshot_and_steps():
    stored, version = load("octorant_unversioned.yaml")
    assert version is None
    result = migrate(stored, version)
    assert result["channels"][0]["url"] == "https://discordapp.com/api/webhooks/222/older-token"
    assert result["channels"][0]["username"] == "Old Bot"
    assert result["events"]["shutdown"]["enabled"] is False
    assert result["events"]["print_started"] == {"enabled": True, "message": "Printing {name}", "media": "none"}
    assert result["events"]["print_paused"]["media"] == "snapshot"
    assert result["events"]["print_progress"]["media"] == "none"
    assert result["progress"]["percent_step"] == 20 and result["progress"]["time_step"] == 15


def test_current_layout_passes_through():
    current = defaults()
    current["printer_name"] = "Voron"
    assert migrate(current, 3)["printer_name"] == "Voron"


def test_no_url_means_no_channel():
    assert migrate({"events": {}}, 2)["channels"] == []


GOOD_CHANNEL = {"id": "d1", "type": "discord", "name": "Main", "enabled": True,
                "url": "https://discord.com/api/webhooks/1/SECRET-token", "username": "Printer"}


@pytest.mark.parametrize("new, field", [
    ({"progress": {"percent_step": -5}}, "Progress every N %"),
    ({"progress": {"percent_step": 150}}, "Progress every N %"),
    ({"progress": {"time_step": "soon"}}, "Progress every N minutes"),
    ({"progress": {"height_step": float("nan")}}, "Progress every N mm"),
    ({"progress": {"source": "magic"}}, "Progress source"),
    ({"snapshot": {"timeout": 0}}, "Snapshot timeout"),
    ({"events": {"print_done": {"media": "video"}}}, "Print done"),
    ({"events": {"print_done": {"enabled": "yes please"}}}, "Print done"),
    ({"events": {"print_done": {"message": 42}}}, "Print done"),
    ({"channels": [dict(GOOD_CHANNEL, type="carrier-pigeon")]}, "unknown type"),
    ({"channels": [dict(GOOD_CHANNEL, url="https://example.com/hook?token=SECRET-token")]}, "webhook URL"),
    ({"channels": [dict(GOOD_CHANNEL, username="discord bot")]}, "bot name"),
    ({"channels": [GOOD_CHANNEL, GOOD_CHANNEL]}, "used twice"),
    ({"channels": "not a list"}, "Channels"),
])
def test_bad_values_are_refused_with_a_message_and_defaults_kept(new, field):
    clean, problems = validate_all(new, defaults())
    assert any(field in p for p in problems), problems
    assert all("SECRET" not in p for p in problems)
    assert clean["progress"] == defaults()["progress"]
    assert clean["events"]["print_done"] == defaults()["events"]["print_done"]


def test_a_bad_edit_keeps_the_saved_channel():
    current = dict(defaults(), channels=[GOOD_CHANNEL])
    clean, problems = validate_all({"channels": [dict(GOOD_CHANNEL, url="nope")]}, current)
    assert problems and clean["channels"] == [GOOD_CHANNEL]


def test_good_values_are_stored():
    clean, problems = validate_all({
        "printer_name": " Voron ", "progress": {"percent_step": "12.5", "min_interval": 30, "source": "file"},
        "events": {"print_done": {"enabled": False, "message": "yay {name}", "media": "none"}},
        "channels": [GOOD_CHANNEL],
        "snapshot": {"webcams": ["classic", "garage"], "timeout": 10, "max_side": 1280, "jpeg_quality": "70",
                     "done_delay": 8, "gcode_before": "M355 S1 ; light on\n", "gcode_after": "M355 S0",
                     "gcode_settle": 0.5},
    }, defaults())
    assert problems == []
    assert clean["printer_name"] == "Voron"
    assert clean["progress"]["percent_step"] == 12.5 and clean["progress"]["source"] == "file"
    assert clean["events"]["print_done"] == {"enabled": False, "message": "yay {name}", "media": "none"}
    assert clean["channels"][0]["url"] == GOOD_CHANNEL["url"]
    assert clean["snapshot"] == {"webcams": ["classic", "garage"], "timeout": 10, "max_side": 1280,
                                 "jpeg_quality": 70, "done_delay": 8, "gcode_before": "M355 S1 ; light on\n",
                                 "gcode_after": "M355 S0", "gcode_settle": 0.5}
    assert set(clean["events"]) == set(EVENTS_BY_KEY)


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
keys = st.sampled_from(["printer_name", "channels", "events", "progress", "snapshot", "other"])


@settings(max_examples=200, deadline=None)
@given(st.one_of(json_like, st.dictionaries(keys, json_like, max_size=5)), json_like)
def test_validate_all_never_raises_and_keeps_the_shape(new, current):
    clean, problems = validate_all(new, current)
    assert set(clean) == set(defaults())
    assert isinstance(problems, list)
    assert set(clean["events"]) == set(EVENTS_BY_KEY)


@settings(max_examples=100, deadline=None)
@given(json_like, st.one_of(st.none(), st.integers(-1, 5)))
def test_migrate_never_raises(stored, version):
    assert set(migrate(stored, version)) == set(defaults())


def test_channel_own_texts_media_and_events_are_kept():
    from octoprint_octorant.settings import validate_channel

    clean, problems = validate_channel({
        "id": "phone", "type": "apprise", "name": "Phone", "urls": ["json://127.0.0.1/a", "json://127.0.0.1/b"],
        "events": ["print_failed", "filament_change"], "media": False,
        "messages": {"print_failed": "FAILED {name}", "filament_change": "  "},
    })
    assert problems == []
    assert clean["urls"] == "json://127.0.0.1/a\njson://127.0.0.1/b"
    assert clean["events"] == ["print_failed", "filament_change"] and clean["media"] is False
    assert clean["messages"] == {"print_failed": "FAILED {name}"}  # blank means the event's own text


@pytest.mark.parametrize(("entry", "expected"), [
    ({"messages": {"no_such_event": "x"}}, "its own texts"),
    ({"messages": "text"}, "its own texts"),
    ({"media": "sometimes"}, "'media' must be true or false"),
    ({"urls": "bogus-without-scheme"}, "Apprise URL 1"),
])
def test_bad_channel_entries_are_refused_with_a_reason(entry, expected):
    from octoprint_octorant.settings import validate_channel

    clean, problems = validate_channel(dict({"id": "p", "type": "apprise", "name": "P",
                                             "urls": "json://127.0.0.1/a"}, **entry))
    assert clean is None and any(expected in p for p in problems), problems


@pytest.mark.parametrize("given, problem", [
    ({"max_age_hours": -1}, "Give up on a message after N hours"),
    ({"max_age_hours": "a day"}, "Give up on a message after N hours"),
    ({"retry_max_seconds": 0}, "Longest wait between retries"),
    ({"retry_max_seconds": float("inf")}, "Longest wait between retries"),
])
def test_bad_delivery_settings_keep_the_defaults(given, problem):
    clean, problems = validate_all({"delivery": given}, defaults())
    assert clean["delivery"] == defaults()["delivery"]
    assert len(problems) == 1 and problems[0].startswith(problem)


def test_delivery_settings_are_taken():
    clean, problems = validate_all({"delivery": {"max_age_hours": 6, "retry_max_seconds": 5}},
                                            defaults())
    assert problems == []
    assert clean["delivery"] == dict(defaults()["delivery"], max_age_hours=6, retry_max_seconds=5)


@pytest.mark.parametrize("given", [{"max_side": -1}, {"max_side": 99999}, {"jpeg_quality": 5},
                                   {"jpeg_quality": "best"}])
def test_bad_snapshot_sizes_keep_the_defaults(given):
    clean, problems = validate_all({"snapshot": given}, defaults())
    assert clean["snapshot"] == defaults()["snapshot"]
    assert len(problems) == 1 and problems[0].startswith("Snapshot")


@pytest.mark.parametrize("snapshot, problem", [
    ({"webcams": "classic"}, "list of at most 20 webcam names"),
    ({"webcams": [""]}, "list of at most 20 webcam names"),
    ({"webcams": ["cam"] * 21}, "list of at most 20 webcam names"),
    ({"done_delay": 500}, "from 0 to 120"),
    ({"gcode_settle": -1}, "from 0 to 30"),
    ({"gcode_before": 12}, "G-code before a snapshot: must be text"),
    ({"gcode_after": "M355 S0\n" * 300}, "G-code after a snapshot: must be text of at most 2000"),
])
def test_bad_snapshot_settings_are_refused_and_the_old_value_kept(snapshot, problem):
    clean, problems = validate_all({"snapshot": snapshot}, defaults())
    assert len(problems) == 1 and problem in problems[0]
    assert clean["snapshot"] == defaults()["snapshot"]


def test_version_3_single_webcam_becomes_a_list():
    stored = {"snapshot": {"webcam": "garage", "timeout": 7}, "printer_name": "P"}
    migrated = migrate(stored, 3)
    assert migrated["snapshot"] == {"webcams": ["garage"], "timeout": 7}
    assert migrate({"snapshot": {"webcam": ""}}, 3)["snapshot"] == {"webcams": []}
    assert migrate({"snapshot": {"webcams": ["a"]}}, 4)["snapshot"] == {"webcams": ["a"]}


def test_legacy_timelapse_media_becomes_a_choice_the_event_has():
    stored = {"url": "", "events": {"timelapse_done": {"with_snapshot": True}, "printing_done": {"media": True},
                                    "startup": {"media": "thumbnail"}}}
    events = migrate(stored, None)["events"]
    assert events["timelapse_done"]["media"] == "timelapse"
    assert events["print_done"]["media"] == "snapshot"
    assert events["startup"]["media"] == "snapshot"  # no file at start-up: no thumbnail to choose
