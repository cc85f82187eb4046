import pytest

from octoprint_octorant.templating import check, fields, render

VARS = {"name": "benchy.gcode", "progress": 42, "remaining": None, "printer_name": "MK3"}


@pytest.mark.parametrize(
    "template, expected",
    [
        ("{name} is at {progress}%", "benchy.gcode is at 42%"),
        ("{progress:.1f} %", "42.0 %"),
        ("{name:>14}|", "  benchy.gcode|"),
        ("{{literal}} {name}", "{literal} benchy.gcode"),
        ("left: {remaining}", "left: "),
        ("", ""),
        ("no placeholders at all", "no placeholders at all"),
        ("{remaining:.0f}", ""),
    ],
)
def test_renders_known_variables(template, expected):
    result = render(template, VARS)
    assert result.text == expected
    assert result.problems == ()


@pytest.mark.parametrize(
    "template, visible",
    [
        ("{unknown} done", "{unknown} done"),
        ("{name.__class__}", "{name.__class__}"),
        ("{name.__class__.__mro__}", "{name.__class__.__mro__}"),
        ("{x[0]}", "{x[0]}"),
        ("{name!r}", "{name!r}"),
        ("{0}", "{0}"),
        ("{}", "{}"),
    ],
)
def test_never_reaches_into_objects_and_keeps_placeholder_visible(template, visible):
    result = render(template, VARS)
    assert result.text == visible
    assert len(result.problems) == 1
    assert "class" not in result.text.replace("__class__", "")


@pytest.mark.parametrize(
    "template, expected_text",
    [
        ("{name", "{name"),
        ("name}", "name}"),
        ("}{", "}{"),
        ("{{name}", "{name}"),
        ("{ {name}", "{ benchy.gcode"),
        ("{name} {", "benchy.gcode {"),
    ],
)
def test_broken_braces_never_stop_a_message(template, expected_text):
    assert render(template, VARS).text == expected_text


def test_absurd_format_spec_is_refused_not_allocated():
    result = render("{progress:999999999}", VARS)
    assert result.text == "42"
    assert result.problems and "not supported" in result.problems[0]


def test_escape_applies_to_values_only():
    result = render("**{name}**", {"name": "a*b"}, escape=lambda v: v.replace("*", r"\*"))
    assert result.text == r"**a\*b**"


def test_problems_are_reported_once_per_placeholder():
    assert render("{nope} {nope}", {}).problems == ("unknown variable {nope}",)


def test_non_string_templates_do_not_raise():
    assert render(None, VARS).text == ""
    assert render(12, VARS).text == "12"


def test_fields_and_check():
    assert fields("{a} and {b:.1f} {{c}}") == ("a", "b:.1f")
    assert check("{a} {zz}", ("a",)) == ("unknown variable {zz}",)
