"""References inside a file's strings: malformed templates, unknown or later acts, secrets.

The parser's half of interpolation: what a template *reads* is asked of
:mod:`narrator.interpolate` (:func:`~narrator.interpolate.scan`,
:func:`~narrator.interpolate.check`, :func:`~narrator.interpolate.free_names`),
never of jinja2; this module turns the answers into located problems.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from narrator.interpolate import CONDITION_WORDS, CONTEXT_NAMES, Ref
from narrator.parser.context import Context, suggest
from narrator.parser.locate import Path

_REF_MARKERS = ("{", "<state.", "${")


@dataclass(frozen=True)
class StringSite:
    """A string of the file that may hold references, and where it is."""

    text: str
    path: Path
    bare_condition: bool = False  # skip_if / until: a bare jinja expression is allowed
    # Botticelli strings are rewritten; this maps offsets back to the original text
    offset_map: Callable[[int], int] | None = None


def strings_in(value: Any, path: Path) -> list[StringSite]:
    """Every string inside ``value`` (recursing through tables and arrays)."""
    if isinstance(value, str):
        return [StringSite(value, path)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings_in(v, (*path, k))]
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in strings_in(v, (*path, i))]
    return []


_JINJA_ENV_ATTR = re.compile(r"\benv\s*(?:\.\s*([A-Za-z_]\w*)|\[\s*['\"]([^'\"]+)['\"]\s*\])")
_ENV_IN_SEGMENT = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_JINJA_ACT_ATTR = re.compile(r"\bact\s*(?:\.\s*([A-Za-z_][\w-]*)|\[\s*['\"]([^'\"]+)['\"]\s*\])")


def check_references(
    ctx: Context,
    site: StringSite,
    *,
    act_index: int,
    act_positions: Mapping[str, int],
    act_label: str,
) -> None:
    """Problems for malformed templates and references to unknown or later acts."""
    text = site.text
    if site.bare_condition and text.strip().lower() in CONDITION_WORDS:
        return
    if not site.bare_condition and not any(marker in text for marker in _REF_MARKERS):
        return
    from narrator.interpolate import TemplateSyntaxError, scan

    def report(offset: int, message: str) -> None:
        raw = site.offset_map(offset) if site.offset_map else offset
        ctx.inside_problem(site.path, raw, message)

    try:
        refs = scan(text)
    except TemplateSyntaxError as exc:
        fix = f"; {exc.hint}" if exc.hint else ""
        report(exc.offset, f"malformed template in {act_label}: {exc.message}{fix}")
        return
    if site.bare_condition and not refs and text.strip():
        _check_bare_condition(ctx, site, act_index, act_positions, act_label)
        return
    free: frozenset[str] | None = None  # names the whole template reads (loops bind others)
    if any(ref.kind == "jinja" for ref in refs):
        from narrator.interpolate import check, free_names

        try:
            check(text)
        except TemplateSyntaxError as exc:
            fix = f"; {exc.hint}" if exc.hint else ""
            report(exc.offset, f"malformed template in {act_label}: {exc.message}{fix}")
            return
        free = free_names(text)
    _check_secrets(ctx, text, refs, report, act_label)
    for ref in refs:
        if ref.kind == "act":
            _check_act_name(ref.path[0], ref.start, report, act_index, act_positions, act_label)
        elif ref.kind == "jinja":
            block = text[ref.start : ref.end]
            names = set(ref.names) - CONTEXT_NAMES
            if free is not None:
                names &= free
            for name in sorted(names):
                if name in act_positions:
                    offset = ref.start + max(0, block.find(name))
                    _check_act_name(name, offset, report, act_index, act_positions, act_label)
                else:
                    offset = ref.start + max(0, block.find(name))
                    known = sorted(set(act_positions) | CONTEXT_NAMES)
                    fix = suggest(name, known) or (
                        "; jinja sees state, act, env, carousel, run and earlier acts by name"
                    )
                    report(offset, f"unknown name '{name}' in template of {act_label}{fix}")
            if "act" in ref.names:
                for m in _JINJA_ACT_ATTR.finditer(block):
                    name = m.group(1) or m.group(2)
                    start = ref.start + m.start(1 if m.group(1) else 2)
                    _check_act_name(name, start, report, act_index, act_positions, act_label)


def _check_secrets(
    ctx: Context,
    text: str,
    refs: tuple[Ref, ...],
    report: Callable[[int, str], None],
    act_label: str,
) -> None:
    """``${DISCORD_TOKEN}`` or ``{{ env.OPENAI_API_KEY }}``: a secret, never readable."""
    if not ctx.secrets:
        return
    from narrator.interpolate import secret_message

    def found(name: str, offset: int) -> None:
        if name in ctx.secrets:
            message, hint = secret_message(name)
            report(offset, f"{act_label}: {message}; {hint}")

    for ref in refs:
        if ref.kind == "env":
            found(ref.path[0], ref.start)
        elif ref.kind == "jinja":
            block = text[ref.start : ref.end]
            if "env" in ref.names:
                for m in _JINJA_ENV_ATTR.finditer(block):
                    group = 1 if m.group(1) else 2
                    found(m.group(group), ref.start + m.start(group))
        else:
            raw = text[ref.start : ref.end]
            for m in _ENV_IN_SEGMENT.finditer(raw):
                found(m.group(1), ref.start + m.start())


def _check_act_name(
    name: str,
    offset: int,
    report: Callable[[int, str], None],
    act_index: int,
    act_positions: Mapping[str, int],
    act_label: str,
) -> None:
    position = act_positions.get(name)
    if position is None:
        hint = suggest(name, act_positions)
        fix = hint or "; refer to an act defined earlier in this file"
        report(offset, f"{act_label} refers to unknown act '{name}'{fix}")
    elif position == act_index:
        report(
            offset,
            f"{act_label} refers to its own output; "
            "an act can only use the outputs of acts before it (store values with output_var)",
        )
    elif position > act_index:
        report(
            offset,
            f"{act_label} refers to act '{name}', which runs later; "
            f"move act '{name}' before it, or read a stored value with {{state.KEY}}",
        )


def _check_bare_condition(
    ctx: Context,
    site: StringSite,
    act_index: int,
    act_positions: Mapping[str, int],
    act_label: str,
) -> None:
    """``skip_if = "state.count >= 3"``: check it as the jinja expression it is."""
    wrapped = "{{ " + site.text + " }}"
    shifted = StringSite(
        wrapped,
        site.path,
        offset_map=lambda offset: max(0, min(offset - 3, len(site.text))),
    )
    check_references(
        ctx, shifted, act_index=act_index, act_positions=act_positions, act_label=act_label
    )
