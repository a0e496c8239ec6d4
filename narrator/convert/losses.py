"""What a Botticelli file says that the native file cannot: ``convert``'s warnings.

Each warning is a :class:`~narrator.errors.Problem` located at the key or
value in the Botticelli file, and says what Botticelli did with it and what
the native file does instead. Nothing here changes the conversion: the plan
already is what narrator runs; these are the places where that differs from
Botticelli, or where something written is not carried over.
"""

from __future__ import annotations

from typing import Any

from narrator.convert.lower import native_has
from narrator.convert.origin import Item, Layout, act_items
from narrator.errors import Location, Problem
from narrator.parser.fields import IGNORED_ACT_KEYS, IGNORED_INPUT_KEYS, IGNORED_NARRATIVE_KEYS
from narrator.parser.locate import Locator, Path
from narrator.plan import Plan, TextInput

# keys the parser reads for content generation: they become each storing act's store
_STORING = frozenset({"skip_content_generation", "target", "template", "extract_output"})
# what Botticelli does with the keys narrator accepts and ignores
_WHY: dict[str, str] = {
    "budget": "Botticelli's per-narrative rate budget (narrator's: [models.*] in narrator.toml)",
    "cache_duration": "Botticelli's cache of a command's result",
    "history_retention": "how much of the conversation Botticelli keeps for this input",
}


def losses(
    data: dict[str, Any], locator: Locator, source: str, plan: Plan, where: Layout
) -> list[Problem]:
    """Every place where the converted file cannot say what the Botticelli file said."""
    found: list[Problem] = []

    def warn(path: Path, message: str) -> None:
        line, col = locator.key(path)
        found.append(Problem(Location(source, line, col), message))

    if where.head is not None:
        for key in where.head:
            if key in IGNORED_NARRATIVE_KEYS and key not in _STORING:
                warn((*where.head_path, key), _dropped(f"[narrative] {key}", key))
    used: set[Path] = set()
    converted = set(plan.act_names)
    for name, raw in where.acts.items():
        path = where.act_paths.get(name, ("acts", name))
        if name not in converted:
            if not where.several:  # the other narratives of the file list their own
                warn(
                    path,
                    f"act '{name}' is not in [toc] order, so Botticelli never runs it; "
                    "it is not converted (add it to the order first to keep it)",
                )
            continue
        if isinstance(raw, dict):
            for key in raw:
                if key in IGNORED_ACT_KEYS and key not in _STORING:
                    warn((*path, key), _dropped(f"act '{name}': {key}", key))
        items = act_items(data, where, name)
        used.update(i.definition for i in items if i.definition is not None)
        made = plan.act(name).inputs
        inputs = [i for i in items if i.kind not in ("nested", "narratives")]
        for index, item in enumerate(inputs):
            _input_keys(data, item, name, warn)
            text = made[index] if index < len(made) else None
            if isinstance(text, TextInput) and (item.kind == "tables" or _is_table(data, item)):
                warn(item.path, _table_message(name, item, text.content))  # read as text
    if where.several:
        return found  # a definition may serve another narrative of the file
    for category in ("bots", "tables", "narratives", "media"):
        table = data.get(category)
        if not isinstance(table, dict):
            continue
        for name in table:
            if (category, name) not in used:
                warn(
                    (category, name),
                    f"[{category}.{name}] is used by no act in [toc] order; it is not converted",
                )
    return found


def _dropped(what: str, key: str) -> str:
    why = _WHY.get(key, "a Botticelli setting")
    return f"{what} has no native equivalent ({why}); it is left out"


def _input_keys(data: dict[str, Any], item: Item, act: str, warn: Any) -> None:
    table = _at(data, item.path[:-1] if item.path[-1] == "ref" else item.path)
    if not isinstance(table, dict):
        return
    base = item.path[:-1] if item.path[-1] == "ref" else item.path
    for key, value in table.items():
        if key not in IGNORED_INPUT_KEYS:
            continue
        if key == "required":
            if value is False and not native_has("COMMAND_FIELDS", "required"):
                warn(
                    (*base, key),
                    f"act '{act}': required = false (Botticelli goes on when this command "
                    "fails) has no native equivalent; in the native file a failing command "
                    "fails its act",
                )
            continue
        warn((*base, key), _dropped(f"act '{act}': input {key}", key))


def _is_table(data: dict[str, Any], item: Item) -> bool:
    raw = _at(data, item.path)
    return isinstance(raw, dict) and raw.get("type") == "table"


def _table_message(act: str, item: Item, content: str) -> str:
    where = f"[{item.definition[0]}.{item.definition[1]}]" if item.definition else "table input"
    if content.startswith("{act."):
        instead = f"the output of the act that nests that narrative ({content})"
    else:
        instead = "a text input saying the table is not available"
    return (
        f"act '{act}': {where} reads a Botticelli content table, which narrator does not have; "
        f"converted to {instead}, as narrator runs the original"
    )


def _at(data: Any, path: Path) -> Any:
    value = data
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value
