"""What both dialects share: problem collection, typed fields, commands, references.

Everything here appends :class:`~narrator.errors.Problem` objects to a
:class:`Context` instead of raising, so one pass over a file reports all of
its problems.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from narrator import catalogue
from narrator.errors import Location, Problem, did_you_mean
from narrator.interpolate import CONDITION_WORDS, CONTEXT_NAMES, DEFAULT_SECRET_ENV, Ref
from narrator.parser.locate import Locator, Path
from narrator.plan import Act, BotCommandInput, CarouselSpec, Plan

ACT_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*\Z")
_REF_MARKERS = ("{", "<state.", "${")


@dataclass
class Context:
    """One file being parsed: where problems go and how to locate them."""

    source: str
    locator: Locator
    problems: list[Problem] = field(default_factory=list)
    # environment variables a narrative may not read (narrator.config.secret_env_names)
    secrets: frozenset[str] = DEFAULT_SECRET_ENV

    def at_key(self, path: Path) -> Location:
        line, col = self.locator.key(path)
        return Location(self.source, line, col)

    def at_value(self, path: Path) -> Location:
        line, col = self.locator.value(path)
        return Location(self.source, line, col)

    def at_inside(self, path: Path, offset: int) -> Location:
        line, col = self.locator.inside(path, offset)
        return Location(self.source, line, col)

    def key_problem(self, path: Path, message: str) -> None:
        self.problems.append(Problem(self.at_key(path), message))

    def value_problem(self, path: Path, message: str) -> None:
        self.problems.append(Problem(self.at_value(path), message))

    def inside_problem(self, path: Path, offset: int, message: str) -> None:
        self.problems.append(Problem(self.at_inside(path, offset), message))


def dotted(path: Path) -> str:
    """``("act", 2, "input", 0, "args")`` → ``act[2].input[0].args`` for messages."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _hint(name: str, candidates: Any) -> str:
    hint = did_you_mean(name, list(candidates))
    return f"; {hint}" if hint else ""


# --------------------------------------------------------------------- typed fields


@dataclass(frozen=True)
class Field:
    """How one key is checked: a converter returning the value or raising ValueError."""

    convert: Callable[[Any], Any]
    expected: str  # "a string", "an integer >= 1", ...
    example: str  # the fix: "temperature = 0.7"


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 40 else text[:37] + "..."


def as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError
    return value


def as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError
    return value


def as_int(minimum: int | None = None) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError
        if minimum is not None and value < minimum:
            raise ValueError
        return value

    return convert


def as_number(minimum: float | None = None, *, strict: bool = False) -> Callable[[Any], float]:
    def convert(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError
        number = float(value)
        if number != number:  # NaN
            raise ValueError
        if minimum is not None and (number <= minimum if strict else number < minimum):
            raise ValueError
        return number

    return convert


def as_choice(*choices: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in choices:
            raise ValueError
        return str(value)

    return convert


def as_str_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError
    return tuple(value)


def as_table(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError
    return value


def as_duration(value: Any) -> float:
    """Seconds: a number, or a DURATION string like ``30s``, ``5m``, ``1h30m``."""
    if isinstance(value, str):
        from narrator.durations import parse_duration
        from narrator.errors import UsageError

        try:
            return parse_duration(value)
        except UsageError:
            raise ValueError from None
    return as_number(0.0)(value)


def take(
    ctx: Context,
    table: Mapping[str, Any],
    path: Path,
    fields: Mapping[str, Field],
    *,
    what: str,
    ignored: frozenset[str] = frozenset(),
    skip: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Check ``table`` against ``fields``; return the converted values that passed.

    Unknown keys are problems (with "did you mean"), except ``ignored`` keys
    (accepted and dropped) and ``skip`` keys (handled by the caller).
    """
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key in skip or key in ignored:
            continue
        spec = fields.get(key)
        if spec is None:
            known = sorted(set(fields) | skip | ignored)
            hint = _hint(key, known)
            fix = "" if hint else f"; known keys: {', '.join(known)}"
            ctx.key_problem((*path, key), f"unknown key '{key}' in {what}{hint}{fix}")
            continue
        try:
            out[key] = spec.convert(value)
        except ValueError:
            ctx.value_problem(
                (*path, key),
                f"{key} must be {spec.expected}, not {_type_name(value)} ({_show(value)}); "
                f"write {spec.example}",
            )
    return out


CAROUSEL_FIELDS: dict[str, Field] = {
    "iterations": Field(as_int(1), "an integer >= 1", "iterations = 5"),
    "estimated_tokens_per_iteration": Field(
        as_int(0), "an integer >= 0", "estimated_tokens_per_iteration = 500"
    ),
    "continue_on_error": Field(as_bool, "true or false", "continue_on_error = true"),
    "interval": Field(
        as_duration, 'seconds or a duration like "30s"', 'interval = "5m" (or interval = 300)'
    ),
    "until": Field(as_str, "a string (a condition)", 'until = "{state.done}"'),
    "on_budget": Field(as_choice("stop", "wait"), '"stop" or "wait"', 'on_budget = "stop"'),
}


def carousel(ctx: Context, value: Any, path: Path) -> CarouselSpec | None:
    """A ``[carousel]`` table (any of its three places) as a CarouselSpec."""
    if not isinstance(value, dict):
        ctx.value_problem(
            path, f"{dotted(path)} must be a table; write [{dotted(path)}] with iterations = N"
        )
        return None
    values = take(ctx, value, path, CAROUSEL_FIELDS, what=f"[{dotted(path)}]")
    return CarouselSpec(**values, location=ctx.at_key(path))


# ------------------------------------------------------------------------- commands


def check_command(
    ctx: Context,
    platform: str,
    command: str,
    args: Mapping[str, Any],
    *,
    command_path: Path,
    platform_path: Path,
    args_path: Path,
) -> None:
    """Unknown platform / command / argument, and missing required arguments."""
    known_platforms = catalogue.platforms()
    if platform not in known_platforms:
        ctx.value_problem(
            platform_path,
            f"unknown platform '{platform}'{_hint(platform, known_platforms)}; "
            f"known platforms: {', '.join(known_platforms)}",
        )
        return
    spec = catalogue.lookup(platform, command)
    if spec is None:
        names = catalogue.command_names(platform)
        hint = _hint(command, names)
        fix = hint or _catalogue_hint(platform, command, names)
        ctx.value_problem(command_path, f"unknown {platform} command '{command}'{fix}")
        return
    for name in args:
        if name not in spec.args:
            hint = _hint(name, spec.args)
            fix = hint or f"; {command} takes: {', '.join(spec.args)}"
            ctx.key_problem((*args_path, name), f"unknown argument '{name}' for {command}{fix}")
    for name in spec.required_args:
        if name == "guild_id" or name in args:
            continue
        ctx.key_problem(
            args_path,
            f"{command} needs argument '{name}'; add {name} = ... to its args",
        )


def bot_command(
    ctx: Context,
    platform: str,
    command: str,
    args: dict[str, Any],
    location: Location,
) -> BotCommandInput:
    return BotCommandInput(platform=platform, command=command, args=args, location=location)


# ----------------------------------------------------------------------- references


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
                    fix = _hint(name, known) or (
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


def _catalogue_hint(platform: str, command: str, names: tuple[str, ...]) -> str:
    """The commands of the group ``command`` names, else every group (installed users
    have no docs/ beside them, so the hint carries the catalogue)."""
    group = command.partition(".")[0]
    same = [n for n in names if n.partition(".")[0] == group]
    if same:
        return f"; the {group} commands are {', '.join(same)}"
    groups = sorted({n.partition(".")[0] for n in names})
    return (
        f"; {platform} commands are GROUP.ACTION (e.g. {names[0]}) "
        f"with GROUP one of {', '.join(groups)}"
    )


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
        hint = _hint(name, act_positions)
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


def check_name(ctx: Context, name: Any, path: Path, what: str) -> str | None:
    """An act name: a non-empty word of letters, digits, ``_`` and ``-``."""
    if not isinstance(name, str):
        ctx.value_problem(path, f'{what} name must be a string; write name = "my_act"')
        return None
    if not ACT_NAME.match(name):
        ctx.value_problem(
            path,
            f"{what} name {_show(name)} is not a valid name; use letters, digits, '_' and '-' "
            'only, e.g. name = "setup_channel"',
        )
        return None
    return name


def check_output_var(ctx: Context, value: Any, path: Path) -> str | None:
    if not isinstance(value, str):
        ctx.value_problem(
            path,
            f"output_var must be a string, not {_type_name(value)}; "
            'write output_var = "welcome_channel"',
        )
        return None
    if not value.strip() or value != value.strip() or any(ord(c) < 32 for c in value):
        ctx.value_problem(
            path,
            f"output_var {_show(value)} is not a usable state key (empty, surrounding "
            'whitespace or control characters); write e.g. output_var = "welcome_channel"',
        )
        return None
    return value


def schema_from(ctx: Context, value: Any, path: Path) -> dict[str, Any] | None:
    """``schema``: an inline JSON-Schema table, or a list of required field names."""
    if isinstance(value, dict):
        return value
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        return {
            "type": "object",
            "properties": {name: {} for name in value},
            "required": list(value),
        }
    ctx.value_problem(
        path,
        "schema must be a JSON-Schema table or a list of field names; "
        'write schema = ["title", "body"]',
    )
    return None


def plan_of(
    ctx: Context,
    meta: Mapping[str, Any],
    *,
    dialect: str,
    carousel_spec: CarouselSpec | None,
    acts: list[Act],
    at: tuple[int, int],
) -> Plan:
    """The Plan of a checked narrative; both dialects build it here."""
    return Plan(
        name=meta.get("name") or default_name(ctx.source),
        description=meta.get("description", ""),
        source=ctx.source,
        dialect=dialect,  # type: ignore[arg-type]
        guild_id=meta.get("guild_id"),
        model=meta.get("model"),
        system=meta.get("system"),
        allow_destructive=meta.get("allow_destructive", False),
        concurrency=meta.get("concurrency", 1),
        budget_multiplier=meta.get("budget_multiplier", 1.0),
        carousel=carousel_spec,
        acts=tuple(acts),
        location=Location(ctx.source, *at),
    )


def default_name(source: str) -> str:
    """A narrative without a name is called after its file."""
    import os

    if source.startswith("<"):
        return "narrative"
    stem = os.path.splitext(os.path.basename(source))[0]
    return stem or "narrative"
