"""Botticelli references rewritten into native ones: ``{{act}}``, ``${state:key}``, ...

The table of mappings is in :mod:`narrator.parser.botticelli`; offsets in the
rewritten text map back to the original, so problems point at what was written.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from narrator.interpolate import CONTEXT_NAMES
from narrator.parser.context import Context
from narrator.parser.references import StringSite
from narrator.plan import BotCommandInput, Input, TextInput

_BOTT_TEMPLATE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}|\$\{([^{}]*)\}")
_DOTTED = re.compile(r"[A-Za-z_][\w-]*(?:\.[\w-]+)*\Z")


def translate(
    text: str, acts: dict[str, int], previous: str | None
) -> tuple[str, Callable[[int], int], list[tuple[int, str]]]:
    """Rewrite Botticelli references in ``text`` into native ones.

    Returns the new text, a function mapping offsets in it back to offsets in
    ``text``, and problems found on the way (offset in ``text``, message).
    """
    if "{{" not in text and "${" not in text:
        return text, lambda offset: offset, []
    out: list[str] = []
    spans: list[tuple[int, int, int, int]] = []  # orig start/end, new start/end
    problems: list[tuple[int, str]] = []
    last = 0
    length = 0
    for match in _BOTT_TEMPLATE.finditer(text):
        replacement = _replacement(match, acts, previous, problems)
        if replacement is None:
            continue
        piece = text[last : match.start()]
        out.append(piece)
        length += len(piece)
        spans.append((match.start(), match.end(), length, length + len(replacement)))
        out.append(replacement)
        length += len(replacement)
        last = match.end()
    out.append(text[last:])

    def back(offset: int) -> int:
        delta = 0
        for orig_start, orig_end, new_start, new_end in spans:
            if offset < new_start:
                break
            if offset < new_end:
                return orig_start
            delta = new_end - orig_end
        return max(0, offset - delta)

    return "".join(out), back, problems


def _replacement(
    match: re.Match[str],
    acts: dict[str, int],
    previous: str | None,
    problems: list[tuple[int, str]],
) -> str | None:
    jinja, dollar = match.group(1), match.group(2)
    if jinja is not None:
        inner = jinja.strip()
        if inner == "previous":
            if previous is None:
                problems.append(
                    (match.start(), "{{previous}} in the first act has nothing to read")
                )
                return None
            return f"{{act.{previous}.output}}"
        if not _DOTTED.match(inner):
            return None  # a jinja expression: leave it to jinja
        head, _, rest = inner.partition(".")
        if head in CONTEXT_NAMES and head not in acts:
            return None  # native jinja: {{ state.x }}
        return f"{{act.{head}.output{'.' + rest if rest else ''}}}"
    inner = dollar.strip()
    if inner.startswith("state:"):
        key = inner[len("state:") :].strip()
        return f"{{state.{key}}}" if key else None
    if inner.startswith("env:"):
        var = inner[len("env:") :].strip()
        return f"${{{var}}}" if var else None
    head, _, rest = inner.partition(".")
    if head in acts:
        return f"{{act.{head}.output{'.' + rest if rest else ''}}}"
    if rest and _DOTTED.match(inner):
        return f"{{act.{head}.output.{rest}}}"  # reported as an unknown act
    return None  # ${VAR}: an environment variable


def translate_site(
    ctx: Context, site: StringSite, acts: dict[str, int], previous: str | None, label: str
) -> StringSite:
    new, back, problems = translate(site.text, acts, previous)
    for offset, message in problems:
        ctx.inside_problem(site.path, offset, f"{label}: {message}")
    if new is site.text:
        return site
    return StringSite(new, site.path, site.bare_condition, offset_map=back)


def _translate_value(value: Any, acts: dict[str, int], previous: str | None) -> Any:
    if isinstance(value, str):
        return translate(value, acts, previous)[0]
    if isinstance(value, dict):
        return {k: _translate_value(v, acts, previous) for k, v in value.items()}
    if isinstance(value, list):
        return [_translate_value(v, acts, previous) for v in value]
    return value


def translated_input(item: Input, acts: dict[str, int], previous: str | None) -> Input:
    if isinstance(item, TextInput):
        return dataclasses.replace(item, content=translate(item.content, acts, previous)[0])
    if not isinstance(item, BotCommandInput):  # media: no references inside
        return item
    return dataclasses.replace(item, args=_translate_value(item.args, acts, previous))
