"""Checks both dialects share: carousels, commands against the catalogue, names, the Plan.

Like every parser module, these append problems to the
:class:`~narrator.parser.context.Context` instead of raising.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from narrator import catalogue
from narrator.errors import Location
from narrator.parser.context import Context, dotted, show, suggest, type_name
from narrator.parser.fields import CAROUSEL_FIELDS, take
from narrator.parser.locate import Path
from narrator.parser.snowflakes import check_ids
from narrator.plan import Act, CarouselSpec, Plan

ACT_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*\Z")


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
            f"unknown platform '{platform}'{suggest(platform, known_platforms)}; "
            f"known platforms: {', '.join(known_platforms)}",
        )
        return
    spec = catalogue.lookup(platform, command)
    if spec is None:
        names = catalogue.command_names(platform)
        hint = suggest(command, names)
        fix = hint or _catalogue_hint(platform, command, names)
        ctx.value_problem(command_path, f"unknown {platform} command '{command}'{fix}")
        return
    for name in args:
        if name not in spec.args:
            hint = suggest(name, spec.args)
            fix = hint or f"; {command} takes: {', '.join(spec.args)}"
            if ctx.dialect == "botticelli":  # Botticelli's commands ignore what they do not read
                ctx.key_warning(
                    (*args_path, name),
                    f"unknown argument '{name}' for {command} is ignored (Botticelli's "
                    f"command ignores it too){fix}",
                )
                continue
            ctx.key_problem((*args_path, name), f"unknown argument '{name}' for {command}{fix}")
    given = catalogue.canonical_args(platform, args)  # a Botticelli spelling counts
    for name in spec.required_args:
        if name == "guild_id" or name in given:
            continue
        ctx.key_problem(
            args_path,
            f"{command} needs argument '{name}'; add {name} = ... to its args",
        )
    check_ids(ctx, platform, command, args, args_path)  # "YOUR_GUILD_ID_HERE" is no id


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


def check_name(ctx: Context, name: Any, path: Path, what: str) -> str | None:
    """An act name: a non-empty word of letters, digits, ``_`` and ``-``."""
    if not isinstance(name, str):
        ctx.value_problem(path, f'{what} name must be a string; write name = "my_act"')
        return None
    if not ACT_NAME.match(name):
        ctx.value_problem(
            path,
            f"{what} name {show(name)} is not a valid name; use letters, digits, '_' and '-' "
            'only, e.g. name = "setup_channel"',
        )
        return None
    return name


def check_narrative_name(ctx: Context, name: Any, path: Path, *, table: bool = False) -> None:
    """A narrative's name names files (``narrator convert`` writes ``OUT.NAME.toml`` for a
    composed one) and state keys: no ``/``, no ``\\``, no leading ``.`` (``../../x``)."""
    if isinstance(name, str) and ("/" in name or "\\" in name or name.startswith(".")):
        report = ctx.key_problem if table else ctx.value_problem  # [narrative.NAME] or name =
        report(
            path,
            f"narrative name {show(name)} may not contain '/' or '\\' or start with '.'; "
            "use letters, digits, '_' and '-', e.g. \"daily_digest\"",
        )


def check_output_var(ctx: Context, value: Any, path: Path) -> str | None:
    if not isinstance(value, str):
        ctx.value_problem(
            path,
            f"output_var must be a string, not {type_name(value)}; "
            'write output_var = "welcome_channel"',
        )
        return None
    if not value.strip() or value != value.strip() or any(ord(c) < 32 for c in value):
        ctx.value_problem(
            path,
            f"output_var {show(value)} is not a usable state key (empty, surrounding "
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
        capture_result_ids=meta.get("capture_result_ids", False),
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
