"""``narrator convert``: a Botticelli-dialect file as an equivalent native-format file.

Pure: text in, text and warnings out (the only reads are the nested narrative
files the Botticelli file names, as when it is parsed).

How: the file is parsed into the same :class:`~narrator.plan.Plan` that
``narrator run`` would run — references already rewritten (``{{act}}`` →
``{act.act.output}``, ``${state:k}`` → ``{state.k}``, ``${env:V}`` → ``${V}``),
``[toc]`` order applied, ``[bots.X]`` expanded, Botticelli's argument names
replaced by the catalogue's, ``[narrative]`` temperature and max_tokens set on
each model act, Botticelli's automatic id capture as ``capture_result_ids``.
:mod:`~narrator.convert.lower` turns that plan into what a native file can say
(files named from the output folder; a warning for each behaviour with no native
key), :mod:`~narrator.convert.emit` writes it in the native format, with the
comments :mod:`~narrator.convert.origin` found above each table and at the end
of each line, and :mod:`~narrator.convert.losses` lists what is not carried
over. A narrative that composes another ``[narrative.NAME]`` of the same file
gets that one converted too, as a companion file. Finally the native text is
parsed again (companions and nested files from memory) and its plan compared
with the lowered original (:mod:`~narrator.convert.compare`): a difference is a
warning, never a silent change of meaning.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field

from narrator.convert.compare import differences, plan_shape
from narrator.convert.emit import Unconvertible, emit
from narrator.convert.losses import losses
from narrator.convert.lower import lower
from narrator.convert.origin import Gatherer, act_items, layout, nested_stem
from narrator.errors import Location, NarrativeInvalid, Problem, UsageError
from narrator.parser import parse
from narrator.parser.botticelli_multi import narrative_entries
from narrator.parser.locate import Locator
from narrator.parser.stored import parse_stored
from narrator.plan import Plan

__all__ = ["Conversion", "convert", "differences", "plan_shape"]


@dataclass(frozen=True)
class Conversion:
    """The native text, the warnings (located in the Botticelli file) and the plan of both.

    ``companions``: the native files of the narratives of the same file that this one
    composes (``narrative = "NAME"`` of a file with several ``[narrative.NAME]``), by file
    name; they are written beside the native file, which names them.
    """

    text: str
    warnings: tuple[Problem, ...]
    plan: Plan
    companions: dict[str, str] = field(default_factory=dict)


def convert(
    text: str,
    source: str = "<string>",
    *,
    narrative: str | None = None,
    base_dir: str | None = None,
    target_dir: str | None = None,
    target_name: str | None = None,
    secrets: Collection[str] | None = None,
) -> Conversion:
    """Convert Botticelli-dialect ``text`` into the native format.

    ``narrative``: which ``[narrative.NAME]`` of a file with several (as ``--narrative``);
    ``base_dir``: where nested narrative files are read (the file's folder);
    ``target_dir``: where the native file will be written, so a nested
    ``narrative = "..."`` still names the same file from there (default ``base_dir``);
    ``target_name``: the native file's name there (default: the source's), which
    companion files are named after. Raises NarrativeInvalid when narrator cannot
    load the file, UsageError when it is native already.
    """
    target = target_dir if target_dir is not None else base_dir
    stem = os.path.splitext(os.path.basename(target_name or source))[0] or "narrative"
    job = _Job(text, source, base_dir, target, secrets)
    native, plan, warnings = job.one(narrative, stem)
    companions = {f"{name}.toml": made for name, made in job.companions.items()}
    warnings.extend(_check(plan, native, source, target, stem, companions, job.plans, secrets))
    return Conversion(native, tuple(_unique(warnings)), plan, companions)


class _Job:
    """One conversion: the chosen narrative, and each narrative of the file it composes."""

    def __init__(
        self,
        text: str,
        source: str,
        base_dir: str | None,
        target: str | None,
        secrets: Collection[str] | None,
    ) -> None:
        self.text, self.source, self.base_dir, self.target = text, source, base_dir, target
        self.secrets = secrets
        self.data = tomllib.loads(text)
        self.locator = Locator(text)
        self.companions: dict[str, str] = {}  # companion stem -> native text
        self.lowered: dict[str, Plan] = {}  # companion stem -> its plan as written
        self.plans: list[Plan] = []

    def one(self, narrative: str | None, stem: str) -> tuple[str, Plan, list[Problem]]:
        plan = parse(
            self.text,
            self.source,
            base_dir=self.base_dir,
            secrets=self.secrets,
            narrative=narrative,
        )
        if plan.dialect != "botticelli":
            raise UsageError(
                f"{self.source} is already in the native format; there is nothing to convert",
                hint="convert reads Botticelli files (with [toc] or [acts])",
            )
        where = layout(self.data, self.locator, self.source, narrative)
        composed = narrative_entries(self.data)
        warnings: list[Problem] = []
        nested: dict[str, str] = {}
        composing: dict[str, str] = {}  # act -> the companion it runs
        for name in plan.act_names:
            for item in act_items(self.data, where, name):
                if item.nested is None:
                    continue
                if item.nested in composed:  # [narrative.NAME] of this file: its own file
                    companion = f"{stem}.{item.nested}"
                    nested[item.nested] = composing[name] = companion
                    if companion not in self.companions:
                        self.companions[companion] = ""  # a cycle stops here
                        made, companion_plan, more = self.one(item.nested, companion)
                        self.companions[companion] = made
                        self.lowered[companion] = companion_plan
                        warnings.extend(more)
                else:
                    nested[item.nested] = nested_stem(item.nested, self.base_dir, self.target)
        notes = Gatherer(self.text, self.data, self.locator, where).notes(
            plan, nested_names=nested, folder=self.target
        )
        lowered, lost = lower(plan, target_dir=self.target)
        lowered = dataclasses.replace(  # a composed narrative reads back as its companion
            lowered,
            acts=tuple(
                dataclasses.replace(act, subplan=self.lowered[composing[act.name]])
                if act.name in composing and composing[act.name] in self.lowered
                else act
                for act in lowered.acts
            ),
        )
        try:
            native = emit(lowered, notes)
        except Unconvertible as exc:
            raise UsageError(
                f"{self.source} cannot be converted: {exc}", hint="keep running it as it is"
            ) from None
        found = losses(self.data, self.locator, self.source, plan, where) + lost
        seen = {w.location for w in found}
        found += [w for w in getattr(plan, "warnings", ()) if w.location not in seen]
        warnings.extend(sorted(found, key=lambda p: (p.location.line, p.location.col)))
        self.plans.append(lowered)
        return native, lowered, warnings


def _unique(warnings: list[Problem]) -> list[Problem]:
    seen: set[tuple[Location, str]] = set()
    out = []
    for warning in warnings:
        if (warning.location, warning.message) not in seen:
            seen.add((warning.location, warning.message))
            out.append(warning)
    return out


def _nested_files(plans: list[Plan], source: str, target: str) -> dict[str, str]:
    """The nested files (not companions) the plans read, keyed from ``target``."""
    files: dict[str, str] = {}
    stack = [act.subplan for plan in plans for act in plan.acts if act.subplan is not None]
    while stack:
        sub = stack.pop()
        if sub.source == source or sub.source.startswith("<"):
            continue  # composed from the file itself: a companion
        full = os.path.abspath(sub.source)
        key = os.path.relpath(full, target).replace(os.sep, "/")
        if key not in files:
            with open(full, encoding="utf-8") as handle:
                files[key] = handle.read()
            stack.extend(act.subplan for act in sub.acts if act.subplan is not None)
    return files


def _check(
    plan: Plan,
    native: str,
    source: str,
    target: str | None,
    stem: str,
    companions: dict[str, str],
    plans: list[Plan],
    secrets: Collection[str] | None,
) -> list[Problem]:
    """Parse the native text again (companions and nested files from memory): its plan
    must be the original's."""
    where = Location(source, 1, 1)
    try:
        if target is None:
            again = parse(native, "<converted>", secrets=secrets)
        else:
            files = {**_nested_files(plans, source, target), **companions}
            copy = os.path.join(os.path.abspath(target), f"{stem}.toml")
            again = parse_stored(
                native,
                files,
                copy,
                secrets=secrets,
                missing="is neither a nested file of the original nor a file convert writes",
            )
    except (NarrativeInvalid, OSError) as exc:
        problems = getattr(exc, "problems", None)
        first = problems[0].message if problems else str(exc)
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
