"""A :class:`~narrator.plan.Plan` written out as a native-format file, with comments.

The text is assembled table by table, in the order the native format teaches
(``[narrative]``, ``[carousel]``, then each ``[[act]]`` with its inputs); every
key and value is written by tomlkit (quoting, escapes, multi-line strings), so
whatever a value holds reads back identically. Only what differs from the
native defaults is written, so the file stays as short as the original.

Comments come from :class:`Notes`, filled by :mod:`narrator.convert.origin`
from the Botticelli file: a block above a table, or one comment at the end of
a key's line. This module knows nothing about Botticelli.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import tomlkit

from narrator.plan import Act, CarouselSpec, Input, Plan


class Unconvertible(ValueError):
    """A part of the plan this emitter cannot write."""


@dataclass
class InputNotes:
    above: list[str] = field(default_factory=list)  # whole-line comments above [[act.input]]
    after: str | None = None  # a comment at the end of the [[act.input]] line
    args: dict[str, str] = field(default_factory=dict)  # argument -> end-of-line comment
    raw: dict[str, Any] = field(default_factory=dict)  # the table as written (order_by, ...)
    keys: dict[str, str] = field(default_factory=dict)  # the input's own key -> comment


@dataclass
class ActNotes:
    above: list[str] = field(default_factory=list)
    after: str | None = None
    keys: dict[str, str] = field(default_factory=dict)  # act key -> end-of-line comment
    inputs: list[InputNotes] = field(default_factory=list)  # aligned with Act.inputs
    nested: str | None = None  # how to name the nested narrative file (narrative = "...")


@dataclass
class Notes:
    """Everything :func:`emit` writes besides the plan itself."""

    header: list[str] = field(default_factory=list)
    narrative_above: list[str] = field(default_factory=list)
    narrative_keys: dict[str, str] = field(default_factory=dict)
    carousel_above: list[str] = field(default_factory=list)
    carousel_keys: dict[str, str] = field(default_factory=dict)
    before_acts: list[str] = field(default_factory=list)
    folder: str | None = None  # where the native file goes (file arguments are relative to it)
    acts: dict[str, ActNotes] = field(default_factory=dict)
    trailer: list[str] = field(default_factory=list)  # comments that found no place


def value_text(value: Any) -> str:
    """``value`` as TOML, written by tomlkit (inline tables and arrays for nesting)."""
    if isinstance(value, str):
        return tomlkit.string(value, multiline="\n" in value).as_string()
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        inner = ", ".join(f"{key_text(k)} = {value_text(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, bool | int | float | datetime.date | datetime.time):
        return tomlkit.item(value).as_string()  # a datetime is a date too
    raise Unconvertible(f"a {type(value).__name__} value has no TOML form")


def key_text(key: str) -> str:
    return tomlkit.key(key).as_string()


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def comments(self, block: list[str]) -> None:
        self.lines.extend(block)

    def header(self, name: str, above: list[str], after: str | None = None) -> None:
        self.blank()
        self.comments(above)
        self.lines.append(name + (f"  {after}" if after else ""))

    def pair(self, key: str, value: Any, comment: str | None = None) -> None:
        line = f"{key_text(key)} = {value_text(value)}"
        self.lines.append(line + (f"  {comment}" if comment else ""))

    def text(self) -> str:
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n"


def emit(plan: Plan, notes: Notes) -> str:
    """The native-format text of ``plan``."""
    out = _Writer()
    out.comments(notes.header)
    out.header("[narrative]", notes.narrative_above)
    keys = notes.narrative_keys
    out.pair("name", plan.name, keys.get("name"))
    if plan.description:
        out.pair("description", plan.description, keys.get("description"))
    for key, value, default in (
        ("guild_id", plan.guild_id, None),
        ("model", plan.model, None),
        ("system", plan.system, None),
        ("allow_destructive", plan.allow_destructive, False),
        ("concurrency", plan.concurrency, 1),
        ("budget_multiplier", plan.budget_multiplier, 1.0),
        ("capture_result_ids", plan.capture_result_ids, False),
    ):
        if value != default:
            out.pair(key, value, keys.get(key))
    if plan.carousel is not None:
        out.header("[carousel]", notes.carousel_above)
        _carousel(out, plan.carousel, notes.carousel_keys)
    if notes.before_acts:
        out.blank()
        out.comments(notes.before_acts)
    for act in plan.acts:
        _act(out, act, notes.acts.get(act.name, ActNotes()), notes.folder)
    if notes.trailer:
        out.blank()
        out.comments(notes.trailer)
    return out.text()


def _carousel(out: _Writer, spec: CarouselSpec, keys: Mapping[str, str]) -> None:
    for key, value, default in (
        ("iterations", spec.iterations, None),
        ("estimated_tokens_per_iteration", spec.estimated_tokens_per_iteration, None),
        ("continue_on_error", spec.continue_on_error, False),
        ("interval", spec.interval, None),
        ("until", spec.until, None),
        ("on_budget", spec.on_budget, "stop"),
    ):
        if value != default:
            out.pair(key, value, keys.get(key))


def _act(out: _Writer, act: Act, notes: ActNotes, folder: str | None) -> None:
    out.header("[[act]]", notes.above, notes.after)
    keys = notes.keys
    out.pair("name", act.name)
    store = getattr(act, "store", None)
    template = _template_schema(getattr(store, "template", None))
    for key, value, default in (
        ("output_var", act.output_var, None),
        ("skip_if", act.skip_if, None),
        ("model", act.model, None),
        ("temperature", act.temperature, None),
        ("max_tokens", act.max_tokens, None),
        ("context", act.context, "full"),
        ("system", act.system, None),
        ("output", act.output if act.schema is None else "text", "text"),
        ("schema", act.schema, template),
        ("mentions", act.mentions, None),
        ("allow_destructive", act.allow_destructive, None),
    ):
        if value != default:
            out.pair(key, value, keys.get(key))
    if store is not None:
        out.pair("store", store.table, keys.get("target"))
        if store.dedupe is not None:
            out.pair("dedupe", store.dedupe)
        if getattr(store, "botticelli", False):
            out.pair("store_mode", "extract")
        if getattr(store, "template", None) is not None:
            out.pair("template", store.template)
    if act.subplan is not None:
        out.pair("narrative", notes.nested or act.subplan.name, keys.get("narrative"))
        if getattr(act, "subplan_joins", False):
            out.pair("narrative_joins", True)
    if act.carousel is not None:
        out.header("[act.carousel]", [])
        _carousel(out, act.carousel, {})
    for index, item in enumerate(act.inputs):
        note = notes.inputs[index] if index < len(notes.inputs) else InputNotes()
        _input(out, item, note, folder)


def _template_schema(name: str | None) -> dict[str, Any] | None:
    """The schema a native ``template = NAME`` gives an act without one (None: no template)."""
    if name is None:
        return None
    from narrator.content import templates

    try:
        schema: dict[str, Any] = templates.load(name)
    except templates.UnknownTemplate:
        return None
    return schema


def _input(out: _Writer, item: Input, notes: InputNotes, folder: str | None) -> None:
    out.header("[[act.input]]", notes.above, notes.after)
    kind = getattr(item, "type", None)
    writer = _INPUTS.get(str(kind))
    if writer is None:
        raise Unconvertible(f"{kind} inputs have no native form in this version of convert")
    if kind == "bot_command" and folder is not None:
        item = _relative_files(item, folder)
    writer(out, item, notes)


def _relative_files(item: Any, folder: str) -> Any:
    """A command's file arguments (``guild.ensure icon``), which the parser made absolute,
    written relative to the native file's folder when the file is near: the native
    parser joins them to that folder again, to the same path, and the file stays portable."""
    from narrator.parser import media

    names = getattr(media, "FILE_ARGS", {}).get((item.platform, item.command), ())
    args = dict(item.args)
    for name in names:
        value = args.get(name)
        if isinstance(value, str) and os.path.isabs(value):
            relative = os.path.relpath(value, folder)
            if not relative.startswith(os.path.join(os.pardir, os.pardir)):
                args[name] = relative.replace(os.sep, "/")
    return dataclasses.replace(item, args=args) if args != item.args else item


def _text(out: _Writer, item: Any, notes: InputNotes) -> None:
    out.pair("type", "text", notes.keys.get("type"))
    if getattr(item, "verbatim", False):  # before a long prompt, where it is seen
        out.pair("verbatim", True, notes.keys.get("verbatim"))
    file = getattr(item, "file", None)
    if file is not None:
        out.pair("file", file.path, notes.keys.get("file"))
    else:
        out.pair("content", item.content, notes.keys.get("content"))


def _command(out: _Writer, item: Any, notes: InputNotes) -> None:
    out.pair("type", "bot_command", notes.keys.get("type"))
    out.pair("platform", item.platform, notes.keys.get("platform"))
    out.pair("command", item.command, notes.keys.get("command"))
    if getattr(item, "required", True) is False:
        out.pair("required", False, notes.keys.get("required"))
    if item.args:
        out.lines.append("[act.input.args]")
        for key, value in item.args.items():
            out.pair(key, value, notes.args.get(key))


def _media(out: _Writer, item: Any, notes: InputNotes) -> None:
    out.pair("type", item.kind, notes.keys.get("type"))
    if item.url is not None:
        out.pair("url", item.url, notes.keys.get("url"))
    elif item.file is not None:
        out.pair("file", item.file.path, notes.keys.get("file"))
    else:
        out.pair("base64", item.base64, notes.keys.get("base64"))
    out.pair("mime", item.mime, notes.keys.get("mime"))
    if item.filename is not None:
        out.pair("filename", item.filename, notes.keys.get("filename"))


def _table(out: _Writer, item: Any, notes: InputNotes) -> None:
    query = item.query
    out.pair("type", "table", notes.keys.get("type"))
    out.pair("table", item.table, notes.keys.get("table"))
    for key, value, default in (
        ("columns", query.columns, None),
        ("where", item.where, None),
        ("order_by", notes.raw.get("order_by"), None),
        ("sample", query.sample, None),
        ("offset", query.offset, 0),
        ("format", item.format, "json"),
        ("pull_and_delete", item.pull_and_delete, False),
        ("alias", item.alias, None),
    ):
        if value != default:
            out.pair(key, value, notes.keys.get(key))
    if item.take is not None:
        out.pair("take", item.take, notes.keys.get("take"))
    else:
        out.pair("limit", query.limit, notes.keys.get("limit"))


_INPUTS: dict[str, Callable[[_Writer, Any, InputNotes], None]] = {
    "text": _text,
    "bot_command": _command,
    "media": _media,
    "table": _table,
}
