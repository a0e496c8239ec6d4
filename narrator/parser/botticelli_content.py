"""Botticelli's content generation at load time (issue 11): which act stores its JSON
answer, into which content table, checked against which template.

As Botticelli's ``content_generation.rs``: unless ``[narrative]
skip_content_generation = true``, the **last** act's answer (and that of any act
with ``extract_output = true``; ``extract_output = false`` on the last act opts it
out) goes to the table named by ``[narrative] target``, else ``template``, else
the narrative's name. ``template = "NAME"`` names a shipped JSON Schema
(:mod:`narrator.content.templates`): it is written into the act's prompt and
checks each item. Only model acts store (a command act's result is not generated
content). The decision is recorded in the plan as each act's
:class:`~narrator.plan.StoreSpec` (``botticelli=True``), so ``narrator plan``
shows it and the executor needs no dialect knowledge.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from narrator.parser.context import Context
from narrator.parser.locate import Path
from narrator.parser.tables import check_table_name
from narrator.plan import Plan, StoreSpec

__all__ = ["content_generation"]


def _text(ctx: Context, head: Mapping[str, Any], at: Path, key: str) -> str | None:
    value = head.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        ctx.value_problem((*at, key), f'{key} must name a table: {key} = "NAME"')
        return None
    return value


def content_generation(
    ctx: Context,
    plan: Plan,
    head: Any,
    head_path: Path,
    acts: Mapping[str, Any],
    act_paths: Mapping[str, Path] | None = None,
) -> Plan:
    """``plan`` with the storing acts marked (``Act.store``); problems go to ``ctx``.

    ``head`` is the narrative's ``[narrative]`` table as written (at ``head_path``),
    ``acts`` the raw ``[acts.NAME]`` values by name (at ``act_paths``)."""
    for act in plan.acts:
        if act.table_inputs and act.commands:
            ctx.key_problem(
                (act_paths or {}).get(act.name, ("acts", act.name)),
                f"act '{act.name}' mixes tables and bot commands; read the rows in an act "
                "of their own and use its output (${ACT.0.FIELD}) in the commands",
            )
    head = head if isinstance(head, dict) else {}
    skip = head.get("skip_content_generation", False)
    if not isinstance(skip, bool):
        ctx.value_problem(
            (*head_path, "skip_content_generation"),
            "skip_content_generation must be true or false",
        )
        skip = False
    target = _text(ctx, head, head_path, "target")
    template = _text(ctx, head, head_path, "template")
    schema = None
    if template is not None:
        from narrator.content import templates

        try:
            schema = templates.load(template)
        except templates.UnknownTemplate as exc:
            ctx.value_problem(
                (*head_path, "template"), f"no content template '{template}'; {exc.hint}"
            )
            template = None
    if skip or not plan.acts:
        return plan
    table = target or template or plan.name
    key = "target" if target else "template" if template else None
    if key is not None and check_table_name(ctx, table, (*head_path, key), key) is None:
        return plan
    if key is None:  # the narrative's name: a problem only at the narrative
        from narrator.content import validate_table
        from narrator.errors import NarratorError

        try:
            validate_table(table)
        except NarratorError:  # Botticelli's storing fails, is logged, and the run goes on
            ctx.key_warning(
                head_path,
                f"the narrative's name {table!r} cannot name a content table, so nothing "
                "is stored (Botticelli's storing fails there and the run goes on); set "
                'target = "TABLE" (or skip_content_generation = true)',
            )
            return plan
    last = len(plan.acts) - 1
    changed = list(plan.acts)
    for index, act in enumerate(plan.acts):
        raw = acts.get(act.name)
        extract = raw.get("extract_output") if isinstance(raw, dict) else None
        if not isinstance(extract, bool):
            extract = None
        stores = extract if extract is not None else index == last
        if not stores or not act.is_model_act:
            continue
        path = (act_paths or {}).get(act.name, ("acts", act.name))
        spec = StoreSpec(table=table, botticelli=True, template=template, location=ctx.at_key(path))
        if schema is not None:  # the template's item schema: asked for, and checked
            changed[index] = dataclasses.replace(
                act, store=spec, schema=act.schema or schema, output="json"
            )
        else:
            changed[index] = dataclasses.replace(act, store=spec)
    return dataclasses.replace(plan, acts=tuple(changed))
