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
import re
from collections.abc import Callable
from typing import Any

from narrator.errors import Problem, did_you_mean
from narrator.parser.botticelli_content import content_generation
from narrator.parser.botticelli_inputs import ActInputs, BotticelliFile, add_item, add_nested
from narrator.parser.botticelli_multi import Selection, narrative_entries, select
from narrator.parser.botticelli_refs import translate, translate_site, translated_input
from narrator.parser.checks import (
    carousel,
    check_name,
    check_narrative_name,
    check_output_var,
    plan_of,
    schema_from,
)
from narrator.parser.context import Context
from narrator.parser.fields import (
    BOTT_ACT_FIELDS,
    BOTT_ACT_SPECIAL,
    BOTT_NARRATIVE_FIELDS,
    IGNORED_ACT_KEYS,
    IGNORED_NARRATIVE_KEYS,
    WARNED_ACT_KEYS,
    WARNED_TOP_KEYS,
    take,
)
from narrator.parser.fields import BOTT_TOP_KEYS as TOP_KEYS
from narrator.parser.locate import Path
from narrator.parser.references import StringSite, check_references
from narrator.plan import Act, Plan, TextInput

__all__ = ["parse_botticelli", "translate"]

_UNKNOWN_NAME = re.compile(r"unknown (?:name|act) '([^']+)'")
_HINT = re.compile(r"(did you mean '[^']+'\?)")
# builds [narrative.NAME] of this file for an act's `narrative = "NAME"` (None: a problem)
Compose = Callable[[str, Path], Plan | None]


def parse_botticelli(
    ctx: Context,
    data: dict[str, Any],
    *,
    base_dir: str | None,
    stack: tuple[str, ...],
    narrative: str | None = None,
    within: tuple[str, ...] = (),
) -> Plan:
    """Build the plan of a Botticelli-dialect file; problems go to ``ctx``.

    ``narrative`` chooses one ``[narrative.NAME]`` of a file with several
    (:mod:`narrator.parser.botticelli_multi`); ``within``: the narratives of this
    file being built around this one (an act composing one of them is a cycle).
    """
    ctx.dialect = "botticelli"
    for key in data:
        if key in WARNED_TOP_KEYS:
            if not within:
                ctx.key_warning((key,), f"[{key}] is ignored: {WARNED_TOP_KEYS[key]}")
        elif key not in TOP_KEYS:
            hint = did_you_mean(key, TOP_KEYS)
            ctx.key_problem(
                (key,),
                f"unknown top-level key '{key}' in a Botticelli narrative"
                + (f"; {hint}" if hint else f"; known: {', '.join(TOP_KEYS)}"),
            )
    for key in ("acts", "bots", "tables", "media", "narratives", "toc"):
        if key in data and not isinstance(data[key], dict | list if key == "toc" else dict):
            ctx.value_problem((key,), f"{key} must be a table; write [{key}]")
            data = {**data, key: {}}
    chosen = select(ctx, data, narrative)
    meta, plan_carousel = _narrative(ctx, chosen.head, chosen.head_path)
    order = _order(ctx, chosen.toc, chosen.toc_path, chosen.acts, chosen.act_paths)
    positions = {name: i for i, name in enumerate(order)}
    state = BotticelliFile(ctx, data, base_dir, stack, order, positions)
    compose = _composer(ctx, data, chosen, base_dir, stack, within)
    acts: list[Act] = []
    for index, name in enumerate(order):
        act = _act(state, name, chosen.acts[name], index, meta, chosen.act_paths[name], compose)
        if act is not None:
            acts.append(act)
    at = ctx.locator.key(chosen.head_path) if "narrative" in data else (1, 1)
    plan = plan_of(ctx, meta, dialect="botticelli", carousel_spec=plan_carousel, acts=acts, at=at)
    # Botticelli's content generation: the last act's JSON goes to a content table
    plan = content_generation(
        ctx, plan, chosen.head, chosen.head_path, chosen.acts, chosen.act_paths
    )
    return dataclasses.replace(plan, capture_result_ids=True)  # Botticelli's automatic id capture


def _composer(
    ctx: Context,
    data: dict[str, Any],
    chosen: Selection,
    base_dir: str | None,
    stack: tuple[str, ...],
    within: tuple[str, ...],
) -> Compose | None:
    """How an act's ``narrative = "NAME"`` builds [narrative.NAME] of this same file."""
    if not chosen.others:
        return None
    here = (*within, chosen.name or "")

    def compose(name: str, path: Path) -> Plan | None:
        if name in here:
            ctx.value_problem(path, f"narrative '{name}' includes itself; break the cycle")
            return None
        return parse_botticelli(
            ctx, data, base_dir=base_dir, stack=stack, narrative=name, within=here
        )

    return compose


def _narrative(ctx: Context, head: Any, at: Path) -> tuple[dict[str, Any], Any]:
    if head is None:
        return {}, None
    if not isinstance(head, dict):
        ctx.value_problem(at, "narrative must be a table; write [narrative]")
        return {}, None
    for key, value in head.items():
        if isinstance(value, dict) and key != "carousel" and key not in BOTT_NARRATIVE_FIELDS:
            ctx.key_problem(
                (*at, key),
                f"[narrative.{key}] beside name = ...: a file with several narratives "
                "has only [narrative.NAME] tables (each with toc = [...]); move the "
                "name into one of them",
            )
    plain = {k: v for k, v in head.items() if not (isinstance(v, dict) and k != "carousel")}
    meta = take(
        ctx,
        plain,
        at,
        BOTT_NARRATIVE_FIELDS,
        what="[narrative]" if len(at) == 1 else f"[narrative.{at[-1]}]",
        ignored=IGNORED_NARRATIVE_KEYS,
        skip=frozenset({"carousel"}),
    )
    if len(at) == 1:  # each [narrative.NAME]'s name: botticelli_multi.select
        check_narrative_name(ctx, meta.get("name"), (*at, "name"))
    spec = carousel(ctx, head["carousel"], (*at, "carousel")) if "carousel" in head else None
    return meta, spec


def _order(
    ctx: Context, toc: Any, at: Path, acts: dict[str, Any], paths: dict[str, Path]
) -> list[str]:
    """The acts to run, in order: ``[toc] order`` (or ``toc = [...]``), or the order of
    ``[acts]``."""
    if toc is None:
        return [n for n in acts if check_name(ctx, n, paths[n], "act")]
    if isinstance(toc, list):
        raw: Any = toc
        order_path: Path = at
    else:
        for key in toc:
            if key != "order":
                ctx.key_problem((*at, key), f"unknown key '{key}' in [toc]; [toc] has only order")
        raw = toc.get("order")
        order_path = (*at, "order")
        if raw is None:
            ctx.key_problem(at, '[toc] has no order; write order = ["first_act", ...]')
            return []
    if not isinstance(raw, list):
        ctx.value_problem(order_path, 'order must be an array; write order = ["a", "b"]')
        return []
    order: list[str] = []
    for i, name in enumerate(raw):
        path: Path = (*order_path, i)
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
    state: BotticelliFile,
    name: str,
    raw: Any,
    index: int,
    meta: dict[str, Any],
    path: Path,
    compose: Compose | None,
) -> Act | None:
    ctx = state.ctx
    label = f"act '{name}'"
    joins = False
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
            warned=WARNED_ACT_KEYS,
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
                    ctx.value_problem((*path, key), f'{key} must name a narrative: {key} = "NAME"')
                    continue
                collected.declared += 1
                joins = True  # Botticelli's composition: the nested outputs are the response
                if compose is not None and stem in narrative_entries(state.data):
                    composed = compose(stem, (*path, key))  # [narrative.NAME] of this file
                    if composed is not None:
                        collected.subplans.append((composed, (*path, key)))
                else:
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
    prompts = {i.content for i in collected.inputs if isinstance(i, TextInput) and i.file is None}
    verbatim: set[str] = set()
    for site in collected.sites:
        if site.text in prompts and _verbatim(state, site, index, prev, label):
            verbatim.add(site.text)
            continue
        translated = translate_site(ctx, site, state.positions, prev, label)
        check_references(
            ctx, translated, act_index=index, act_positions=state.positions, act_label=label
        )
    inputs = [
        dataclasses.replace(i, verbatim=True)
        if isinstance(i, TextInput) and i.file is None and i.content in verbatim
        else translated_input(i, state.positions, prev)
        for i in collected.inputs
    ]
    if "skip_if" in values:
        values["skip_if"] = translate(values["skip_if"], state.positions, prev)[0]
    return Act(
        name=name,
        inputs=tuple(inputs),
        subplan=subplan,
        subplan_joins=joins and subplan is not None,
        location=ctx.at_key(path),
        **values,
    )


def _verbatim(
    state: BotticelliFile, site: StringSite, index: int, prev: str | None, label: str
) -> bool:
    """True when a prompt's template names something narrator does not know
    (``{{ faq_content }}``): Botticelli sends prompt text as written, so the prompt is
    kept verbatim, with a warning, instead of failing the load."""
    ctx = state.ctx
    trial = Context(ctx.source, ctx.locator, secrets=ctx.secrets)
    translated = translate_site(trial, site, state.positions, prev, label)
    check_references(
        trial, translated, act_index=index, act_positions=state.positions, act_label=label
    )
    unknown = [p for p in trial.problems if _UNKNOWN_NAME.search(p.message)]
    if not unknown:
        return False
    names = sorted({m.group(1) for p in unknown if (m := _UNKNOWN_NAME.search(p.message))})
    listed = ", ".join(f"'{n}'" for n in names)
    hint = _HINT.search(unknown[0].message)
    ctx.warnings.append(
        Problem(
            unknown[0].location,
            f"{label}: the prompt's template names {listed}, which is no act of this "
            "narrative; Botticelli sends prompt text as written, so this prompt is sent "
            "verbatim (nothing in it is rendered)" + (f"; {hint.group(1)}" if hint else ""),
        )
    )
    return True
