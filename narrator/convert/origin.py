"""Where each part of a Botticelli plan was written, and the comments written there.

The parser turns a Botticelli file into a Plan and keeps, for each act and
input, only a location. To carry comments over, this module walks the file's
own tables the way the dialect reads them (``[acts]`` strings, arrays and
tables, ``[bots.X]`` / ``[tables.X]`` / ``[narratives.X]`` references) and asks
:class:`~narrator.convert.comments.Comments` for the comments above each table
or key and at the end of each line. The result is :class:`~narrator.convert.emit.Notes`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from narrator import catalogue
from narrator.convert.comments import Comments
from narrator.convert.emit import ActNotes, InputNotes, Notes
from narrator.parser.locate import Locator, Path
from narrator.plan import Act, Plan

REFERENCE = re.compile(r"(bots|tables|media|narratives)\.([A-Za-z0-9_-]+)\Z|narrative:(\S+)\Z")
NESTED_KEYS = ("narrative", "narrative_ref")


@dataclass(frozen=True)
class Item:
    """One input of a Botticelli act as written: its path, and the definition it names."""

    path: Path  # the item itself: ("acts", A, 2) or ("acts", A, "input", 0)
    definition: tuple[str, str] | None = None  # ("bots", X) when the item names [bots.X]
    nested: str | None = None  # the stem of a nested narrative file
    kind: str = "inline"  # "inline", "bots", "tables", "media", "narratives", "nested"


@dataclass(frozen=True)
class Layout:
    """Where the chosen narrative of a Botticelli file is written (one of several, maybe)."""

    head: dict[str, Any] | None  # its [narrative] keys
    head_path: Path
    toc_path: Path
    acts: dict[str, Any]  # act name -> the act as written (shared, or its own)
    act_paths: dict[str, Path]
    several: bool  # the file holds several [narrative.NAME]


def layout(data: dict[str, Any], locator: Locator, source: str, narrative: str | None) -> Layout:
    """The narrative ``parse`` chose (``narrator.parser.botticelli_multi``), as written."""
    from narrator.parser.botticelli_multi import narrative_entries, select
    from narrator.parser.context import Context

    chosen = select(Context(source, locator), data, narrative)
    head = chosen.head if isinstance(chosen.head, dict) else None
    several = len(narrative_entries(data)) > 1
    return Layout(head, chosen.head_path, chosen.toc_path, chosen.acts, chosen.act_paths, several)


def act_items(data: dict[str, Any], where: Layout, name: str) -> list[Item]:
    """The inputs of act ``name`` as written, in the order the dialect reads them."""
    raw = where.acts.get(name)
    base: Path = where.act_paths.get(name, ("acts", name))
    if isinstance(raw, str):
        return [_item(data, raw, base)]
    if isinstance(raw, list):
        return [_item(data, v, (*base, i)) for i, v in enumerate(raw)]
    if not isinstance(raw, dict):
        return []
    items = [
        Item((*base, key), nested=raw[key], kind="nested")
        for key in NESTED_KEYS
        if isinstance(raw.get(key), str)
    ]
    inputs = raw.get("input")
    if isinstance(inputs, list):
        items.extend(_item(data, v, (*base, "input", i)) for i, v in enumerate(inputs))
    return items


def _item(data: dict[str, Any], value: Any, path: Path) -> Item:
    ref: Any = value
    ref_path = path
    if isinstance(value, dict):
        if "ref" not in value:
            return Item(path)
        ref, ref_path = value["ref"], (*path, "ref")
    match = REFERENCE.match(ref) if isinstance(ref, str) else None
    if match is None:
        return Item(path)
    if match.group(3) is not None:
        return Item(ref_path, nested=match.group(3), kind="nested")
    category, name = match.group(1), match.group(2)
    definition = data.get(category, {}).get(name)
    nested = None
    if category == "narratives" and isinstance(definition, dict):
        stem = definition.get("narrative")
        nested = stem if isinstance(stem, str) else None
    return Item(ref_path, (category, name), nested, category)


class Gatherer:
    """Collects the :class:`Notes` of one file; each comment is placed once."""

    def __init__(self, text: str, data: dict[str, Any], locator: Locator, where: Layout) -> None:
        self.data = data
        self.locator = locator
        self.where = where
        self.comments = Comments(text)

    def line(self, path: Path) -> int | None:
        return self.locator.key(path)[0] if self.locator.has(path) else None

    def above(self, path: Path) -> list[str]:
        line = self.line(path)
        return self.comments.above(line) if line else []

    def after(self, path: Path) -> str | None:
        line = self.line(path)
        return self.comments.after(line) if line else None

    def keys(self, path: Path, table: Any) -> dict[str, str]:
        """End-of-line comments of the keys of ``table`` at ``path``."""
        if not isinstance(table, dict):
            return {}
        out: dict[str, str] = {}
        for key in table:
            comment = self.after((*path, key))
            if comment:
                out[key] = comment
        return out

    def notes(
        self, plan: Plan, *, nested_names: dict[str, str], folder: str | None = None
    ) -> Notes:
        notes = Notes(header=self.comments.header(), folder=folder)
        head, at = self.where.head, self.where.head_path
        if head is not None:
            notes.narrative_above = self.above(at)
            notes.narrative_keys = self.keys(at, head)
            if isinstance(head.get("carousel"), dict):
                notes.carousel_above = self.above((*at, "carousel"))
                notes.carousel_keys = self.keys((*at, "carousel"), head["carousel"])
        if self.locator.has(self.where.toc_path):
            notes.before_acts = self.above(self.where.toc_path)
            after = self.after(self.where.toc_path)
            if after:
                notes.before_acts.append(after)
        for act in plan.acts:
            notes.acts[act.name] = self._act(act, nested_names)
        # a file with several narratives: the others' comments go to their own conversions
        unused = [] if self.where.several else self.comments.unused()
        notes.trailer = [c.text for c in unused]
        if notes.trailer:
            notes.trailer.insert(0, "# (comments of the Botticelli file that had no place above)")
        return notes

    def _act(self, act: Act, nested_names: dict[str, str]) -> ActNotes:
        path: Path = self.where.act_paths.get(act.name, ("acts", act.name))
        items = act_items(self.data, self.where, act.name)
        notes = ActNotes()
        if self.locator.has(path):
            notes.above = self.above(path)
            notes.after = self.after(path)
        elif items:  # an act written only as [[acts.NAME.input]] tables
            notes.above = self.above(items[0].path)
        raw = self.where.acts.get(act.name)
        if isinstance(raw, dict):
            notes.keys = self.keys(path, {k: v for k, v in raw.items() if k != "input"})
        inputs = [i for i in items if i.kind not in ("nested", "narratives")]
        for item in items:
            if item.nested is not None:
                notes.nested = nested_names.get(item.nested, item.nested)
                if item.definition is not None:
                    notes.above += self.above(item.definition)
        if len(inputs) == len(act.inputs):
            notes.inputs = [self._input(item) for item in inputs]
        return notes

    def _input(self, item: Item) -> InputNotes:
        notes = InputNotes(above=self.above(item.path), after=self.after(item.path))
        if item.definition is not None:
            notes.above += self.above(item.definition)
            notes.after = notes.after or self.after(item.definition)
            table = self.data.get(item.definition[0], {}).get(item.definition[1])
            notes.args = self._args(item.definition, table, table)
            if item.kind == "tables" and isinstance(table, dict):
                notes.raw = table
            if item.kind in ("tables", "media"):
                notes.keys = _renamed(self.keys(item.definition, table))
        else:
            raw = self._value(item.path)
            if isinstance(raw, dict) and isinstance(raw.get("args"), dict):
                notes.args = self._args((*item.path, "args"), raw["args"], raw)
            if isinstance(raw, dict) and raw.get("type") == "table":
                notes.raw = raw
            if isinstance(raw, dict):
                notes.keys = _renamed(self.keys(item.path, raw))
        return notes

    def _args(self, path: Path, args: Any, table: Any) -> dict[str, str]:
        if not isinstance(args, dict):
            return {}
        platform = table.get("platform", "discord") if isinstance(table, dict) else "discord"
        out: dict[str, str] = {}
        for key, comment in self.keys(path, args).items():
            if key in ("platform", "command"):
                continue
            canonical = next(iter(catalogue.canonical_args(str(platform), {key: None})), key)
            out[canonical] = comment
        return out

    def _value(self, path: Path) -> Any:
        value: Any = self.data
        for part in path:
            try:
                value = value[part]
            except (KeyError, IndexError, TypeError):
                return None
        return value


def _renamed(comments: dict[str, str]) -> dict[str, str]:
    """End-of-line comments by the native key the Botticelli key becomes."""
    return {_NATIVE_KEY.get(key, key): text for key, text in comments.items()}


_NATIVE_KEY = {"where_clause": "where", "table_name": "table"}


def nested_stem(stem: str, base_dir: str | None, target_dir: str | None) -> str:
    """``stem`` (relative to the Botticelli file) as seen from the converted file's folder."""
    if base_dir is None or target_dir is None:
        return stem
    full = os.path.normpath(os.path.join(base_dir, stem))
    relative = os.path.relpath(full, target_dir)
    return relative.replace(os.sep, "/")
