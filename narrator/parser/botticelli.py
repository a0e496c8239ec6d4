"""The Botticelli dialect: ``[toc]``, ``[acts]``, ``[bots.*]``, ``[tables.*]``, ``[narratives.*]``.

Files written for Botticelli (the Rust engine) load into the same
:class:`~narrator.plan.Plan` as native files. Their references are rewritten
into native ones while parsing, so the executor sees one syntax only:

=====================  ==============================
Botticelli             native
=====================  ==============================
``{{act}}``            ``{act.act.output}``
``{{act.a.b}}``        ``{act.act.output.a.b}``
``{{previous}}``       ``{act.PREVIOUS_ACT.output}``
``${act.field}``       ``{act.act.output.field}``
``${state:key}``       ``{state.key}``
``${env:VAR}``         ``${VAR}``
``${VAR}``             ``${VAR}`` (when VAR names no act)
=====================  ==============================

docs/format.md describes every mapping and the few documented degradations
(``[tables.*]``, ignored keys).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from narrator.errors import NarrativeInvalid, Problem, did_you_mean
from narrator.interpolate import CONTEXT_NAMES
from narrator.parser.checks import (
    Context,
    Field,
    StringSite,
    as_int,
    as_number,
    as_str,
    carousel,
    check_command,
    check_name,
    check_output_var,
    check_references,
    plan_of,
    schema_from,
    take,
)
from narrator.parser.locate import Path
from narrator.parser.native import ACT_FIELDS, NARRATIVE_FIELDS, native_input
from narrator.plan import Act, BotCommandInput, Input, Plan, TextInput

TOP_KEYS = ("narrative", "toc", "acts", "bots", "tables", "media", "narratives")
# [narrative] keys Botticelli uses for its content-generation pipeline; narrator ignores them
IGNORED_NARRATIVE_KEYS = frozenset({"skip_content_generation", "template", "target", "budget"})
BOTT_NARRATIVE_FIELDS: dict[str, Field] = {
    **NARRATIVE_FIELDS,
    "temperature": Field(as_number(0.0), "a number >= 0", "temperature = 0.7"),
    "max_tokens": Field(as_int(1), "an integer >= 1", "max_tokens = 300"),
}
BOTT_ACT_FIELDS = {k: v for k, v in ACT_FIELDS.items() if k != "name"}
BOTT_ACT_SPECIAL = frozenset(
    {"input", "narrative", "narrative_ref", "carousel", "output_var", "schema"}
)
IGNORED_ACT_KEYS = frozenset({"extract_output"})
# per-input keys of Botticelli that narrator accepts and ignores (see docs/format.md)
IGNORED_INPUT_KEYS = frozenset({"required", "cache_duration", "history_retention"})
TABLE_KEYS: dict[str, Field] = {
    "table_name": Field(as_str, "a string", 'table_name = "welcome_messages"'),
    "columns": Field(lambda v: v, "an array", 'columns = ["content"]'),
    "where": Field(as_str, "a string", "where = \"tone = 'casual'\""),
    "limit": Field(as_int(0), "an integer", "limit = 100"),
    "offset": Field(as_int(0), "an integer", "offset = 0"),
    "order_by": Field(as_str, "a string", 'order_by = "created_at"'),
    "format": Field(lambda v: v, "a string", 'format = "markdown"'),
    "sample": Field(as_int(0), "an integer", "sample = 5"),
    "pull_and_delete": Field(lambda v: v, "true or false", "pull_and_delete = false"),
}
_REFERENCE = re.compile(r"(bots|tables|media|narratives)\.([A-Za-z0-9_-]+)\Z|narrative:(\S+)\Z")
_BOTT_TEMPLATE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}|\$\{([^{}]*)\}")
_DOTTED = re.compile(r"[A-Za-z_][\w-]*(?:\.[\w-]+)*\Z")


@dataclass
class _Act:
    """What one act collects while its inputs are read."""

    inputs: list[Input] = field(default_factory=list)
    sites: list[StringSite] = field(default_factory=list)
    subplans: list[tuple[Plan, Path]] = field(default_factory=list)
    declared: int = 0  # inputs written, whether or not they loaded


@dataclass
class _File:
    ctx: Context
    data: dict[str, Any]
    base_dir: str | None
    stack: tuple[str, ...]
    order: list[str]
    positions: dict[str, int]
    subplan_names: dict[str, tuple[str, int]] = field(default_factory=dict)  # plan name -> act


def parse_botticelli(
    ctx: Context, data: dict[str, Any], *, base_dir: str | None, stack: tuple[str, ...]
) -> Plan:
    """Build the plan of a Botticelli-dialect file; problems go to ``ctx``."""
    for key in data:
        if key not in TOP_KEYS:
            hint = did_you_mean(key, TOP_KEYS)
            ctx.key_problem(
                (key,),
                f"unknown top-level key '{key}' in a Botticelli narrative"
                + (f"; {hint}" if hint else f"; known: {', '.join(TOP_KEYS)}"),
            )
    for key in ("acts", "bots", "tables", "media", "narratives", "toc"):
        if key in data and not isinstance(data[key], dict):
            ctx.value_problem((key,), f"{key} must be a table; write [{key}]")
            data = {**data, key: {}}
    meta, plan_carousel = _narrative(ctx, data.get("narrative"))
    acts_table: dict[str, Any] = data.get("acts", {})
    order = _order(ctx, data.get("toc"), acts_table)
    positions = {name: i for i, name in enumerate(order)}
    state = _File(ctx, data, base_dir, stack, order, positions)
    acts: list[Act] = []
    for index, name in enumerate(order):
        act = _act(state, name, acts_table[name], index, meta)
        if act is not None:
            acts.append(act)
    at = ctx.locator.key(("narrative",)) if "narrative" in data else (1, 1)
    plan = plan_of(ctx, meta, dialect="botticelli", carousel_spec=plan_carousel, acts=acts, at=at)
    return dataclasses.replace(plan, capture_result_ids=True)  # Botticelli's automatic id capture


def _narrative(ctx: Context, head: Any) -> tuple[dict[str, Any], Any]:
    if head is None:
        return {}, None
    if not isinstance(head, dict):
        ctx.value_problem(("narrative",), "narrative must be a table; write [narrative]")
        return {}, None
    for key, value in head.items():
        if isinstance(value, dict) and key != "carousel" and key not in BOTT_NARRATIVE_FIELDS:
            ctx.key_problem(
                ("narrative", key),
                f"[narrative.{key}]: files with several narratives are not supported; "
                "put each narrative in its own file and nest it with [narratives.NAME]",
            )
    plain = {k: v for k, v in head.items() if not (isinstance(v, dict) and k != "carousel")}
    meta = take(
        ctx,
        plain,
        ("narrative",),
        BOTT_NARRATIVE_FIELDS,
        what="[narrative]",
        ignored=IGNORED_NARRATIVE_KEYS,
        skip=frozenset({"carousel"}),
    )
    spec = (
        carousel(ctx, head["carousel"], ("narrative", "carousel")) if "carousel" in head else None
    )
    return meta, spec


def _order(ctx: Context, toc: Any, acts: dict[str, Any]) -> list[str]:
    """The acts to run, in order: ``[toc] order``, or the order of ``[acts]``."""
    if toc is None:
        return [n for n in acts if check_name(ctx, n, ("acts", n), "act")]
    for key in toc:
        if key != "order":
            ctx.key_problem(("toc", key), f"unknown key '{key}' in [toc]; [toc] has only order")
    raw = toc.get("order")
    if raw is None:
        ctx.key_problem(("toc",), '[toc] has no order; write order = ["first_act", ...]')
        return []
    if not isinstance(raw, list):
        ctx.value_problem(("toc", "order"), 'order must be an array; write order = ["a", "b"]')
        return []
    order: list[str] = []
    for i, name in enumerate(raw):
        path: Path = ("toc", "order", i)
        if not isinstance(name, str):
            ctx.value_problem(path, "order lists act names as strings")
            continue
        if name not in acts:
            hint = did_you_mean(name, list(acts))
            ctx.value_problem(
                path,
                f"[toc] order names act '{name}', which is not in [acts]"
                + (f"; {hint}" if hint else f"; add [acts.{name}] or remove it from order"),
            )
            continue
        if name in order:
            ctx.value_problem(path, f"act '{name}' is listed twice in [toc] order; list it once")
            continue
        if check_name(ctx, name, path, "act"):
            order.append(name)
    return order


def _act(state: _File, name: str, raw: Any, index: int, meta: dict[str, Any]) -> Act | None:
    ctx = state.ctx
    path: Path = ("acts", name)
    label = f"act '{name}'"
    collected = _Act()
    values: dict[str, Any] = {}
    if isinstance(raw, str):
        _item(state, raw, path, label, index, collected)
    elif isinstance(raw, list):
        for i, item in enumerate(raw):
            _item(state, item, (*path, i), label, index, collected)
    elif isinstance(raw, dict):
        values = take(
            ctx,
            raw,
            path,
            BOTT_ACT_FIELDS,
            what=label,
            ignored=IGNORED_ACT_KEYS,
            skip=BOTT_ACT_SPECIAL,
        )
        if "skip_if" in values:
            collected.sites.append(
                StringSite(values["skip_if"], (*path, "skip_if"), bare_condition=True)
            )
        if "output_var" in raw:
            values["output_var"] = check_output_var(ctx, raw["output_var"], (*path, "output_var"))
        if "schema" in raw:
            schema = schema_from(ctx, raw["schema"], (*path, "schema"))
            if schema is not None:
                values["schema"] = schema
                values["output"] = "json"
        if "carousel" in raw:
            spec = carousel(ctx, raw["carousel"], (*path, "carousel"))
            if spec is not None:
                values["carousel"] = spec
        for key in ("narrative", "narrative_ref"):
            if key in raw:
                stem = raw[key]
                if not isinstance(stem, str) or not stem:
                    ctx.value_problem((*path, key), f'{key} must name a file: {key} = "stem"')
                else:
                    collected.declared += 1
                    _nested(state, stem, (*path, key), collected)
        inputs = raw.get("input")
        if inputs is not None:
            if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
                ctx.value_problem(
                    (*path, "input"), f"{label}: write inputs as [[acts.{name}.input]] tables"
                )
            else:
                for i, table in enumerate(inputs):
                    _item(state, table, (*path, "input", i), label, index, collected)
    else:
        ctx.value_problem(
            path,
            f"{label} must be a prompt string, an array of prompts and references, "
            f"or an [acts.{name}] table",
        )
        return None
    if not collected.declared:
        ctx.key_problem(
            path,
            f'{label} has no inputs; add [[acts.{name}.input]] or write {name} = "prompt text"',
        )
    if len(collected.subplans) > 1:
        ctx.value_problem(
            collected.subplans[1][1],
            f"{label} nests more than one narrative; give each nested narrative its own act",
        )
    subplan = collected.subplans[0][0] if collected.subplans else None
    if subplan is not None:
        state.subplan_names.setdefault(subplan.name, (name, index))
    has_text = any(isinstance(i, TextInput) for i in collected.inputs)
    if has_text:
        for key in ("temperature", "max_tokens"):
            if key not in values and key in meta:
                values[key] = meta[key]
    prev = state.order[index - 1] if index > 0 else None
    for site in collected.sites:
        translated = _translate_site(ctx, site, state.positions, prev, label)
        check_references(
            ctx, translated, act_index=index, act_positions=state.positions, act_label=label
        )
    inputs = [_translated_input(i, state.positions, prev) for i in collected.inputs]
    if "skip_if" in values:
        values["skip_if"] = translate(values["skip_if"], state.positions, prev)[0]
    return Act(
        name=name,
        inputs=tuple(inputs),
        subplan=subplan,
        location=ctx.at_key(path),
        **values,
    )


def _item(state: _File, item: Any, path: Path, label: str, index: int, act: _Act) -> None:
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
    if kind in ("image", "audio", "video", "document"):
        ctx.value_problem(
            (*path, "type"),
            f"{kind} inputs are not supported by narrator; remove this input from {label}",
        )
        return
    if kind in (None, "text") and "file" in item and "content" not in item:
        ctx.key_problem(
            (*path, "file"),
            f'text from a file is not supported; paste the text as content = """...""" in {label}',
        )
        return
    made = native_input(ctx, item, path, label, act.sites, ignored=IGNORED_INPUT_KEYS)
    if made is not None:
        act.inputs.append(made)


def _reference(state: _File, ref: str, path: Path, label: str, index: int, act: _Act) -> None:
    ctx = state.ctx
    match = _REFERENCE.match(ref)
    assert match is not None
    if match.group(3) is not None:  # narrative:NAME
        _nested(state, match.group(3), path, act)
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
        _nested(state, stem, (*def_path, "narrative"), act)
    else:  # media
        ctx.value_problem(
            path, f"media inputs ({ref}) are not supported by narrator; remove it from {label}"
        )


def _bot(state: _File, definition: dict[str, Any], path: Path, label: str, act: _Act) -> None:
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
    if "channel_type" in args and "kind" not in args:
        args["kind"] = args.pop("channel_type")
    for key, value in args.items():
        from narrator.parser.checks import strings_in

        act.sites.extend(strings_in(value, (*path, key)))
    act.inputs.append(
        BotCommandInput(platform=platform, command=command, args=args, location=ctx.at_key(path))
    )


def _table_input(
    state: _File,
    definition: dict[str, Any],
    path: Path,
    index: int,
    act: _Act,
    *,
    alias: str | None,
) -> None:
    """A Botticelli table query. narrator has no content tables: see docs/format.md.

    When an earlier act nested a narrative whose name is the table's name (Botticelli
    stores a narrative's generated content in the table named after it), the input
    becomes that act's output; otherwise a text input that says the table is absent.
    """
    ctx = state.ctx
    fields = dict(TABLE_KEYS)
    if alias is None:
        fields["type"] = Field(as_str, '"table"', 'type = "table"')
    values = take(ctx, definition, path, fields, what="a table input", ignored=IGNORED_INPUT_KEYS)
    table_name = values.get("table_name")
    if table_name is None:
        if "table_name" not in definition:
            ctx.key_problem(path, 'a table input needs table_name = "..."')
        return
    source = state.subplan_names.get(table_name)
    location = ctx.at_key(path)
    if source is not None and source[1] < index:
        content = f"{{act.{source[0]}.output}}"
    else:
        content = (
            f"[Botticelli table '{table_name}' is not available in narrator: "
            "no earlier act nests a narrative of that name]"
        )
    act.inputs.append(TextInput(content=content, location=location))


def _nested(state: _File, stem: str, path: Path, act: _Act) -> None:
    """Load ``stem.toml`` beside this file as the act's subplan."""
    ctx = state.ctx
    filename = stem if stem.endswith(".toml") else f"{stem}.toml"
    if state.base_dir is None:
        ctx.value_problem(
            path,
            f"cannot load nested narrative '{filename}': no base directory; "
            "parse the file with parse_file() or pass base_dir",
        )
        return
    full = os.path.abspath(os.path.join(state.base_dir, filename))
    if full in state.stack:
        ctx.value_problem(path, f"nested narrative '{filename}' includes itself; break the cycle")
        return
    from narrator.parser.stored import read_nested  # disk, or a schedule's stored copies

    try:
        text = read_nested(full)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        ctx.value_problem(
            path,
            f"cannot read nested narrative '{filename}' in {state.base_dir}: {reason}; "
            "check the name (without .toml) and that the file is beside this one",
        )
        return
    if ctx.source.startswith("<"):
        source = full
    else:
        source = os.path.join(os.path.dirname(ctx.source), filename)
    from narrator.parser import _parse

    try:
        plan = _parse(
            text,
            source,
            base_dir=os.path.dirname(full),
            stack=(*state.stack, full),
            secrets=ctx.secrets,
        )
    except NarrativeInvalid as exc:
        ctx.problems.extend(exc.problems)
        if not exc.problems:  # pragma: no cover - NarrativeInvalid always carries some
            ctx.problems.append(Problem(ctx.at_value(path), "invalid nested narrative"))
        return
    act.subplans.append((plan, path))


# ------------------------------------------------------------------ reference rewriting


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


def _translate_site(
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


def _translated_input(item: Input, acts: dict[str, int], previous: str | None) -> Input:
    if isinstance(item, TextInput):
        return dataclasses.replace(item, content=translate(item.content, acts, previous)[0])
    return dataclasses.replace(item, args=_translate_value(item.args, acts, previous))
