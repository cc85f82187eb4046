"""Whatever a user types or a printer sends: never an exception, always a clear result.

Property-based (Hypothesis) over the layers that take outside input: templates, OctoPrint event
payloads, settings arriving through the API, progress samples.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from octoprint_octorant import settings as octorant_settings
from octoprint_octorant import templating
from octoprint_octorant.catalogue import BY_OCTOPRINT_EVENT, EVENTS
from octoprint_octorant.channels.discord import DiscordChannel, escape_value
from octoprint_octorant.model import Message
from octoprint_octorant.progress import ProgressSample, ProgressSettings, ProgressState, decide
from octoprint_octorant.router import EventConfig, PrinterState, Router, RouterConfig
from tools.discord_inbox import Received

# JSON-like values of any shape, as a REST client or a plugin may send them.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=15), children, max_size=4),
    max_leaves=12,
)
payloads = st.none() | st.dictionaries(
    st.sampled_from(["name", "path", "origin", "size", "user", "time", "reason", "error", "position",
                     "port", "baudrate", "local", "remote", "gcode", "movie", "new", "old", "x"]),
    json_values, max_size=8,
) | json_values

ALL_ON = RouterConfig(printer_name="P", events={spec.key: EventConfig(True) for spec in EVENTS})


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.dictionaries(st.text(max_size=10), json_values, max_size=5))
def test_any_template_renders_without_raising(template, variables):
    rendered = templating.render(template, variables, escape=escape_value)
    assert isinstance(rendered.text, str)
    assert all(isinstance(problem, str) for problem in rendered.problems)


@given(st.sampled_from(["{name.__class__}", "{name.__init__.__globals__}", "{x[0]}", "{name!r}",
                        "{name:>{width}}", "{{name}}", "{", "}", "{name", "{0}", "{}"]))
def test_attribute_and_index_access_never_reach_python_objects(template):
    text = templating.render(template, {"name": "part.gcode", "x": "abc", "width": "5"}).text
    assert "class" not in text.replace("__class__", "") and "<" not in text and "function" not in text


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(BY_OCTOPRINT_EVENT)), payloads)
def test_any_payload_for_any_event_routes_without_raising(event, payload):
    notification = Router().route(event, payload, PrinterState(), 1_700_000_000.0, ALL_ON)
    if notification is not None:
        for name, value in notification.variables.items():
            assert isinstance(value, (str, int)), (name, value)
        assert templating.render(EVENTS[0].default_message, notification.variables).text


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["printer_name", "channels", "events", "progress", "snapshot", "other"]),
                       json_values, max_size=5) | json_values)
def test_any_settings_from_the_api_validate_without_raising(new):
    clean, problems = octorant_settings.validate_all(new, octorant_settings.defaults())
    assert set(clean) >= {"channels", "events", "progress", "snapshot", "printer_name"}
    assert all(isinstance(p, str) and p for p in problems)
    assert set(clean["events"]) == {spec.key for spec in EVENTS}
    for value in clean["progress"].values():
        assert value is not None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0.1, 30)), max_size=60),
       st.sampled_from([0, 1, 5, 10, 12.5, 25, 30, 50]))
@example(samples=[(99.99999999999999, 1.0)], step=1)  # found by Hypothesis: it used to send "100 %"
def test_progress_never_repeats_a_step_and_never_sends_0_or_100(samples, step):
    config = ProgressSettings.from_mapping({"percent_step": step})
    state = ProgressState.start(0.0)
    now, sent = 0.0, []
    for percent, gap in sorted(samples):
        now += gap
        decision, state = decide(config, state, ProgressSample(now=now, file_percent=percent))
        if decision is not None and decision.reason == "percent":
            sent.append(decision.step)
    assert len(sent) == len(set(sent))
    assert all(0 < s < 100 for s in sent)
    if step == 0:
        assert sent == []


mention_text = st.lists(st.sampled_from(["@everyone", "@here", "<@123>", "<@!456>", "<@&789>", "**", "_", "`",
                                         "> ", "# ", "\n", "@", "<", ">", "&", "x", " ", "é", "🖨️"]),
                        max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(mention_text, st.sampled_from(["{name} started", "<@&777> {name}", "@here {name} done", "{name}"]))
def test_mentions_in_variables_never_ping_and_template_mentions_do(name, template):
    channel = DiscordChannel({"id": "d", "type": "discord", "url": "https://discord.com/api/webhooks/1/t"})
    rendered = templating.render(template, {"name": name}, escape=channel.escape_value)
    message = Message("print_started", rendered.text, template=template)
    received = Received(1, 0.0, "1", "t", {}, "json", channel.payload(message))
    expected = {"<@&777> {name}": ["role 777"], "@here {name} done": ["@here"]}.get(template, [])
    assert received.pings() == expected
    assert received.shown == template.replace("{name}", name)  # readable exactly as written


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=0, max_size=300).map(lambda s: s * 40))
def test_huge_and_non_ascii_values_fit_discord(value):
    channel = DiscordChannel({"id": "d", "type": "discord", "url": "https://discord.com/api/webhooks/1/t"})
    rendered = templating.render("{name} — {name}", {"name": value}, escape=channel.escape_value)
    message = channel.fit(Message("print_started", rendered.text or "x", template="{name} — {name}"))
    assert len(message.text) <= 2000
