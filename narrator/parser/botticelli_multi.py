"""Botticelli files with several narratives: ``[narrative.NAME]`` tables, one of them chosen.

Botticelli (crates/botticelli_narrative/src/toml_parser.rs, multi_narrative.rs)
reads ``[narrative]`` as *one* narrative when it has a ``name``; otherwise each
sub-table ``[narrative.NAME]`` is a narrative with its own ``toc = [...]``
(and ``carousel``, ``model``, ``acts`` overriding the shared ones), sharing the
top-level ``[acts]``, ``[bots]``, ``[tables]`` and ``[media]``. Its CLI picks
one with ``--narrative-name``; without one it refuses ("Multiple narratives
found. Specify one: ..."). narrator does the same with ``--narrative NAME``,
except that a file holding exactly one ``[narrative.NAME]`` runs it.
Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from narrator.errors import did_you_mean
from narrator.parser.checks import check_narrative_name
from narrator.parser.context import Context
from narrator.parser.locate import Path

__all__ = ["Selection", "narrative_entries", "select"]


@dataclass
class Selection:
    """The narrative of a file that is being built, and where its parts are written."""

    head: dict[str, Any] | None  # its [narrative] keys (None: no [narrative])
    head_path: Path
    toc: Any  # [toc] table, toc = [...] array, or None
    toc_path: Path
    acts: dict[str, Any]  # act name -> raw act (shared acts overridden by its own)
    act_paths: dict[str, Path]
    name: str | None = None  # the [narrative.NAME] chosen, None for a single narrative
    others: dict[str, Any] = field(default_factory=dict)  # every [narrative.NAME] of the file


def narrative_entries(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``[narrative.NAME]`` narratives of a file (empty for a single-narrative file)."""
    head = data.get("narrative")
    if not isinstance(head, dict) or isinstance(head.get("name"), str):
        return {}
    entries = {k: v for k, v in head.items() if isinstance(v, dict) and k != "carousel"}
    return entries if entries and len(entries) == len(head) - ("carousel" in head) else {}


def select(ctx: Context, data: dict[str, Any], name: str | None) -> Selection:
    """The narrative to build: the single one, or ``[narrative.NAME]``; problems to ``ctx``."""
    shared: dict[str, Any] = data.get("acts", {}) if isinstance(data.get("acts"), dict) else {}
    shared_paths: dict[str, Path] = {n: ("acts", n) for n in shared}
    entries = narrative_entries(data)
    if not entries:
        head = data.get("narrative")
        if name is not None and not (isinstance(head, dict) and head.get("name") == name):
            written = head.get("name") if isinstance(head, dict) else None
            ctx.key_problem(
                ("narrative",) if head is not None else (),
                f"--narrative {name}: this file holds one narrative"
                + (f" ('{written}')" if isinstance(written, str) else "")
                + "; leave --narrative out",
            )
        return Selection(
            head if isinstance(head, dict) else None,
            ("narrative",),
            data.get("toc"),
            ("toc",),
            dict(shared),
            shared_paths,
        )
    names = list(entries)
    for each in names:
        check_narrative_name(ctx, each, ("narrative", each), table=True)
    if name is None and len(names) == 1:
        name = names[0]
    if name is None or name not in entries:
        if name is None:
            message = (
                f"this file holds {len(names)} narratives ({', '.join(names)}); "
                "choose one with --narrative NAME"
            )
        else:
            hint = did_you_mean(name, names)
            message = f"no narrative '{name}' in this file" + (
                f"; {hint}" if hint else f"; it holds: {', '.join(names)}"
            )
        ctx.key_problem(("narrative",), message)
        return Selection(None, ("narrative",), None, ("toc",), {}, {}, name, entries)
    entry = entries[name]
    base: Path = ("narrative", name)
    own = entry.get("acts", {})
    acts = dict(shared)
    paths = dict(shared_paths)
    if isinstance(own, dict):
        acts.update(own)
        paths.update({n: (*base, "acts", n) for n in own})
    elif "acts" in entry:
        ctx.value_problem((*base, "acts"), f"[narrative.{name}.acts] must be a table of acts")
    head = {k: v for k, v in entry.items() if k not in ("toc", "acts")}
    head.setdefault("name", name)
    if "toc" not in entry:
        ctx.key_problem(base, f'[narrative.{name}] has no toc; write toc = ["first_act", ...]')
    return Selection(head, base, entry.get("toc", []), (*base, "toc"), acts, paths, name, entries)
