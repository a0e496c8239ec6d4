"""``narrator convert``: a Botticelli-dialect file as an equivalent native-format file.

Pure: text in, text and warnings out (the only reads are the nested narrative
files the Botticelli file names, as when it is parsed).

How: the file is parsed into the same :class:`~narrator.plan.Plan` that
``narrator run`` would run — references already rewritten (``{{act}}`` →
``{act.act.output}``, ``${state:k}`` → ``{state.k}``, ``${env:V}`` → ``${V}``),
``[toc]`` order applied, ``[bots.X]`` expanded, Botticelli's argument names
replaced by the catalogue's, ``[narrative]`` temperature and max_tokens set on
each model act, Botticelli's automatic id capture as ``capture_result_ids``.
:mod:`~narrator.convert.emit` writes that plan in the native format, with the
comments :mod:`~narrator.convert.origin` found above each table and at the end
of each line; :mod:`~narrator.convert.losses` lists what has no native
equivalent. Finally the native text is parsed again and its plan compared with
the original (:mod:`~narrator.convert.compare`): a difference is a warning,
never a silent change of meaning.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Collection
from dataclasses import dataclass

from narrator.convert.compare import differences, plan_shape
from narrator.convert.emit import Unconvertible, emit
from narrator.convert.losses import losses
from narrator.convert.lower import lower
from narrator.convert.origin import Gatherer, act_items, nested_stem
from narrator.errors import Location, NarrativeInvalid, Problem, UsageError
from narrator.parser import parse
from narrator.parser.locate import Locator
from narrator.plan import Plan

__all__ = ["Conversion", "convert", "differences", "plan_shape"]


@dataclass(frozen=True)
class Conversion:
    """The native text, the warnings (located in the Botticelli file) and the plan of both."""

    text: str
    warnings: tuple[Problem, ...]
    plan: Plan


def convert(
    text: str,
    source: str = "<string>",
    *,
    base_dir: str | None = None,
    target_dir: str | None = None,
    secrets: Collection[str] | None = None,
) -> Conversion:
    """Convert Botticelli-dialect ``text`` into the native format.

    ``base_dir``: where nested narrative files are read (the file's folder);
    ``target_dir``: where the native file will be written, so a nested
    ``narrative = "..."`` still names the same file from there (default
    ``base_dir``). Raises NarrativeInvalid when narrator cannot load the file,
    UsageError when it is native already.
    """
    plan = parse(text, source, base_dir=base_dir, secrets=secrets)
    if plan.dialect != "botticelli":
        raise UsageError(
            f"{source} is already in the native format; there is nothing to convert",
            hint="convert reads Botticelli files (with [toc] or [acts])",
        )
    data = tomllib.loads(text)
    locator = Locator(text)
    target = target_dir if target_dir is not None else base_dir
    nested = {
        item.nested: nested_stem(item.nested, base_dir, target)
        for name in plan.act_names
        for item in act_items(data, name)
        if item.nested is not None
    }
    notes = Gatherer(text, data, locator).notes(plan, nested_names=nested)
    lowered, lost = lower(plan, target_dir=target)
    try:
        native = emit(lowered, notes)
    except Unconvertible as exc:
        raise UsageError(
            f"{source} cannot be converted: {exc}", hint="keep running it as it is"
        ) from None
    found = losses(data, locator, source, plan) + lost
    seen = {w.location for w in found}
    found += [w for w in getattr(plan, "warnings", ()) if w.location not in seen]
    warnings = sorted(found, key=lambda p: (p.location.line, p.location.col))
    warnings.extend(_check(lowered, native, source, target, secrets))
    return Conversion(native, tuple(warnings), lowered)


def _check(
    plan: Plan, native: str, source: str, target: str | None, secrets: Collection[str] | None
) -> list[Problem]:
    """Parse the native text again: its plan must be the original's."""
    where = Location(source, 1, 1)
    copy = os.path.join(target, "converted.toml") if target else "<converted>"
    try:
        again = parse(native, copy, base_dir=target, secrets=secrets)
    except NarrativeInvalid as exc:
        first = exc.problems[0].message if exc.problems else "invalid"
        return [
            Problem(
                where,
                f"the converted file does not load in narrator ({first}); "
                "please report this with the file",
            )
        ]
    found = differences(plan, again)
    if not found:
        return []
    return [
        Problem(
            where,
            "the converted file plans differently from the original ("
            + "; ".join(found)
            + "); please report this with the file",
        )
    ]
