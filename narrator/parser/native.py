"""The native narrative format (DESIGN §3): ``[narrative]``, ``[carousel]``, ``[[act]]``."""

from __future__ import annotations

from typing import Any

from narrator.media import MEDIA_KINDS
from narrator.parser.checks import (
    carousel,
    check_command,
    check_name,
    check_narrative_name,
    check_output_var,
    plan_of,
    schema_from,
)
from narrator.parser.context import Context, dotted
from narrator.parser.fields import (
    ACT_FIELDS,
    ACT_SPECIAL,
    COMMAND_FIELDS,
    INPUT_TYPES,
    NARRATIVE_FIELDS,
    TEXT_FIELDS,
    take,
)
from narrator.parser.fields import NATIVE_TOP_KEYS as TOP_KEYS
from narrator.parser.locate import Path
from narrator.parser.media import native_media, native_text_file, with_file_args
from narrator.parser.nested import nested_act
from narrator.parser.references import StringSite, check_references, strings_in
from narrator.parser.tables import (
    CONTENT_PLATFORMS,
    check_content_command,
    native_store,
    table_input,
)
from narrator.plan import Act, BotCommandInput, CarouselSpec, Input, Plan, TextInput


def parse_native(ctx: Context, data: dict[str, Any]) -> Plan:
    """Build the plan of a native-format file; problems go to ``ctx``."""
    for key in data:
        if key not in TOP_KEYS:
            from narrator.errors import did_you_mean

            hint = did_you_mean(key, TOP_KEYS)
            fix = f"; {hint}" if hint else "; top-level tables are [narrative], [carousel], [[act]]"
            ctx.key_problem((key,), f"unknown top-level key '{key}'{fix}")

    head_key = "narrative" if "narrative" in data else "metadata"
    meta: dict[str, Any] = {}
    plan_carousel: CarouselSpec | None = None
    if "narrative" in data and "metadata" in data:
        ctx.key_problem(
            ("metadata",), "both [narrative] and [metadata]; keep one (they mean the same)"
        )
    head = data.get(head_key)
    if head is not None:
        if not isinstance(head, dict):
            ctx.value_problem((head_key,), f"{head_key} must be a table; write [{head_key}]")
        else:
            meta = take(
                ctx,
                head,
                (head_key,),
                NARRATIVE_FIELDS,
                what=f"[{head_key}]",
                skip=frozenset({"carousel"}),
            )
            check_narrative_name(ctx, meta.get("name"), (head_key, "name"))
            if "carousel" in head:
                plan_carousel = carousel(ctx, head["carousel"], (head_key, "carousel"))
    if "carousel" in data:
        if plan_carousel is not None:
            ctx.key_problem(
                ("carousel",),
                f"two carousels: [carousel] and [{head_key}.carousel]; keep one",
            )
        else:
            plan_carousel = carousel(ctx, data["carousel"], ("carousel",))

    acts = _acts(ctx, data.get("act"), meta)
    at = ctx.locator.key((head_key,)) if head is not None else (1, 1)
    return plan_of(ctx, meta, dialect="native", carousel_spec=plan_carousel, acts=acts, at=at)


def _acts(ctx: Context, raw: Any, meta: dict[str, Any]) -> list[Act]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
        ctx.value_problem(("act",), "act must be an array of tables; write each act as [[act]]")
        return []
    # first pass: names and positions, so references can tell unknown from later
    positions: dict[str, int] = {}
    names: list[str | None] = []
    for index, table in enumerate(raw):
        path: Path = ("act", index)
        if "name" not in table:
            ctx.key_problem(path, f'act #{index + 1} has no name; add name = "..." under [[act]]')
            names.append(None)
            continue
        name = check_name(ctx, table["name"], (*path, "name"), "act")
        if name is not None and name in positions:
            ctx.value_problem(
                (*path, "name"),
                f"duplicate act name '{name}' (first at act #{positions[name] + 1}); "
                "give each act its own name",
            )
            name = None
        elif name is not None:
            positions[name] = index
        names.append(name)
    acts: list[Act] = []
    for index, table in enumerate(raw):
        act = _act(ctx, table, ("act", index), index, names[index], positions)
        if act is not None:
            acts.append(act)
    return acts


def _act(
    ctx: Context,
    table: dict[str, Any],
    path: Path,
    index: int,
    name: str | None,
    positions: dict[str, int],
) -> Act | None:
    label = f"act '{name}'" if name else f"act #{index + 1}"
    values = take(ctx, table, path, ACT_FIELDS, what=label, skip=ACT_SPECIAL)
    values.pop("name", None)
    sites: list[StringSite] = []
    if "skip_if" in values:
        sites.append(StringSite(values["skip_if"], (*path, "skip_if"), bare_condition=True))
    if "system" in values:
        sites.append(StringSite(values["system"], (*path, "system")))
    if "output_var" in table:
        values["output_var"] = check_output_var(ctx, table["output_var"], (*path, "output_var"))
    if "schema" in table:
        schema = schema_from(ctx, table["schema"], (*path, "schema"))
        if schema is not None:
            values["schema"] = schema
            if values.get("output") == "text":
                ctx.value_problem(
                    (*path, "output"),
                    f'{label} has a schema but output = "text"; remove output or write '
                    'output = "json"',
                )
            values["output"] = "json"
    if "carousel" in table:
        spec = carousel(ctx, table["carousel"], (*path, "carousel"))
        if spec is not None:
            values["carousel"] = spec
            if spec.until is not None:
                sites.append(
                    StringSite(spec.until, (*path, "carousel", "until"), bare_condition=True)
                )
    inputs = _inputs(ctx, table.get("input"), path, label, sites)
    native_store(ctx, values, inputs, path, label)  # store = "TABLE", table inputs
    subplan = nested_act(ctx, table, path)  # narrative = "stem"
    if not inputs and "input" not in table and "narrative" not in table:
        ctx.key_problem(
            path,
            f'{label} has no inputs; add an [[act.input]] of type "text" or "bot_command"',
        )
    for site in sites:
        check_references(ctx, site, act_index=index, act_positions=positions, act_label=label)
    if name is None:
        return None
    values.pop("narrative", None)
    joins = values.pop("narrative_joins", False) and subplan is not None
    return Act(
        name=name,
        inputs=tuple(inputs),
        subplan=subplan,
        subplan_joins=joins,
        location=ctx.at_key(path),
        **values,
    )


def _inputs(
    ctx: Context, raw: Any, act_path: Path, label: str, sites: list[StringSite]
) -> list[Input]:
    if raw is None:
        return []
    path: Path = (*act_path, "input")
    if not isinstance(raw, list) or not all(isinstance(i, dict) for i in raw):
        ctx.value_problem(path, f"{label}: input must be an array of tables; write [[act.input]]")
        return []
    if not raw:
        ctx.value_problem(path, f"{label} has no inputs; add an [[act.input]]")
    inputs: list[Input] = []
    for index, table in enumerate(raw):
        item = native_input(ctx, table, (*path, index), label, sites)
        if item is not None:
            inputs.append(item)
    return inputs


def native_input(
    ctx: Context,
    table: dict[str, Any],
    path: Path,
    label: str,
    sites: list[StringSite],
    *,
    ignored: frozenset[str] = frozenset(),
) -> Input | None:
    """One ``[[act.input]]`` table (also used by the Botticelli dialect)."""
    kind = table.get("type")
    if kind is None:
        kind = "bot_command" if "command" in table else "text"
    if kind not in INPUT_TYPES:
        from narrator.errors import did_you_mean

        hint = did_you_mean(str(kind), INPUT_TYPES)
        ctx.value_problem(
            (*path, "type"),
            f"unknown input type {kind!r} in {label}"
            + (f"; {hint}" if hint else '; use type = "text" or type = "bot_command"'),
        )
        return None
    location = ctx.at_key(path)
    if kind == "table":  # rows of a content table (narrator.parser.tables)
        return table_input(ctx, table, path, label, sites, ignored=ignored)
    if kind in MEDIA_KINDS:
        return native_media(ctx, table, path, label, kind, ignored=ignored)
    if kind == "text":
        values = take(
            ctx, table, path, TEXT_FIELDS, what=f"a text input of {label}", ignored=ignored
        )
        if "file" in table:  # the text of a file beside the narrative (narrator.parser.media)
            if "content" in table:
                ctx.key_problem(path, f"a text input of {label} has content and file; keep one")
                return None
            return native_text_file(ctx, values["file"], path) if "file" in values else None
        if "content" not in table:
            ctx.key_problem(path, f'a text input of {label} has no content; add content = "..."')
            return None
        if "content" not in values:
            return None
        verbatim = values.get("verbatim", False)
        if not verbatim:  # a verbatim prompt is sent as written: nothing in it is a reference
            sites.append(StringSite(values["content"], (*path, "content")))
        return TextInput(content=values["content"], verbatim=verbatim, location=location)
    values = take(
        ctx,
        table,
        path,
        COMMAND_FIELDS,
        what=f"a bot_command input of {label}",
        skip=frozenset({"args"}),
        ignored=ignored,
    )
    args = table.get("args", {})
    if not isinstance(args, dict):
        ctx.value_problem(
            (*path, "args"), f"args must be a table; write [{dotted(path[:-1])}.args]"
        )
        args = {}
    if "command" not in table:
        ctx.key_problem(
            path, f'a bot_command input of {label} has no command; add command = "messages.send"'
        )
        return None
    if "command" not in values or ("platform" in table and "platform" not in values):
        return None
    platform = values.get("platform", "discord")
    check_command(
        ctx,
        platform,
        values["command"],
        args,
        command_path=(*path, "command"),
        platform_path=(*path, "platform"),
        args_path=(*path, "args"),
    )
    if platform in CONTENT_PLATFORMS:
        check_content_command(ctx, platform, values["command"], args, (*path, "args"), label)
    sites.extend(strings_in(args, (*path, "args")))
    return BotCommandInput(
        platform=platform,
        command=values["command"],
        args=with_file_args(ctx, platform, values["command"], dict(args)),
        required=values.get("required", True),
        location=location,
    )
