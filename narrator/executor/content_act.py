"""Content tables when acts run (issue 11): reading rows, storing items, content commands,
and the claims a run holds.

* **Reading** — a :class:`~narrator.plan.TableInput` selects rows (``take`` /
  ``pull_and_delete``: claims them for this run, atomically, exactly once); a
  model act gets them rendered into its prompt, an act of only tables gets
  them as its output (a list of ``ContentRow.as_data()``).
* **Storing** — a model act with ``store`` has its JSON items inserted by the
  engine inside the act's record transaction (:func:`items_to_store` here,
  the insert in :mod:`narrator.executor.engine`).
* **Commands** — ``content.insert|update|delete`` and Botticelli's
  ``database`` ``update_table`` run against the content store, never a chat
  platform; a ``where`` with references is parsed with them as slots and their
  values bound into the tree as literals (:mod:`narrator.parser.where_slots`).
* **Claims** — released when the run ends (:func:`finish_claims`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from narrator import interpolate
from narrator.content import (
    Condition,
    ContentRow,
    ContentStore,
    Provenance,
    Query,
    WhereError,
    render_rows,
)
from narrator.content.claims import settle
from narrator.errors import ActFailed, NotConfigured, ReferenceFailed
from narrator.outcome import ActOutcome
from narrator.parser.where_slots import bind_values, parse_slotted, reference_spans, shown
from narrator.plan import Act, Plan, TableInput
from narrator.protocols import Change
from narrator.structured import extract_json, validate

if TYPE_CHECKING:
    from narrator.executor.perform import RunState
    from narrator.executor.services import Services

__all__ = [
    "PLATFORMS",
    "claimant",
    "finish_claims",
    "items_to_store",
    "parse_items",
    "plan_claims",
    "prompt_tables",
    "read_act",
    "read_tables",
    "render_command_args",
    "run_command",
    "store_items",
    "table_text",
]

PLATFORMS = ("content", "database")
_WHERE_KEYS = ("where", "where_clause")


def store_of(services: Services, act: str) -> ContentStore:
    if services.content is None:
        raise NotConfigured(
            "this act uses content tables but the run has no content store",
            act=act,
            hint="run through the CLI (narrator run), whose state database holds the tables",
        )
    return services.content


# ----------------------------------------------------------------------------- where


def _values(text: str, scope: interpolate.Scope) -> tuple[list[tuple[int, int]], list[Any]]:
    """The where's reference spans and their values (raises interpolate.ResolveError)."""
    spans = reference_spans(text)
    return spans, [interpolate.render(text[s:e], scope).value for s, e in spans]


def _bound(
    text: str, tree: Condition | None, spans: list[tuple[int, int]], values: list[Any], act: str
) -> Condition:
    """``text``'s tree (``tree``: parsed at load; else parsed now, as written — never
    with a value in it) with the values put in as literals."""
    try:
        return bind_values(tree or parse_slotted(text, spans), values)
    except WhereError as exc:
        raise ActFailed(
            f"where {text!r}: {exc.message}",
            act=act,
            hint="a reference in a where must give a value of the column's type",
        ) from None


def bind_where(
    text: str | None, scope: interpolate.Scope, act: str, condition: Condition | None = None
) -> Condition | None:
    """The condition of a where, each reference's value bound into its tree as a literal."""
    if text is None:
        return None
    try:
        spans, values = _values(text, scope)
    except interpolate.ResolveError as exc:
        raise ReferenceFailed(exc.message, act=act, hint=exc.hint) from None
    return _bound(text, condition, spans, values, act)


def where_display(text: str, spans: list[tuple[int, int]], values: list[Any]) -> str:
    """The where as it runs (each reference shown as its literal), for the journal."""
    return shown(text, spans, values)


def _query(item: TableInput, scope: interpolate.Scope, act: str) -> Query:
    if not item.references:
        return item.query
    return replace(item.query, where=bind_where(item.where, scope, act, item.query.where))


# ----------------------------------------------------------------------------- reading


def claimant(run_id: str, act: str, iteration: int | None, index: int = 0) -> str:
    """Who holds a claim: ``RUN_ID/ACT/ITERATION`` (``/N`` for an act's N-th claiming input;
    a nested narrative's ACT is ``OUTER.ITERATION>ACT``)."""
    base = f"{run_id}/{act}/{iteration or 0}"
    return base if index == 0 else f"{base}/{index}"


def read_tables(
    services: Services, run: RunState, act: Act, iteration: int | None, scope: interpolate.Scope
) -> list[tuple[TableInput, list[ContentRow]]]:
    """Every table input's rows (``plan``: a claim is only looked at, not made)."""
    if not act.table_inputs:
        return []
    store = store_of(services, act.name)
    out: list[tuple[TableInput, list[ContentRow]]] = []
    claiming = 0
    for item in act.table_inputs:
        query = _query(item, scope, act.name)
        if item.claims and not run.dry_run:
            who = claimant(run.run_id, run.instance + act.name, iteration, claiming)
            claiming += 1
            rows = store.take(query, who)
        else:
            rows = store.select(query)
        out.append((item, rows))
    return out


def table_text(item: TableInput, rows: Sequence[ContentRow]) -> str:
    """Rows as prompt text (``format``, ``columns``)."""
    return render_rows(rows, item.format, item.query.columns)


def prompt_tables(
    services: Services, run: RunState, act: Act, iteration: int | None, scope: interpolate.Scope
) -> tuple[dict[int, str], list[Change]]:
    """A model act's table inputs as prompt text, by input position (an empty selection
    adds nothing, as a missing table in Botticelli), and the claims made."""
    if not act.table_inputs:
        return {}, []
    positions = [i for i, item in enumerate(act.inputs) if isinstance(item, TableInput)]
    texts: dict[int, str] = {}
    changes: list[Change] = []
    for position, (item, rows) in zip(
        positions, read_tables(services, run, act, iteration, scope), strict=True
    ):
        if rows:
            texts[position] = table_text(item, rows)
        if item.claims and rows:
            changes.append(Change("update", f"content {item.table}: claim {len(rows)}"))
    return texts, changes


def _rows_data(item: TableInput, rows: Sequence[ContentRow]) -> list[dict[str, Any]]:
    data = [row.as_data() for row in rows]
    columns = item.query.columns
    if columns:
        from narrator.content.render import value_of

        return [{"id": row.id, **{name: value_of(row, name) for name in columns}} for row in rows]
    return data


def read_act(
    services: Services,
    run: RunState,
    act: Act,
    iteration: int | None,
    scope: interpolate.Scope,
    pending: dict[str, tuple[Any, dict[str, Any]]],
    meta: dict[str, Any],
    inputs: list[Any] | None = None,
) -> ActOutcome:
    """An act of only table inputs: its output is the rows as data — a list, or with
    several inputs an object of lists by alias (else table name); ``meta``: the state
    metadata of its ``output_var``."""
    read = read_tables(services, run, act, iteration, scope)
    changes: list[Change] = []
    parts: dict[str, list[dict[str, Any]]] = {}
    for item, rows in read:
        parts[item.alias or item.table] = _rows_data(item, rows)
        if inputs is not None:
            inputs.append({"table": item.table, "where": item.where, "rows": len(rows)})
        if item.claims and (rows or run.dry_run):
            action = "run" if run.dry_run else "update"
            note = "claims when run" if run.dry_run else None
            changes.append(Change(action, f"content {item.table}: claim {len(rows)}", note=note))
    output: Any = next(iter(parts.values())) if len(parts) == 1 else parts
    run.acts[act.name] = interpolate.ActValue(output, tainted=True)
    if act.output_var and not run.dry_run:
        pending[act.output_var] = (output, meta)
    return ActOutcome(act.name, "done", output, changes=changes)


# ----------------------------------------------------------------------------- storing


def parse_items(text: str, schema: Mapping[str, Any] | None) -> tuple[Any, str | None]:
    """A storing act's answer: ``(value, None)`` or ``(None, problem)``.

    An array schema describes the whole answer; any other schema describes one
    item, and the answer may be that item or an array of them (each checked).
    """
    from narrator.structured import StructuredOutputError

    try:
        value = extract_json(text)
    except StructuredOutputError as exc:
        return None, str(exc)
    if schema is None:
        return value, None
    if schema.get("type") == "array" or not isinstance(value, list):
        errors = validate(value, schema)
    else:
        errors = [
            e.replace("$", f"$[{i}]", 1) for i, v in enumerate(value) for e in validate(v, schema)
        ]
    if errors:
        return None, "the JSON in the answer does not match the schema:\n" + "\n".join(
            f"  - {e}" for e in errors
        )
    return value, None


def item_schema_instruction(schema: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The schema a storing act's prompt asks for: an item schema asks for an array of items."""
    if schema is None or schema.get("type") == "array":
        return schema
    return {"type": "array", "items": dict(schema)}


def items_to_store(act: Act, output: Any) -> list[dict[str, Any]] | str | None:
    """The items a storing act's output holds (a list, possibly empty); a message when
    they cannot be stored; None when the act stores nothing (Botticelli: no JSON)."""
    if act.store is None:
        return None
    value = output
    if act.store.botticelli and isinstance(output, str):
        from narrator.structured import StructuredOutputError

        try:
            value = extract_json(output)
        except StructuredOutputError:
            return None
    items = value if isinstance(value, list) else [value]
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            kind = type(item).__name__
            return (
                f"store = {act.store.table!r}: item {index} of the answer is {kind}, "
                "not an object; ask for a JSON object or an array of objects"
            )
    return list(items)


def insert_items(
    services: Services, run: RunState, act: Act, items: Sequence[Mapping[str, Any]]
) -> list[ContentRow]:
    """Insert (inside the caller's unit of work)."""
    assert act.store is not None
    provenance = Provenance(
        narrative=run.plan.name,
        run_id=run.run_id,
        act=act.name,
        model=act.model or run.plan.model or "default",
    )
    return store_of(services, act.name).insert(
        act.store.table, items, provenance, dedupe=act.store.dedupe
    )


def store_items(
    services: Services,
    run: RunState,
    act: Act,
    outcome: ActOutcome,
    pending: dict[str, tuple[Any, dict[str, Any]]],
    items: Sequence[Mapping[str, Any]],
    meta: dict[str, Any],
) -> None:
    """Insert a storing act's items (inside the act's unit of work); natively the act's
    output (and ``output_var``, written with ``meta``) becomes the stored rows, with ids."""
    assert act.store is not None
    rows = insert_items(services, run, act, items)
    outcome.changes.append(Change("create", f"content {act.store.table}: {len(rows)} rows"))
    if act.store.botticelli:
        return
    outcome.output = [row.as_data() for row in rows]
    run.acts[act.name] = interpolate.ActValue(outcome.output, tainted=True)
    if act.output_var:
        pending[act.output_var] = (outcome.output, meta)


# ----------------------------------------------------------------------------- commands


def render_command_args(
    args: Mapping[str, Any], scope: interpolate.Scope, act: str
) -> tuple[dict[str, Any], frozenset[str]]:
    """A content command's arguments, rendered; its where only bound (and shown with its
    values), never rendered into text that is parsed."""
    plain = {k: v for k, v in args.items() if k not in _WHERE_KEYS}
    rendered, tainted = interpolate.render_value(plain, scope)
    for key in _WHERE_KEYS:
        text = args.get(key)
        if isinstance(text, str):
            spans, values = _values(text, scope)  # interpolate.ResolveError: the caller's
            _bound(text, None, spans, values, act)  # a value of the wrong type fails now
            rendered[key] = where_display(text, spans, values)
    return rendered, tainted


def run_command(
    services: Services,
    run: RunState,
    act: Act,
    name: str,
    template: Mapping[str, Any],
    args: Mapping[str, Any],
    scope: interpolate.Scope,
) -> tuple[Any, list[Change]]:
    """Perform one content command (``plan``: say what it would do)."""
    table = str(args.get("table", args.get("table_name", "")))
    where_key = next((k for k in _WHERE_KEYS if isinstance(template.get(k), str)), None)
    condition = bind_where(template[where_key], scope, act.name) if where_key else None
    verb = name.rsplit(".", 1)[-1]
    if run.dry_run:
        action = {"insert": "create", "delete": "delete"}.get(verb, "update")
        return None, [Change(action, f"content {table}", note="when run")]
    store = store_of(services, act.name)
    limit = _limit(args.get("limit"), act.name)
    if verb == "insert":
        raw = args.get("items")
        items: list[Any] = raw if isinstance(raw, list) else [raw]
        provenance = Provenance(run.plan.name, run.run_id, act.name, None)
        status = args.get("status")
        rows = store.insert(
            table,
            items,
            provenance,
            dedupe=args.get("dedupe"),
            **({"status": str(status)} if status is not None else {}),
        )
        data: Any = [r.as_data() for r in rows]
        return data, [_change("create", table, len(rows))]
    if verb == "delete":
        count = store.delete(table, condition, limit=limit)
        return {"deleted": count}, [_change("delete", table, count)]
    values, status, message_id = _update_values(name, args, services.clock.now().isoformat())
    rows = store.update(table, condition, values, status=status, message_id=message_id, limit=limit)
    if name == "update_table":  # Botticelli answers with the count
        return {"rows_affected": len(rows)}, [_change("update", table, len(rows))]
    return [r.as_data() for r in rows], [_change("update", table, len(rows))]


def _change(action: str, table: str, count: int) -> Change:
    """What a content command did to ``count`` rows (none: unchanged)."""
    return Change(action if count else "unchanged", f"content {table}: {count} rows")


def _limit(value: Any, act: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ActFailed(f"limit must be a whole number, not {value!r}", act=act)
    return int(value)


def _update_values(
    name: str, args: Mapping[str, Any], now: str
) -> tuple[dict[str, Any], str | None, str | None]:
    """``content.update``'s values/status/message_id, or ``update_table``'s updates (where
    ``"NOW()"``, Botticelli's SQL function, is the current time as ISO-8601 text)."""
    if name == "update_table":
        values = {
            k: now if isinstance(v, str) and v.strip().upper() == "NOW()" else v
            for k, v in (args.get("updates") or {}).items()
        }
        status = values.pop("review_status", values.pop("status", None))
        message_id = values.pop("message_id", None)
    else:
        values = dict(args.get("values") or {})
        status, message_id = args.get("status"), args.get("message_id")
    return (
        values,
        None if status is None else str(status),
        None if message_id is None else str(message_id),
    )


# ----------------------------------------------------------------------------- claims


def plan_claims(plan: Plan) -> tuple[bool, bool]:
    """(claims anything, pulls and deletes) for a plan and its nested plans."""
    claims = deletes = False
    for act in plan.acts:
        for item in act.table_inputs:
            claims = claims or item.claims
            deletes = deletes or item.pull_and_delete
        if act.subplan is not None:
            inner = plan_claims(act.subplan)
            claims, deletes = claims or inner[0], deletes or inner[1]
    return claims, deletes


def finish_claims(services: Services, plan: Plan, run_id: str, status: str) -> None:
    """The end of a run: done → claims consumed (``pull_and_delete``: the claimed rows
    deleted), except those of an iteration that failed (a carousel's
    ``continue_on_error``) and sent nothing after its take: those rows go back
    (:func:`narrator.content.claims.settle`). Failed or interrupted → kept, so
    ``narrator resume`` gets the same rows back and nothing is taken twice
    (``narrator content release`` gives them back without resuming)."""
    claims, deletes = plan_claims(plan)
    store = services.content
    if not claims or store is None or status != "done":
        return
    held = [c.claimant for c in store.claims(run_id=run_id)]
    if held:
        record = services.journal.get_run(run_id)
        back = settle(held, record.acts if record else (), finished=True).back
        if back:
            store.release_claimants(back, consumed=False)
    if deletes:
        store.delete_claimed(run_id)
    store.release(run_id, consumed=True)
