"""Content tables in narratives, at load time (issue 11): table inputs, ``store``,
and the ``content``/``database`` commands' ``where``.

Everything a table input or a content command says is checked here, before
anything runs: the table's name, ``where`` and ``order_by`` (parsed by
:mod:`narrator.content.where`, the only parser of them; a refused text is a
problem at the LINE:COL of the offending character), ``limit``/``take``, the
format. References inside a ``where`` are slots (:mod:`narrator.parser.where_slots`).
Both dialects build their :class:`~narrator.plan.TableInput` with
:func:`table_input`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from narrator.content import Query, WhereError, parse_order
from narrator.parser.context import Context, show
from narrator.parser.fields import Field, as_bool, as_choice, as_int, as_str, as_str_list, take
from narrator.parser.locate import Path
from narrator.parser.references import StringSite
from narrator.parser.where_slots import parse_slotted, reference_spans
from narrator.plan import TableInput

__all__ = [
    "BOTT_TABLE_FIELDS",
    "CONTENT_PLATFORMS",
    "DEFAULT_LIMIT",
    "TABLE_FIELDS",
    "check_content_command",
    "check_table_name",
    "table_input",
    "where_problem",
]

DEFAULT_LIMIT = 100  # rows a table input reads when it names no limit
CONTENT_PLATFORMS = ("content", "database")
FORMATS = ("json", "markdown", "csv")

_COMMON: dict[str, Field] = {
    "columns": Field(as_str_list, "an array of strings", 'columns = ["title", "body"]'),
    "where": Field(as_str, "a string (a condition)", "where = \"status = 'approved'\""),
    "order_by": Field(as_str, "a string", 'order_by = "created_at DESC"'),
    "limit": Field(as_int(1), "an integer >= 1", "limit = 10"),
    "offset": Field(as_int(0), "an integer >= 0", "offset = 0"),
    "sample": Field(as_int(1), "an integer >= 1", "sample = 5"),
    "format": Field(as_choice(*FORMATS), '"json", "markdown" or "csv"', 'format = "markdown"'),
    "pull_and_delete": Field(as_bool, "true or false", "pull_and_delete = true"),
    "alias": Field(as_str, "a string", 'alias = "posts"'),
}
# native: [[act.input]] type = "table"
TABLE_FIELDS: dict[str, Field] = {
    "type": Field(as_str, '"table"', 'type = "table"'),
    "table": Field(as_str, "a string (a content table)", 'table = "posts"'),
    **_COMMON,
    "take": Field(as_int(1), "an integer >= 1", "take = 1"),
}
# Botticelli: [tables.X] and type = "table" inputs (where_clause: discord_poster.toml's spelling)
BOTT_TABLE_FIELDS: dict[str, Field] = {
    "table_name": Field(as_str, "a string", 'table_name = "welcome_messages"'),
    **_COMMON,
    "where_clause": Field(as_str, "a string (a condition)", "where_clause = \"tone = 'casual'\""),
}


def check_table_name(ctx: Context, value: Any, path: Path, what: str) -> str | None:
    """A content table's name: literal text (no references), letters first."""
    from narrator.content import validate_table
    from narrator.errors import NarratorError

    if not isinstance(value, str):
        ctx.value_problem(path, f'{what} must be a string; write {what} = "posts"')
        return None
    try:
        return validate_table(value)
    except NarratorError as exc:
        hint = f"; {exc.hint}" if exc.hint else ""
        ctx.value_problem(path, f"{exc.message}{hint}")
        return None


def where_problem(
    ctx: Context,
    text: str,
    path: Path,
    label: str,
    *,
    offset_map: Callable[[int], int] | None = None,
) -> bool:
    """Check a ``where`` (references as slots); True when it parses. A refused text is
    a problem at its offending character."""
    from narrator.interpolate import TemplateSyntaxError

    try:
        spans = reference_spans(text)
    except TemplateSyntaxError:
        return False  # reported by the reference check of the same string
    try:
        parse_slotted(text, spans)
    except WhereError as exc:
        offset = offset_map(exc.offset) if offset_map else exc.offset
        ctx.inside_problem(
            path,
            offset,
            f"{label}: where refused: {exc.message}; write a condition like "
            "status = 'approved' AND score >= 7",
        )
        return False
    return True


def _order(ctx: Context, text: str, path: Path, label: str) -> tuple[Any, ...]:
    try:
        return parse_order(text)
    except WhereError as exc:
        ctx.inside_problem(
            path,
            exc.offset,
            f'{label}: order_by refused: {exc.message}; write e.g. order_by = "created_at DESC"',
        )
        return ()


def table_input(
    ctx: Context,
    definition: Mapping[str, Any],
    path: Path,
    label: str,
    sites: list[StringSite],
    *,
    botticelli: bool = False,
    alias: str | None = None,
    ignored: frozenset[str] = frozenset(),
    translate: Callable[[str], tuple[str, Callable[[int], int]]] | None = None,
) -> TableInput | None:
    """A table input of either dialect; problems go to ``ctx``, its where's references
    to ``sites`` (checked with the act's other strings)."""
    if botticelli:
        fields = dict(BOTT_TABLE_FIELDS)
        if alias is None:
            fields["type"] = Field(as_str, '"table"', 'type = "table"')
        name_key = "table_name"
    else:
        fields, name_key = TABLE_FIELDS, "table"
    what = f"a table input of {label}"
    values = take(ctx, definition, path, fields, what=what, ignored=ignored)
    ok = True
    if name_key not in definition:
        ctx.key_problem(path, f'{what} needs {name_key} = "..."; e.g. {name_key} = "posts"')
        return None
    table = check_table_name(ctx, definition[name_key], (*path, name_key), name_key)
    where_key = "where_clause" if "where_clause" in values and "where" not in values else "where"
    if "where" in values and "where_clause" in values:
        ctx.key_problem((*path, "where_clause"), f"{what} has where and where_clause; keep one")
        ok = False
    elif where_key == "where_clause":  # Botticelli's table key is `where`; it drops this one
        ctx.key_warning(
            (*path, "where_clause"),
            f"'where_clause' in {what}: Botticelli does not read it (its key is where) and "
            "reads the table unfiltered; narrator applies it as where — write where = ... "
            "to filter in both",
        )
    where_text: str | None = values.get(where_key)
    condition = None
    references: tuple[str, ...] = ()
    if where_text is not None:
        offset_map = None
        if translate is not None:  # Botticelli references in a where: ${act.x}
            where_text, offset_map = translate(where_text)
        wpath = (*path, where_key)
        sites.append(StringSite(where_text, wpath, offset_map=offset_map))
        if where_problem(ctx, where_text, wpath, label, offset_map=offset_map):
            spans = reference_spans(where_text)  # parsed once, its references as slots
            references = tuple(where_text[s:e] for s, e in spans)
            condition = parse_slotted(where_text, spans)
        else:
            ok = False
    order: tuple[Any, ...] = ()
    if "order_by" in values:
        order = _order(ctx, values["order_by"], (*path, "order_by"), label)
    limit = values.get("limit")
    takes = values.get("take")
    if takes is not None:
        if limit is not None:
            ctx.key_problem((*path, "limit"), f"{what}: take = N is also the limit; remove limit")
            ok = False
        limit = takes
    if values.get("pull_and_delete") and limit is None:
        limit = 10  # Botticelli's pull_and_delete default
    if limit is None:
        limit = DEFAULT_LIMIT
    if not ok or table is None or name_key not in values:
        return None
    columns = values.get("columns")
    if columns is not None and not all(c.strip() for c in columns):
        ctx.value_problem((*path, "columns"), f"{what}: a column name is empty ({show(columns)})")
        return None
    query = Query(
        table=table,
        where=condition,
        order=order,
        limit=limit,
        offset=values.get("offset", 0),
        sample=values.get("sample"),
        columns=tuple(columns) if columns else None,
    )
    return TableInput(
        table=table,
        query=query,
        format=values.get("format", "json"),
        take=takes,
        pull_and_delete=bool(values.get("pull_and_delete", False)),
        alias=values.get("alias", alias),
        where=where_text,
        references=references,
        location=ctx.at_key(path),
    )


# ------------------------------------------------------------------------ commands

_WHERE_ARGS = ("where", "where_clause")
_TABLE_ARGS = ("table", "table_name")


def check_content_command(
    ctx: Context,
    platform: str,
    command: str,
    args: Mapping[str, Any],
    args_path: Path,
    label: str,
    *,
    translate: Callable[[str], tuple[str, Callable[[int], int]]] | None = None,
) -> None:
    """What the catalogue cannot check of a content command: its table is a name,
    its where parses (``translate``: Botticelli references rewritten first), an update
    sets something."""
    for key in _TABLE_ARGS:
        if key in args:
            check_table_name(ctx, args[key], (*args_path, key), key)
    for key in _WHERE_ARGS:
        value = args.get(key)
        if key in args and not isinstance(value, str):
            ctx.value_problem((*args_path, key), f"{key} must be a string (a condition)")
        elif isinstance(value, str):
            offset_map = None
            if translate is not None:
                value, offset_map = translate(value)
            where_problem(ctx, value, (*args_path, key), label, offset_map=offset_map)
    name = command.rsplit(".", 1)[-1]
    if name == "update" and not any(k in args for k in ("values", "status", "message_id")):
        ctx.key_problem(
            args_path,
            f'{label}: content.update sets nothing; add status = "posted", '
            "message_id = ... or values = { ... }",
        )
    for key in ("values", "updates"):
        if key in args and not isinstance(args[key], dict):
            ctx.value_problem((*args_path, key), f"{key} must be a table: {key} = {{ x = 1 }}")


# ------------------------------------------------------------------------ acts


def native_store(
    ctx: Context, values: dict[str, Any], inputs: list[Any], path: Path, label: str
) -> None:
    """``store``/``dedupe`` of a native act → ``values["store"]`` (a StoreSpec); and where
    table inputs may go (a model act's prompt, or an act of only tables)."""
    from narrator.plan import BotCommandInput, StoreSpec, TextInput

    tables = [i for i in inputs if isinstance(i, TableInput)]
    if tables and any(isinstance(i, BotCommandInput) for i in inputs):
        ctx.key_problem(
            (*path, "input"),
            f"{label} mixes table inputs and bot commands; read the rows in an act of their "
            "own and use its output ({act.NAME.output.0.FIELD}) in the commands",
        )
    dedupe = values.pop("dedupe", None)
    table = values.pop("store", None)
    mode = values.pop("store_mode", "json")
    template = values.pop("template", None)
    if table is None:
        given = {"dedupe": dedupe, "store_mode": mode != "json" or None, "template": template}
        for key, value in given.items():
            if value is not None:
                ctx.key_problem((*path, key), f'{label}: {key} needs store = "TABLE"')
        return
    if check_table_name(ctx, table, (*path, "store"), "store") is None:
        return
    if not any(isinstance(i, TextInput) for i in inputs) or any(
        isinstance(i, BotCommandInput) for i in inputs
    ):
        ctx.key_problem(
            (*path, "store"),
            f"{label}: store needs a model act (text inputs, no bot commands); its JSON answer "
            "is what is stored",
        )
        return
    if template is not None and not _template_schema(ctx, template, values, path):
        return
    if mode == "extract":  # Botticelli's content generation: the output stays the answer
        values["store"] = StoreSpec(
            table=table,
            dedupe=dedupe,
            botticelli=True,
            template=template,
            location=ctx.at_value((*path, "store")),
        )
        return
    if values.get("output") == "text":
        ctx.value_problem(
            (*path, "output"),
            f'{label} stores its answer in a table but output = "text"; write output = "json"',
        )
    values["output"] = "json"
    values["store"] = StoreSpec(
        table=table, dedupe=dedupe, template=template, location=ctx.at_value((*path, "store"))
    )


def _template_schema(ctx: Context, name: str, values: dict[str, Any], path: Path) -> bool:
    """``template = "NAME"``: a shipped content template; its schema is the act's when the
    act gives none (as Botticelli's [narrative] template)."""
    from narrator.content import templates

    try:
        schema = templates.load(name)
    except templates.UnknownTemplate as exc:
        ctx.value_problem((*path, "template"), f"no content template '{name}'; {exc.hint}")
        return False
    if "schema" not in values:
        values["schema"] = schema
        values["output"] = "json"
    return True
