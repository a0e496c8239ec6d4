"""The inputs of a Botticelli act: prompts, ``bots.*`` commands, ``tables.*`` queries and
nested narratives (``narratives.*``, ``narrative:NAME``, ``narrative = "stem"``)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from narrator import catalogue
from narrator.errors import did_you_mean
from narrator.parser.botticelli_refs import translate
from narrator.parser.checks import check_command
from narrator.parser.context import Context
from narrator.parser.fields import IGNORED_INPUT_KEYS
from narrator.parser.locate import Path
from narrator.parser.media import (
    botticelli_media,
    botticelli_media_ref,
    botticelli_text_file,
    with_file_args,
)
from narrator.parser.native import native_input
from narrator.parser.nested import load_nested
from narrator.parser.references import StringSite, strings_in
from narrator.parser.tables import CONTENT_PLATFORMS, check_content_command, table_input
from narrator.plan import BotCommandInput, Input, Plan, TextInput

_REFERENCE = re.compile(r"(bots|tables|media|narratives)\.([A-Za-z0-9_-]+)\Z|narrative:(\S+)\Z")


@dataclass
class ActInputs:
    """What one act collects while its inputs are read."""

    inputs: list[Input] = field(default_factory=list)
    sites: list[StringSite] = field(default_factory=list)
    subplans: list[tuple[Plan, Path]] = field(default_factory=list)
    declared: int = 0  # inputs written, whether or not they loaded


@dataclass
class BotticelliFile:
    ctx: Context
    data: dict[str, Any]
    base_dir: str | None
    stack: tuple[str, ...]
    order: list[str]
    positions: dict[str, int]
    subplan_names: dict[str, tuple[str, int]] = field(default_factory=dict)  # plan name -> act


def add_item(
    state: BotticelliFile, item: Any, path: Path, label: str, index: int, act: ActInputs
) -> None:
    """One input of an act: a reference, a literal prompt, or an input table."""
    ctx = state.ctx
    act.declared += 1
    if isinstance(item, str):
        if _REFERENCE.match(item):
            _reference(state, item, path, label, index, act)
        elif not item.strip():
            ctx.value_problem(path, f"{label} has an empty prompt; write the prompt text")
        else:
            act.inputs.append(TextInput(content=item, location=ctx.at_value(path)))
            act.sites.append(StringSite(item, path))
        return
    if not isinstance(item, dict):
        ctx.value_problem(path, f"{label}: an input is a string or a table")
        return
    if "ref" in item:
        ref = item["ref"]
        if not isinstance(ref, str) or not _REFERENCE.match(ref):
            ctx.value_problem(
                (*path, "ref"),
                'ref must be "bots.NAME", "tables.NAME", "narratives.NAME" or "media.NAME"',
            )
            return
        _reference(state, ref, (*path, "ref"), label, index, act)
        return
    kind = item.get("type")
    if kind == "table":
        _table_input(state, item, path, index, act, alias=None)
        return
    if kind in ("image", "audio", "video", "document"):  # narrator.parser.media
        made_media = botticelli_media(ctx, item, path, label, IGNORED_INPUT_KEYS)
        if made_media is not None:
            act.inputs.append(made_media)
        return
    if kind in (None, "text") and "file" in item and "content" not in item:
        made_text = botticelli_text_file(ctx, item, path, label)
        if made_text is not None:
            act.inputs.append(made_text)
        return
    if kind in (None, "text") and "file" in item:  # Botticelli: content wins over file
        ctx.key_warning(
            (*path, "file"), "'file' is ignored: Botticelli uses content when both are written"
        )
        item = {k: v for k, v in item.items() if k != "file"}
    made = native_input(ctx, item, path, label, act.sites, ignored=IGNORED_INPUT_KEYS)
    if isinstance(made, BotCommandInput):  # Botticelli: optional unless required = true
        required = item.get("required", False)
        if not isinstance(required, bool):
            ctx.value_problem((*path, "required"), "required must be true or false")
        made = dataclasses.replace(made, required=required is True)
    if made is not None:
        act.inputs.append(made)


def _reference(
    state: BotticelliFile, ref: str, path: Path, label: str, index: int, act: ActInputs
) -> None:
    ctx = state.ctx
    match = _REFERENCE.match(ref)
    assert match is not None
    if match.group(3) is not None:  # narrative:NAME
        add_nested(state, match.group(3), path, act)
        return
    category, name = match.group(1), match.group(2)
    table = state.data.get(category, {})
    if name not in table:
        hint = did_you_mean(name, list(table))
        ctx.value_problem(
            path,
            f"{label} uses {category}.{name}, but there is no [{category}.{name}]"
            + (f"; {hint}" if hint else f"; define [{category}.{name}]"),
        )
        return
    definition = table[name]
    def_path: Path = (category, name)
    if not isinstance(definition, dict):
        ctx.value_problem(def_path, f"[{category}.{name}] must be a table")
        return
    if category == "bots":
        _bot(state, definition, def_path, label, act)
    elif category == "tables":
        _table_input(state, definition, def_path, index, act, alias=name)
    elif category == "narratives":
        if "narrative" not in definition:
            ctx.key_problem(
                def_path,
                f'[narratives.{name}] must name a file: narrative = "stem" '
                "(inline narrative definitions are not supported)",
            )
            return
        for key in definition:
            if key != "narrative":
                ctx.key_problem((*def_path, key), f"unknown key '{key}' in [narratives.{name}]")
        stem = definition["narrative"]
        if not isinstance(stem, str) or not stem:
            ctx.value_problem((*def_path, "narrative"), 'narrative must name a file: "stem"')
            return
        add_nested(state, stem, (*def_path, "narrative"), act)
    else:  # media (narrator.parser.media)
        made = botticelli_media_ref(ctx, definition, def_path, name, label)
        if made is not None:
            act.inputs.append(made)


def _bot(
    state: BotticelliFile, definition: dict[str, Any], path: Path, label: str, act: ActInputs
) -> None:
    ctx = state.ctx
    ok = True
    for key in ("platform", "command"):
        if key not in definition:
            ctx.key_problem(path, f'[{path[0]}.{path[1]}] has no {key}; add {key} = "..."')
            ok = False
        elif not isinstance(definition[key], str):
            ctx.value_problem((*path, key), f"{key} must be a string")
            ok = False
    if not ok:
        return
    args = {k: v for k, v in definition.items() if k not in ("platform", "command")}
    if "required" in args:  # Botticelli passes it to the command as an argument
        args.pop("required")
        ctx.key_warning(
            (*path, "required"),
            f"'required' in [{path[0]}.{path[1]}] is ignored: Botticelli passes it to the "
            "command as an argument, so a [bots.*] command stays optional (its failure "
            "becomes text and the act goes on); for a required command write an inline "
            '[[acts.NAME.input]] with type = "bot_command" and required = true',
        )
    platform, command = definition["platform"], definition["command"]
    check_command(
        ctx,
        platform,
        command,
        args,
        command_path=(*path, "command"),
        platform_path=(*path, "platform"),
        args_path=path,
    )
    if platform in CONTENT_PLATFORMS:  # database.update_table: its where_clause, at load
        check_content_command(
            ctx,
            platform,
            command,
            args,
            path,
            label,
            translate=lambda text: translate(text, state.positions, None)[:2],
        )
    args = catalogue.canonical_args(platform, args)  # the Plan holds the catalogue's names
    for key, value in args.items():
        act.sites.extend(strings_in(value, (*path, key)))
    act.inputs.append(  # a [bots.*] reference is never required in Botticelli
        BotCommandInput(
            platform=platform,
            command=command,
            args=with_file_args(ctx, platform, command, args),
            required=False,
            location=ctx.at_key(path),
        )
    )


def _table_input(
    state: BotticelliFile,
    definition: dict[str, Any],
    path: Path,
    index: int,
    act: ActInputs,
    *,
    alias: str | None,
) -> None:
    """A Botticelli table query: rows of a content table (:mod:`narrator.parser.tables`),
    read when the act runs; references in its where are Botticelli's, rewritten."""
    previous = state.order[index - 1] if index > 0 else None
    label = f"act '{state.order[index]}'"

    def rewrite(text: str) -> tuple[str, Callable[[int], int]]:
        new, back, problems = translate(text, state.positions, previous)
        for offset, message in problems:
            state.ctx.inside_problem((*path, "where"), offset, f"{label}: {message}")
        return new, back

    made = table_input(
        state.ctx,
        definition,
        path,
        label,
        act.sites,
        botticelli=True,
        alias=alias,
        ignored=IGNORED_INPUT_KEYS,
        translate=rewrite,
    )
    if made is not None:
        act.inputs.append(made)


def add_nested(state: BotticelliFile, stem: str, path: Path, act: ActInputs) -> None:
    """Load ``stem.toml`` beside this file as the act's subplan (:mod:`narrator.parser.nested`)."""
    plan = load_nested(state.ctx, stem, path)
    if plan is not None:
        state.ctx.warnings.extend(plan.warnings)
        act.subplans.append((plan, path))
