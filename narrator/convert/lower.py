"""A Botticelli plan lowered to what a native file can say, with a warning for each loss.

Most of a Botticelli plan reads back from a native file unchanged. A few things
cannot, or read differently, and :func:`lower` turns each into its native
counterpart — the plan ``convert`` writes out and then expects to read back:

* files (text ``file =`` inputs, media) are named relative to the native file's
  folder, so the copy written elsewhere still finds them;
* arguments a command does not read (the dialect accepts them with a warning, as
  Botticelli ignores them; a native file may not name them) are left out;
* behaviours the native format has no key for (yet) are dropped, each with a
  warning located at the input or act that had it. Whether the native format
  has a key is asked of the parser's own field tables, so a key added to the
  native format is used at once.

Inputs and acts are read by their ``type`` and attributes rather than by class,
so new kinds of input pass through (and are compared) unchanged.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from narrator import catalogue
from narrator.errors import Location, Problem
from narrator.parser import fields
from narrator.plan import Act, Plan


def native_has(table: str, key: str) -> bool:
    """Whether the native field table ``table`` (e.g. ``COMMAND_FIELDS``) has ``key``."""
    return key in getattr(fields, table, {})


def lower(plan: Plan, *, target_dir: str | None) -> tuple[Plan, list[Problem]]:
    """``plan`` as a native file says it (files rebased on ``target_dir``), and the losses."""
    warnings: list[Problem] = []
    acts = tuple(_act(act, target_dir, warnings) for act in plan.acts)
    return dataclasses.replace(plan, acts=acts), warnings


def _where(thing: Any, fallback: Act) -> Location:
    location = getattr(thing, "location", None) or fallback.location
    return location if location is not None else Location("<string>", 1, 1)


def _act(act: Act, target_dir: str | None, warnings: list[Problem]) -> Act:
    changes: dict[str, Any] = {}
    inputs = tuple(_input(item, act, target_dir, warnings) for item in act.inputs)
    if inputs != act.inputs:
        changes["inputs"] = inputs
    if getattr(act, "subplan_joins", False) and not native_has("ACT_FIELDS", "narrative_joins"):
        warnings.append(
            Problem(
                _where(act, act),
                f"act '{act.name}' composes a narrative (its acts' outputs joined are the "
                "act's output); the native format has no such key: the nested narrative "
                "runs for its effects only",
            )
        )
        changes["subplan_joins"] = False
    store = getattr(act, "store", None)
    if (
        store is not None
        and getattr(store, "botticelli", False)
        and not native_has("ACT_FIELDS", "store_mode")
    ):
        warnings.append(
            Problem(
                _where(store, act),
                f"act '{act.name}': Botticelli stores the JSON it finds in this act's answer "
                f"in content table '{store.table}' and keeps the answer as the output; the "
                "native store = needs a JSON answer and outputs the stored rows, so the native "
                f'file does not store (add store = "{store.table}" to the act if that fits)',
            )
        )
        changes["store"] = None
    return dataclasses.replace(act, **changes) if changes else act


def _input(item: Any, act: Act, target_dir: str | None, warnings: list[Problem]) -> Any:
    kind = getattr(item, "type", None)
    changes: dict[str, Any] = {}
    file = getattr(item, "file", None)
    if file is not None:
        changes["file"] = _file(file, item, act, target_dir, warnings)
    if (
        kind == "bot_command"
        and getattr(item, "required", True) is False
        and not native_has("COMMAND_FIELDS", "required")
    ):
        warnings.append(
            Problem(
                _where(item, act),
                f"act '{act.name}': {item.command} is optional in Botticelli (a failure becomes "
                "text and the act goes on); the native format has no such key: a failure "
                "fails the act",
            )
        )
        changes["required"] = True
    if kind == "bot_command":
        spec = catalogue.lookup(item.platform, item.command)
        unknown = [key for key in item.args if spec is not None and key not in spec.args]
        if unknown:  # the parser warned at each ("is ignored"): a native file may not name it
            changes["args"] = {k: v for k, v in item.args.items() if k not in unknown}
    if (
        kind == "text"
        and getattr(item, "verbatim", False)
        and not native_has("TEXT_FIELDS", "verbatim")
    ):
        warnings.append(
            Problem(
                _where(item, act),
                f"act '{act.name}': this prompt is sent verbatim (Botticelli does not render "
                "it); the native format has no such key: narrator renders it",
            )
        )
        changes["verbatim"] = False
    return dataclasses.replace(item, **changes) if changes else item


def _file(ref: Any, item: Any, act: Act, target_dir: str | None, warnings: list[Problem]) -> Any:
    """A file reference as the native file in ``target_dir`` names it."""
    path = ref.path
    base = ref.base_dir
    if getattr(ref, "search", False):
        warnings.append(
            Problem(
                _where(item, act),
                f"act '{act.name}': Botticelli looks the bare name '{path}' up in "
                "$BOTTICELLI_CONTEXT_PATH and the folders above; the native file reads it "
                "beside the file",
            )
        )
    elif base is None and not os.path.isabs(path):
        warnings.append(
            Problem(
                _where(item, act),
                f"act '{act.name}': Botticelli reads '{path}' relative to the working directory; "
                "the native file reads it relative to its own folder",
            )
        )
    if base is not None and target_dir is not None and not os.path.isabs(path):
        path = os.path.relpath(os.path.join(base, path), target_dir).replace(os.sep, "/")
    changes = {"path": path, "base_dir": target_dir}
    if hasattr(ref, "search"):
        changes["search"] = False
    return dataclasses.replace(ref, **changes)
