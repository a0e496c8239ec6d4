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
from typing import Any

from narrator.errors import did_you_mean
from narrator.parser.botticelli_content import content_generation
from narrator.parser.botticelli_inputs import ActInputs, BotticelliFile, add_item, add_nested
from narrator.parser.botticelli_refs import translate, translate_site, translated_input
from narrator.parser.checks import carousel, check_name, check_output_var, plan_of, schema_from
from narrator.parser.context import Context
from narrator.parser.fields import (
    BOTT_ACT_FIELDS,
    BOTT_ACT_SPECIAL,
    BOTT_NARRATIVE_FIELDS,
    IGNORED_ACT_KEYS,
    IGNORED_NARRATIVE_KEYS,
    take,
)
from narrator.parser.fields import BOTT_TOP_KEYS as TOP_KEYS
from narrator.parser.locate import Path
from narrator.parser.references import StringSite, check_references
from narrator.plan import Act, Plan, TextInput

__all__ = ["parse_botticelli", "translate"]


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
    state = BotticelliFile(ctx, data, base_dir, stack, order, positions)
    acts: list[Act] = []
    for index, name in enumerate(order):
        act = _act(state, name, acts_table[name], index, meta)
        if act is not None:
            acts.append(act)
    at = ctx.locator.key(("narrative",)) if "narrative" in data else (1, 1)
    plan = plan_of(ctx, meta, dialect="botticelli", carousel_spec=plan_carousel, acts=acts, at=at)
    # Botticelli's content generation: the last act's JSON goes to a content table
    plan = content_generation(ctx, plan, data.get("narrative"), ("narrative",), acts_table)
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


def _act(
    state: BotticelliFile, name: str, raw: Any, index: int, meta: dict[str, Any]
) -> Act | None:
    ctx = state.ctx
    path: Path = ("acts", name)
    label = f"act '{name}'"
    collected = ActInputs()
    values: dict[str, Any] = {}
    if isinstance(raw, str):
        add_item(state, raw, path, label, index, collected)
    elif isinstance(raw, list):
        for i, item in enumerate(raw):
            add_item(state, item, (*path, i), label, index, collected)
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
                    add_nested(state, stem, (*path, key), collected)
        inputs = raw.get("input")
        if inputs is not None:
            if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
                ctx.value_problem(
                    (*path, "input"), f"{label}: write inputs as [[acts.{name}.input]] tables"
                )
            else:
                for i, table in enumerate(inputs):
                    add_item(state, table, (*path, "input", i), label, index, collected)
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
        translated = translate_site(ctx, site, state.positions, prev, label)
        check_references(
            ctx, translated, act_index=index, act_positions=state.positions, act_label=label
        )
    inputs = [translated_input(i, state.positions, prev) for i in collected.inputs]
    if "skip_if" in values:
        values["skip_if"] = translate(values["skip_if"], state.positions, prev)[0]
    return Act(
        name=name,
        inputs=tuple(inputs),
        subplan=subplan,
        location=ctx.at_key(path),
        **values,
    )
