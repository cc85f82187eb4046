"""Safe `{placeholder}` rendering for user-written message templates.

Templates are typed by users and rendered on worker threads, so rendering never raises, never
reaches into Python objects (no `{a.b}` or `{a[0]}`), and leaves anything it cannot fill visible
so the user sees what to fix. Problems are returned, not raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# A small, bounded subset of Python's format spec: alignment, sign, zero pad, width up to 3
# digits, grouping, precision up to 2 digits, type. Keeps `{progress:.1f}` and `{name:>20}`
# working without letting `{x:999999999}` allocate gigabytes.
_SPEC = re.compile(r"(?:.?[<>^=])?[+\- ]?0?\d{0,3}[,_]?(?:\.\d{1,2})?[bdeEfFgGnosxX%]?\Z")


@dataclass(frozen=True)
class Rendered:
    text: str
    problems: Tuple[str, ...] = ()


def _tokens(template: str):
    """Yield ("text", str) and ("field", inner) pieces; a brace that never closes is text."""
    i, n = 0, len(template)
    buf = []
    while i < n:
        ch = template[i]
        if ch == "{":
            if template.startswith("{{", i):
                buf.append("{")
                i += 2
                continue
            end = template.find("}", i + 1)
            nested = template.find("{", i + 1)
            if end == -1 or (nested != -1 and nested < end):
                buf.append(ch)  # broken brace: keep it visible
                i += 1
                continue
            if buf:
                yield "text", "".join(buf)
                buf = []
            yield "field", template[i + 1 : end]
            i = end + 1
        elif ch == "}":
            buf.append("}")
            i += 2 if template.startswith("}}", i) else 1
        else:
            buf.append(ch)
            i += 1
    if buf:
        yield "text", "".join(buf)


def fields(template: str) -> Tuple[str, ...]:
    """Names of the placeholders used in `template`, as written (may be invalid names)."""
    return tuple(inner for kind, inner in _tokens(str(template)) if kind == "field")


def _format_value(value: Any, spec: str) -> str:
    if value is None:
        return ""
    if spec:
        try:
            return format(value, spec)
        except (ValueError, TypeError):
            # A numeric spec on a text value, e.g. "{remaining:.0f}" with remaining unknown.
            return str(value)
    return str(value)


def render(
    template: Any,
    variables: Mapping[str, Any],
    escape: Optional[Callable[[str], str]] = None,
) -> Rendered:
    """Fill `{name}` placeholders from `variables`; `escape` is applied to every substituted value.

    Literal text written by the user is never escaped (their markdown and mentions are theirs).
    """
    if not isinstance(template, str):
        template = "" if template is None else str(template)
    parts = []
    problems: Dict[str, None] = {}  # ordered set
    for kind, inner in _tokens(template):
        if kind == "text":
            parts.append(inner)
            continue
        name, _, spec = inner.partition(":")
        name = name.strip()
        if "!" in name or not _NAME.match(name):
            problems[f"{{{inner}}} is not a plain variable name"] = None
            parts.append("{" + inner + "}")
            continue
        if name not in variables:
            problems[f"unknown variable {{{name}}}"] = None
            parts.append("{" + inner + "}")
            continue
        if spec and not _SPEC.match(spec):
            problems[f"format {{{inner}}} is not supported"] = None
            spec = ""
        value = _format_value(variables[name], spec)
        parts.append(escape(value) if escape else value)
    return Rendered("".join(parts), tuple(problems))


def check(template: Any, known: Tuple[str, ...]) -> Tuple[str, ...]:
    """Problems a template would have with the given variable names (for settings validation)."""
    return render(template, {name: "" for name in known}).problems
