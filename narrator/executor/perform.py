"""Doing one act: its bot commands or its model call, and what a skipped act leaves.

The engine decides (``skip_if``, resumed acts) and records; :class:`Performer`
does. State writes are not made here: they collect in the act's
:data:`Pending` writes, which the engine commits with the act's journal row.
Templates read state through :class:`RepositoryReader`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from narrator import catalogue, guilds, interpolate
from narrator.errors import (
    DestructiveRefused,
    GuildMissing,
    NarratorError,
    NotConfigured,
    ReferenceFailed,
)
from narrator.executor import botticelli, content_act
from narrator.executor.model_act import Conversation, perform_model_act
from narrator.media_files import media_note
from narrator.outcome import ActOutcome
from narrator.protocols import Change, CommandCall, StateRepository

if TYPE_CHECKING:
    from narrator.executor.carousel import Progress
    from narrator.executor.services import Services
    from narrator.plan import Act, BotCommandInput, Plan

__all__ = [
    "DELETE",
    "Pending",
    "Performer",
    "RepositoryReader",
    "RunState",
    "admit",
    "output_tainted",
    "result_id_captures",
    "tainted_entry",
]

Pending = dict[str, tuple[Any, dict[str, Any]]]  # an act's state writes, committed at its end
DELETE: Any = object()  # a pending value that removes its key (a capture of None)


@dataclass
class RunState:
    """One run (or one nested narrative inside it) while it executes."""

    plan: Plan
    run_id: str
    dry_run: bool
    acts: dict[str, interpolate.ActValue] = field(default_factory=dict)
    conversation: Conversation = field(default_factory=Conversation)
    seq: int = 0
    outcomes: list[ActOutcome] = field(default_factory=list)
    done: dict[tuple[int, str], Any] = field(default_factory=dict)  # resumed acts
    # resumed acts cut off mid-act: when their earlier attempt started (CommandCall.reconcile_since)
    reconcile: dict[tuple[int, str], datetime] = field(default_factory=dict)
    tokens_used: int = 0
    summary: dict[str, Any] = field(default_factory=dict)  # kept in the journal's run row
    progress: Progress | None = None  # a carousel's, while it turns
    # the act that runs right after the current one (iteration() knows), and the `running`
    # row the current act's commit journalled for it: (seq, (iteration or 0, name), started)
    upcoming: tuple[Act, int | None] | None = None
    announced: tuple[int, tuple[int, str], datetime] | None = None
    # a nested narrative's instance in its run ("post.2>": outer act and iteration), the
    # prefix of its acts' claimants and idempotency keys: the same nested file used by two
    # acts, or in every carousel turn, never shares a claim or a message nonce
    instance: str = ""


class Performer:
    """Performs acts against the executor's services."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.reader = RepositoryReader(services.state)

    def scope(self, run: RunState, iteration: int | None) -> interpolate.Scope:
        """What the act's references resolve against."""
        return interpolate.Scope(
            state=self.reader,
            acts=run.acts,
            env=self.services.env,
            carousel={
                "iteration": iteration or 1,
                "iterations": run.plan.carousel.iterations if run.plan.carousel else 1,
            },
            run={"id": run.run_id, "narrative": run.plan.name},
        )

    def skipped(self, run: RunState, act: Act) -> ActOutcome:
        """A skipped act's output is its ``output_var``'s current value, if any."""
        if act.output_var:
            entry = self.services.state.get_entry(act.output_var)
            if entry is not None:
                tainted = tainted_entry(entry.metadata)
                run.acts[act.name] = interpolate.ActValue(entry.value, tainted=tainted)
                return ActOutcome(act.name, "skipped", entry.value)
            run.acts[act.name] = interpolate.ActValue(
                has_output=False,
                why_missing=f"was skipped and its output_var '{act.output_var}' is not set",
            )
        else:
            run.acts[act.name] = interpolate.ActValue(
                has_output=False,
                why_missing="was skipped and has no output_var, so it has no output",
            )
        return ActOutcome(act.name, "skipped", None)

    async def model(
        self,
        run: RunState,
        act: Act,
        scope: interpolate.Scope,
        pending: Pending,
        inputs: list[Any] | None = None,
        iteration: int | None = None,
        extra: Mapping[int, str] | None = None,
    ) -> ActOutcome:
        """Ask the model (``plan``: say which model would be asked); its table inputs'
        rows go into the prompt (:mod:`narrator.executor.content_act`), and ``extra``
        (input position -> text: the act's command results) where those inputs are."""
        if run.dry_run:
            run.acts[act.name] = interpolate.ActValue(
                has_output=False, why_missing="is a model act; its output is known after run"
            )
            model = act.model or run.plan.model or "default"
            change = Change("model", f"model {model}", note=media_note(act))
            return ActOutcome(act.name, "done", None, changes=[change])
        models = self.services.models
        if models is None:
            raise NotConfigured(
                "this is a model act but no model is configured",
                act=act.name,
                hint="add a [models.default] profile to narrator.toml, or rehearse with --sandbox",
            )
        tables, changes = content_act.prompt_tables(self.services, run, act, iteration, scope)
        if extra:
            tables = {**(tables or {}), **extra}
        result = await perform_model_act(
            act, run.plan, scope, models, run.conversation, inputs=inputs, tables=tables
        )
        run.tokens_used += result.tokens
        run.acts[act.name] = interpolate.ActValue(result.output, tainted=True)
        if act.output_var:
            pending[act.output_var] = (result.output, metadata(run, act, "model"))
        return ActOutcome(
            act.name,
            "done",
            result.output,
            model_calls=result.calls,
            tokens=result.tokens,
            changes=changes,
        )

    async def commands(
        self,
        run: RunState,
        act: Act,
        iteration: int | None,
        scope: interpolate.Scope,
        pending: Pending,
        inputs: list[Any] | None = None,
    ) -> ActOutcome:
        """Every command of the act, in order, after all their references resolved
        (each command's rendered arguments go to ``inputs``, for the journal and the log)."""
        services, plan = self.services, run.plan
        allow = services.allow_destructive or bool(act.allow_destructive) or plan.allow_destructive
        rendered = self._render_arguments(run, act, scope)
        if inputs is not None:
            inputs.extend(
                {"platform": c.platform, "command": c.command, "args": r[0] if r else None}
                for c, r in zip(act.commands, rendered, strict=True)
            )
        outputs: list[Any] = []  # the results of the commands that succeeded
        changes: list[Change] = []
        texts: dict[int, str] = {}  # input position -> result or soft failure, as prompt text
        soft: list[str] = []
        positions = [i for i, item in enumerate(act.inputs) if item in act.commands]
        for index, (command, arguments) in enumerate(zip(act.commands, rendered, strict=True)):
            if arguments is None:
                changes.append(Change("run", command.command, note="known after run"))
                outputs.append(None)
                continue
            try:
                result, done = await self._command(
                    run, act, iteration, scope, pending, index, command, arguments, allow
                )
            except NarratorError as exc:  # Botticelli: an optional command's failure is text
                if command.required or not botticelli.is_soft(exc):
                    raise
                texts[positions[index]] = botticelli.soft_failure(command.command, exc)
                soft.append(texts[positions[index]])
                continue
            outputs.append(result)
            changes.extend(done)
            texts[positions[index]] = botticelli.command_text(result)
        if act.text_inputs or act.media_inputs:  # one model call, the results among its inputs
            asked = await self.model(run, act, scope, pending, inputs, iteration, texts)
            asked.changes[:0] = changes
            asked.soft_failures = soft
            return asked
        # the last command's result (Botticelli: the last that succeeded, else a note)
        output: Any = outputs[-1] if outputs else botticelli.ACTION_DONE
        rows = output_tainted(act)  # content.* answers with rows of a content table
        run.acts[act.name] = interpolate.ActValue(output, has_output=True, tainted=rows)
        if act.output_var and not run.dry_run:
            source = "content" if rows else "command"
            pending[act.output_var] = (output, metadata(run, act, source))
        return ActOutcome(act.name, "done", output, changes=changes, soft_failures=soft)

    async def _command(
        self,
        run: RunState,
        act: Act,
        iteration: int | None,
        scope: interpolate.Scope,
        pending: Pending,
        index: int,
        command: BotCommandInput,
        arguments: tuple[dict[str, Any], frozenset[str]],
        allow: bool,
    ) -> tuple[Any, list[Change]]:
        """One command of the act: its result and what it changed (raises when it fails)."""
        services, plan = self.services, run.plan
        changes: list[Change] = []
        args, tainted = arguments
        spec, name, args = admit(command.platform, command.command, args, allow=allow, act=act.name)
        if command.platform in content_act.PLATFORMS:  # the content store, not a platform
            return content_act.run_command(services, run, act, name, command.args, args, scope)
        guild = self._guild(run, act, name, spec, args)
        platform = await services.platforms.get(command.platform)
        mentions = act.mentions
        if "mentions" in args and isinstance(args["mentions"], list):
            mentions = tuple(str(m) for m in args["mentions"])
        call = CommandCall(
            platform=command.platform,
            command=name,
            args=args,
            act=act.name,
            run_id=run.run_id,
            idempotency_key=_idempotency_key(run, act, iteration, index, command),
            allow_destructive=allow,
            model_text_keys=tainted,
            mentions=mentions,
            dry_run=run.dry_run,
            default_guild_id=guild.id,
            reconcile_since=run.reconcile.get((iteration or 0, run.instance + act.name)),
            lookup=lambda key: _pending_value(pending, key, services.state),
        )
        try:
            result = await platform.execute(call)
        except GuildMissing:  # the platform found it needs a guild: say where we looked
            raise guilds.missing_guild(name, guild, act=act.name) from None
        changes.extend(result.changes)
        if not run.dry_run:
            meta = metadata(run, act, "command")
            captures = dict(result.captures)
            if plan.capture_result_ids:
                captures.update(result_id_captures(command, result.output))
            for key, value in captures.items():
                pending[key] = (DELETE if value is None else value, meta)
            if spec is not None and spec.writes and not spec.convergent and not result.changes:
                changes.append(_done_change(name))  # counted by the run's summary
        elif (spec is None or (spec.writes and not spec.convergent)) and not result.changes:
            changes.append(Change("run", command.command))
        return result.output, changes

    def _guild(
        self,
        run: RunState,
        act: Act,
        name: str,
        spec: catalogue.CommandSpec | None,
        args: Mapping[str, Any],
    ) -> guilds.Guild:
        """The command's effective guild (:func:`narrator.guilds.effective_guild`); a
        command that needs one and has none fails here, before any request (and in plan)."""
        try:
            guild = guilds.effective_guild(
                args.get("guild_id"), run.plan.guild_id, self.services.guilds, self.services.env
            )
        except interpolate.ResolveError as exc:
            raise ReferenceFailed(exc.message, act=act.name, hint=exc.hint) from None
        if guild.id is None and spec is not None and guilds.needs_guild(spec.args, args):
            raise guilds.missing_guild(name, guild, act=act.name)
        return guild

    def _render_arguments(
        self, run: RunState, act: Act, scope: interpolate.Scope
    ) -> list[tuple[dict[str, Any], frozenset[str]] | None]:
        """Every command's arguments, rendered before anything is done (None: known after
        run, in ``plan``)."""
        rendered: list[tuple[dict[str, Any], frozenset[str]] | None] = []
        for command in act.commands:
            try:
                if command.platform in content_act.PLATFORMS:  # a where is bound, not rendered
                    rendered.append(content_act.render_command_args(command.args, scope, act.name))
                else:
                    rendered.append(interpolate.render_value(command.args, scope))
            except interpolate.ResolveError as exc:
                # plan: an output of an act that has not run is known after run, but an
                # unset ${VAR} is an error now (an act that cannot be planned)
                if not run.dry_run or _unset_vars(command.args, self.services.env):
                    raise ReferenceFailed(exc.message, act=act.name, hint=exc.hint) from None
                rendered.append(None)
        return rendered


def _done_change(name: str) -> Change:
    """What a plain (non-convergent) write did: ``send``, ``create``, ``update``, ``delete``
    or just ``run`` (``messages.send`` → send, ``messages.bulk_delete`` → delete)."""
    verb = name.rsplit(".", 1)[-1]
    if "delete" in verb or verb == "clear":
        return Change("delete", name)
    action = {"send": "send", "create": "create", "edit": "update", "update": "update"}
    return Change(action.get(verb, "run"), name)


def metadata(run: RunState, act: Act, source: str) -> dict[str, Any]:
    """What a state entry says about its writer (DESIGN §4)."""
    return {"run_id": run.run_id, "narrative": run.plan.name, "act": act.name, "source": source}


# Writers of text narrator did not write itself: a model's answer, rows of a content table
# (stored from a model, imported, edited), a nested narrative's output. Such text is
# tainted: it is posted with no allowed mentions, wherever it flows.
_TAINTED_SOURCES = frozenset({"model", "content", "subplan"})


def tainted_entry(entry_metadata: Mapping[str, Any]) -> bool:
    """Whether a state entry's value is tainted (its writer is one of the above)."""
    return entry_metadata.get("source") in _TAINTED_SOURCES


def output_tainted(act: Act) -> bool:
    """Whether ``act``'s output may hold tainted text (a resumed act's value, a command
    act's): anything but the answers of chat-platform commands is."""
    if act.commands and not (act.text_inputs or act.media_inputs or act.subplan is not None):
        return any(c.platform in content_act.PLATFORMS for c in act.commands)
    return True


# ----------------------------------------------------------------------------- reading state


@runtime_checkable
class _ListsKeys(Protocol):
    """A repository that lists keys without loading values (both real stores do)."""

    def list_keys(
        self, prefix: str = "", *, limit: int = 100, after: str | None = None
    ) -> list[str]: ...


class RepositoryReader:
    """What templates read of state (a :class:`narrator.protocols.StateReader`), backed
    by the repository; a value a model act, a content table or a nested narrative wrote
    reads as tainted (:func:`tainted_entry`)."""

    def __init__(self, state: StateRepository) -> None:
        self._state = state
        self._keys: _ListsKeys | None = state if isinstance(state, _ListsKeys) else None

    def get(self, key: str) -> interpolate.StateHit | None:
        entry = self._state.get_entry(key)
        if entry is None:
            return None
        return interpolate.StateHit(entry.value, tainted_entry(entry.metadata))

    def get_many(self, keys: Sequence[str]) -> dict[str, interpolate.StateHit]:
        entries = self._state.get_entries(keys)  # one query for every key
        return {
            key: interpolate.StateHit(entry.value, tainted_entry(entry.metadata))
            for key, entry in entries.items()
        }

    def has_prefix(self, prefix: str) -> bool:
        # every attribute step of `state.a.b.c` in jinja asks this: one key, no values
        if self._keys is not None:
            return bool(self._keys.list_keys(prefix, limit=1))
        return bool(self._state.list_prefix(prefix))


def _pending_value(pending: Pending, key: str, state: StateRepository) -> Any:
    """What ``key`` holds for the act so far: its pending write, else the stored value."""
    if key in pending:
        value = pending[key][0]
        return None if value is DELETE else value
    return state.get(key)


# ----------------------------------------------------------------------------- helpers

_RESULT_ID_FIELDS = (
    "id",
    "channel_id",
    "message_id",
    "role_id",
    "user_id",
    "guild_id",
    "emoji_id",
    "webhook_id",
    "integration_id",
    "invite_code",
    "thread_id",
    "event_id",
    "sticker_id",
)


def result_id_captures(command: BotCommandInput, output: Any) -> dict[str, str]:
    """The keys Botticelli's automatic id capture writes (``Plan.capture_result_ids``).

    Each id-like field at the top level of a command's result is stored as a
    string under ``{platform}.{command}.{field}`` and under the bare ``{field}``
    (so ``${state:id}`` reads the last created id), in addition to the keys of
    DESIGN §4.
    """
    if not isinstance(output, dict):
        return {}
    keys: dict[str, str] = {}
    for name in _RESULT_ID_FIELDS:
        value = output.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool):
            keys[f"{command.platform}.{command.command}.{name}"] = str(value)
            keys[name] = str(value)
    return keys


def admit(
    platform: str, command: str, args: Mapping[str, Any], *, allow: bool, act: str | None
) -> tuple[catalogue.CommandSpec | None, str, dict[str, Any]]:
    """The catalogue's spec and names of one command, and the one destructive check.

    Botticelli spellings of the command and its arguments resolve here, once, so a
    platform receives only catalogue names. A destructive command without
    permission (``--allow-destructive``, or ``allow_destructive`` on the act or the
    narrative) is refused before any platform is opened — in ``run`` and in
    ``plan``, which says what ``run`` would do. A command the catalogue does not
    list (a plugin platform's) passes unchanged.
    """
    spec = catalogue.lookup(platform, command)
    if spec is None:
        return None, command, dict(args)
    if spec.destructive and not allow:
        raise DestructiveRefused(
            f"{spec.name} is destructive and was refused before any request",
            act=act,
            hint="set allow_destructive = true on the act or in [narrative], "
            "or run with --allow-destructive",
        )
    return spec, spec.name, catalogue.canonical_args(platform, args)


def _idempotency_key(
    run: RunState, act: Act, iteration: int | None, index: int, command: BotCommandInput
) -> str:
    """Stable across retries and resumes of this act: a message nonce makes a resend a no-op."""
    return f"{run.run_id}:{iteration or 0}:{run.instance}{act.name}:{index}:{command.command}"


def _unset_vars(value: Any, env: Mapping[str, str]) -> list[str]:
    """The ``${VAR}`` references in ``value`` (strings, lists, tables) that ``env`` lacks."""
    if isinstance(value, str):
        try:
            refs = interpolate.scan(value)
        except Exception:  # a syntax problem is reported by rendering, not here
            return []
        return [r.path[0] for r in refs if r.kind == "env" and r.path and r.path[0] not in env]
    if isinstance(value, Mapping):
        return [name for v in value.values() for name in _unset_vars(v, env)]
    if isinstance(value, list | tuple):
        return [name for v in value for name in _unset_vars(v, env)]
    return []
