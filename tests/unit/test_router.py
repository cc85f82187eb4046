import datetime

import pytest

from octoprint_octorant.catalogue import EVENTS, EVENTS_BY_KEY
from octoprint_octorant.router import EventConfig, PrinterState, Router, RouterConfig, progress_percent
from octoprint_octorant.templating import render

WALL = datetime.datetime(2026, 11, 24, 14, 0, 0).timestamp()
ALL_ON = RouterConfig(
    printer_name="MK3",
    events={spec.key: EventConfig(True, spec.default_media) for spec in EVENTS},
)
PRINTING = PrinterState.from_octoprint(
    {
        "state": {"flags": {"printing": True}},
        "job": {"file": {"name": "benchy.gcode", "path": "boats/benchy.gcode", "origin": "local", "size": 2345678}},
        "progress": {"completion": 30.0, "printTime": 3600, "printTimeLeft": 1200},
        "currentZ": 12.4,
    },
    {"tool0": {"actual": 214.8, "target": 215}, "bed": {"actual": 60, "target": 60}},
)


def route(event, payload=None, state=PRINTING, router=None, config=ALL_ON):
    return (router or Router()).route(event, payload, state, WALL, config)


def test_print_started_has_file_job_and_printer_variables():
    n = route("PrintStarted", {"name": "benchy.gcode", "path": "boats/benchy.gcode", "origin": "local",
                                "size": 2345678, "user": "maker"})
    assert n.kind == "print_started"
    v = n.variables
    assert v["name"] == "benchy.gcode" and v["user"] == "maker" and v["printer_name"] == "MK3"
    assert v["size_formatted"] == "2.3 MB"
    # Percent from the time estimate: 3600 / (3600 + 1200) = 75 %, not the file's 30 %.
    assert v["progress"] == 75
    assert v["remaining_formatted"] == "20 min" and v["eta"] == "14:20"
    assert v["elapsed_formatted"] == "1 h 0 min"
    assert "Tool 0: 214.8/215.0 °C" in v["temperatures"] and "Bed: 60.0/60.0 °C" in v["temperatures"]


def test_file_position_percent_is_an_option():
    assert progress_percent(PRINTING, "file") == 30.0
    assert progress_percent(PRINTING, "estimate") == 75.0
    no_estimate = PrinterState(completion=12.0, print_time=10.0, print_time_left=None)
    assert progress_percent(no_estimate, "estimate") == 12.0


def test_cancel_gives_exactly_one_message():
    router = Router()
    messages = [route(e, p, router=router) for e, p in [
        ("PrintCancelling", {"name": "benchy.gcode"}),
        ("PrintCancelled", {"name": "benchy.gcode", "time": 61.2, "position": {"x": 1, "y": 2, "z": 3}}),
        ("PrintFailed", {"name": "benchy.gcode", "time": 61.2, "reason": "cancelled"}),
    ]]
    kinds = [m.kind for m in messages if m is not None]
    assert kinds == ["print_cancelled"]
    cancelled = [m for m in messages if m][0]
    assert cancelled.variables["time_formatted"] == "1 min 1 s"
    assert cancelled.variables["position"] == "X: 1.0, Y: 2.0, Z: 3.0"


def test_failure_for_any_other_reason_gives_failed_with_last_error():
    router = Router()
    route("PrintStarted", {"name": "a.gcode"}, router=router)
    error = route("Error", {"error": "Thermal Runaway", "reason": "firmware", "consequence": "emergency"},
                  router=router)
    failed = route("PrintFailed", {"name": "a.gcode", "time": 10, "reason": "error"}, router=router)
    assert error.kind == "printer_error" and error.variables["error"] == "Thermal Runaway"
    assert failed.kind == "print_failed"
    assert failed.variables["reason"] == "error" and failed.variables["error"] == "Thermal Runaway"


def test_error_text_does_not_leak_into_the_next_print():
    router = Router()
    route("Error", {"error": "old"}, router=router)
    route("PrintStarted", {"name": "b.gcode"}, router=router)
    assert route("PrintFailed", {"reason": "error"}, router=router).variables["error"] == ""


def test_disabled_event_gives_nothing_and_unknown_events_are_ignored():
    config = RouterConfig(events={"print_done": EventConfig(False)})
    assert route("PrintDone", {"name": "x"}, config=config) is None
    assert route("ClientOpened", {}) is None
    assert route("ZChange", {"new": 1}) is None


def test_shutdown_is_announced_once():
    router = Router()
    assert route("Shutdown", router=router) is not None
    assert route("Shutdown", router=router) is None


@pytest.mark.parametrize("payload", [None, {}, {"name": None, "time": "abc", "position": "nope"},
                                     {"name": 5, "size": -1, "time": float("nan")}, "garbage", [1, 2]])
@pytest.mark.parametrize("event", sorted({e for spec in EVENTS for e in spec.octoprint_events}))
def test_odd_payloads_never_raise(event, payload):
    n = route(event, payload, state=PrinterState())
    if n is not None:
        spec = EVENTS_BY_KEY[n.kind]
        assert set(spec.variable_names) <= set(n.variables)


@pytest.mark.parametrize("spec", EVENTS, ids=lambda s: s.key)
def test_every_default_message_renders_with_its_own_variables(spec):
    result = render(spec.default_message, spec.samples())
    assert result.problems == ()
    assert "{" not in result.text


@pytest.mark.parametrize("spec", EVENTS, ids=lambda s: s.key)
def test_router_offers_every_catalogued_variable(spec):
    router = Router()
    if spec.key == "print_progress":
        n = router.progress("percent", PRINTING, WALL, ALL_ON)
    else:
        n = route(spec.octoprint_events[0], {"reason": "error"} if spec.key == "print_failed" else {},
                  router=router)
    assert n is not None and n.kind == spec.key
    assert set(spec.variable_names) <= set(n.variables), set(spec.variable_names) - set(n.variables)


LEGACY_NAMES = ["name", "path", "origin", "time", "time_formatted", "progress", "spent", "remaining",
                "spent_formatted", "remaining_formatted", "error", "reason", "position"]


@pytest.mark.parametrize("legacy", LEGACY_NAMES)
def test_legacy_variable_names_exist_somewhere(legacy):
    assert any(legacy in spec.variable_names for spec in EVENTS)


def test_payload_is_not_modified():
    payload = {"name": "x.gcode", "time": 5}
    before = dict(payload)
    route("PrintDone", payload)
    assert payload == before


def test_percent_shown_never_goes_backwards_within_a_print():
    router = Router()
    config = RouterConfig(printer_name="P", events={k: EventConfig(True) for k in ("print_paused", "print_resumed")})
    router.route("PrintStarted", {"name": "a.gcode"}, PrinterState(printing=True), 0.0, config)
    paused = router.route("PrintPaused", {"name": "a.gcode", "position": {"x": 1, "y": 2, "z": 0.4}},
                          PrinterState(completion=7.0), 0.0, config)
    # Right after a resume OctoPrint's fresh estimate can read lower than the pause did.
    resumed = router.route("PrintResumed", {"name": "a.gcode"},
                           PrinterState(printing=True, print_time=1, print_time_left=60), 0.0, config)
    assert paused.variables["progress"] == 7
    assert resumed.variables["progress"] == 7
    assert resumed.variables["position"] == paused.variables["position"] == "X: 1.0, Y: 2.0, Z: 0.4"
    router.route("PrintStarted", {"name": "b.gcode"}, PrinterState(printing=True), 0.0, config)
    again = router.route("PrintPaused", {"name": "b.gcode"}, PrinterState(completion=1.0), 0.0, config)
    assert again.variables["progress"] == 1 and again.variables["position"] == "unknown"
