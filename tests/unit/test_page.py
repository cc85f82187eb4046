from octoprint_octorant.catalogue import EVENTS
from octoprint_octorant.page import MEDIA_LABELS, page_data
from octoprint_octorant.settings import defaults


def test_page_is_drawn_from_the_catalogue_and_the_settings_limits():
    data = page_data()
    assert [e["key"] for e in data["events"]] == [spec.key for spec in EVENTS]
    for event in data["events"]:
        assert event["variables"] and all(choice in MEDIA_LABELS for choice in event["media_choices"])
    stored = defaults()
    for group in ("progress", "snapshot", "delivery"):
        for field in data[f"{group}_limits"]:
            assert field["key"] in stored[group]
            assert field["minimum"] <= stored[group][field["key"]] <= field["maximum"]
    assert {t["type"] for t in data["channel_types"]} == {"discord", "apprise"}


def test_labels_are_translated_with_the_function_given():
    data = page_data(lambda text: text.upper())
    assert data["media_labels"]["both"] == "THUMBNAIL AND SNAPSHOT"
