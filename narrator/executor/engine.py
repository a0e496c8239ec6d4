"""The one loop that performs effects: decide → do → record.

For each act: evaluate ``skip_if`` against current state, perform the act's
commands or model call, write captures and ``output_var`` to state, and
journal the act. Carousels repeat the loop within a budget. ``dry_run``
(``narrator plan``) walks the same decisions without writing anything.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from narrator import commands as catalogue
from narrator import interpolate as tpl
from narrator.clock import SystemClock
from narrator.errors import (
    ActFailed,
    BudgetExhausted,
    DestructiveRefused,
    NarratorError,
    ReferenceFailed,
)
from narrator.executor.model_act import Conversation, perform_model_act
from narrator.executor.outcome import ActOutcome, CarouselOutcome, RunOutcome
from narrator.plan import Act, BotCommandInput, CarouselSpec, Plan
from narrator.protocols import (
    ActRecord,
    Clock,
    CommandCall,
    ModelProvider,
    Platform,
    RunJournal,
    RunOwner,
    StateRepository,
)


@runtime_checkable
class BudgetAware(Protocol):
    """A model service that can say what is left of today's budget (the router)."""

    def remaining(self, profile: str) -> Any: ...


class PlatformSource(Protocol):
    """Gives the platform a command names; raises NotConfigured if there is none."""

    async def get(self, name: str) -> Platform: ...


class Reporter(Protocol):
    """Progress for people: the CLI prints it, tests may record it."""

    def act_started(self, act: str, iteration: int | None) -> None: ...

    def act_finished(self, outcome: ActOutcome) -> None: ...

    def note(self, text: str) -> None: ...

    def iteration_finished(self, iteration: int, total: int, elapsed: float) -> None: ...


class _SilentReporter:
    def act_started(self, act: str, iteration: int | None) -> None:
        pass

    def act_finished(self, outcome: ActOutcome) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def iteration_finished(self, iteration: int, total: int, elapsed: float) -> None:
        pass


@dataclass
class Services:
    """Everything the executor talks to."""

    state: StateRepository
    journal: RunJournal
    platforms: PlatformSource
    models: ModelProvider | None = None
    clock: Clock = field(default_factory=SystemClock)
    env: Mapping[str, str] = field(default_factory=dict)
    allow_destructive: bool = False
    default_guild_id: str | None = None
    reporter: Reporter = field(default_factory=_SilentReporter)
    unit_of_work: Callable[[], AbstractContextManager[None]] = nullcontext
    # asked before each act; True ends the run as "interrupted" (a worker's SIGTERM)
    should_stop: Callable[[], bool] | None = None


def new_run_id() -> str:
    """Time-sortable, unique: 12 hex digits of milliseconds + 8 random."""
    return f"{int(time.time() * 1000):012x}{uuid.uuid4().hex[:8]}"


_Pending = dict[str, tuple[Any, dict[str, Any]]]  # an act's state writes, committed at its end
_DELETE: Any = object()  # a pending value that removes its key (a capture of None)


@dataclass
class _RunState:
    plan: Plan
    run_id: str
    dry_run: bool
    acts: dict[str, tpl.ActValue] = field(default_factory=dict)
    conversation: Conversation = field(default_factory=Conversation)
    seq: int = 0
    outcomes: list[ActOutcome] = field(default_factory=list)
    done: dict[tuple[int, str], Any] = field(default_factory=dict)  # resumed acts
    # resumed acts cut off mid-act: when their earlier attempt started (CommandCall.reconcile_since)
    reconcile: dict[tuple[int, str], datetime] = field(default_factory=dict)
    tokens_used: int = 0
    summary: dict[str, Any] = field(default_factory=dict)  # kept in the journal's run row


class Executor:
    """Runs plans against :class:`Services`."""

    def __init__(self, services: Services) -> None:
        self.s = services

    # ------------------------------------------------------------------ public

    async def run(
        self,
        plan: Plan,
        *,
        run_id: str | None = None,
        vars_: Mapping[str, str] | None = None,
        resume: Mapping[tuple[int, str], Any] | None = None,
        seq_start: int = 0,
        reconcile: Mapping[tuple[int, str], datetime] | None = None,
        owner: RunOwner | None = None,
        lease_expires_at: datetime | None = None,
    ) -> RunOutcome:
        """Run ``plan``; every act is journalled. Act failures are outcomes, not exceptions.

        ``resume`` maps (iteration or 0, act name) to the output of acts that
        finished in an earlier attempt of the same run: they are not done again.
        ``reconcile`` maps acts that were cut off mid-act (journalled ``running``
        or ``interrupted``) to when that attempt started: their bot commands carry
        it as ``CommandCall.reconcile_since``, so the platform adopts an effect that
        already happened instead of repeating it. ``owner`` and its lease go into
        the journal's run row of a new run.

        Cancelling the task running this (the CLI does on SIGINT, SIGTERM, SIGHUP)
        ends the run ``interrupted``: the act in flight is journalled
        ``interrupted``, never done, so a resume redoes (and reconciles) it.
        """
        rs = _RunState(plan, run_id or new_run_id(), dry_run=False, done=dict(resume or {}))
        rs.seq = seq_start
        rs.reconcile = dict(reconcile or {})
        rs.summary = {"vars": dict(vars_ or {}), "dialect": plan.dialect}
        if resume is None:
            self.s.journal.start_run(
                rs.run_id,
                plan.name,
                plan.source,
                rs.summary,
                owner=owner,
                lease_expires_at=lease_expires_at,
            )
        return await self._execute(rs)

    async def plan(self, plan: Plan) -> RunOutcome:
        """What ``run`` would do under the current state; writes nothing."""
        rs = _RunState(plan, "plan", dry_run=True)
        return await self._execute(rs)

    # ------------------------------------------------------------------ loop

    async def _execute(self, rs: _RunState) -> RunOutcome:
        plan = rs.plan
        spec = plan.carousel
        iterations = spec.iterations if spec and not rs.dry_run else 1
        carousel = CarouselOutcome(iterations_planned=spec.iterations) if spec else None
        status: str = "done"
        error: str | None = None
        started = self.s.clock.monotonic()
        try:
            for iteration in range(1, iterations + 1):
                if spec is None or carousel is None:
                    ok, err = await self._iteration(rs, None)
                    if not ok:
                        status = "failed"
                        error = err.message if isinstance(err, _BudgetStop) else str(err)
                    continue
                if iteration > 1:
                    rs.conversation = Conversation()
                    if spec.interval:
                        await self.s.clock.sleep(spec.interval)
                short = await self._budget_short(rs, spec)
                if short is not None:
                    carousel.stopped_reason = "budget_exhausted"
                    self.s.reporter.note(f"carousel stopped before iteration {iteration}: {short}")
                    break
                before = len(rs.outcomes)
                ok, err = await self._iteration(rs, iteration)
                ran = rs.outcomes[before:]
                if ok and ran and all(o.status == "skipped" for o in ran):
                    carousel.iterations_skipped += 1
                elif ok:
                    carousel.iterations_completed += 1
                elif isinstance(err, _BudgetStop):
                    carousel.stopped_reason = "budget_exhausted"
                    self.s.reporter.note(f"carousel stopped: {err.message}")
                    break
                else:
                    carousel.iterations_failed += 1
                    if not spec.continue_on_error:
                        carousel.stopped_reason = "error"
                        status, error = "failed", str(err)
                        break
                self.s.reporter.iteration_finished(
                    iteration, iterations, self.s.clock.monotonic() - started
                )
                if spec.until and tpl.condition(spec.until, self._scope(rs, iteration)):
                    carousel.stopped_reason = "condition"
                    break
        except _Stopped as stopped:
            status, error = "interrupted", str(stopped)
            if carousel:
                carousel.stopped_reason = "interrupted"
        except asyncio.CancelledError:  # a signal: the CLI cancelled the run's task
            if rs.dry_run:
                raise
            status, error = "interrupted", "interrupted by a signal"
            if carousel:
                carousel.stopped_reason = "interrupted"
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # handled: the run ends here, recorded as interrupted
        except KeyboardInterrupt:
            status, error = "interrupted", "interrupted"
            if carousel:
                carousel.stopped_reason = "interrupted"
            raise
        finally:
            if carousel is not None:
                carousel.tokens_used = rs.tokens_used
            if not rs.dry_run:
                self.s.journal.finish_run(
                    rs.run_id,
                    status,  # type: ignore[arg-type]
                    error=error,
                    summary={**rs.summary, "carousel": carousel.to_json()}
                    if carousel
                    else rs.summary,
                )
        return RunOutcome(
            run_id=rs.run_id,
            narrative=plan.name,
            status=status,  # type: ignore[arg-type]
            acts=rs.outcomes,
            error=error,
            carousel=carousel,
            dry_run=rs.dry_run,
        )

    async def _iteration(self, rs: _RunState, iteration: int | None) -> tuple[bool, Any]:
        """Run every act once. Returns (ok, error message or _BudgetStop)."""
        for group in independent_groups(rs.plan, rs.dry_run):
            if self.s.should_stop is not None and self.s.should_stop():
                raise _Stopped(f"stopped before act '{group[0].name}'")
            if len(group) > 1:
                outcomes = await self._concurrently(rs, group, iteration)
                failed = next((o for o in outcomes if o.status == "failed"), None)
                if failed is not None:
                    if failed.budget_stop:
                        return False, _BudgetStop(failed.error or "budget exhausted")
                    return False, failed.error
                continue
            act = group[0]
            repeats = act.carousel.iterations if act.carousel and not rs.dry_run else 1
            for inner in range(1, repeats + 1):
                it = inner if act.carousel else iteration
                outcome = await self._act(rs, act, it)
                if outcome.status == "failed":
                    if outcome.budget_stop:
                        return False, _BudgetStop(outcome.error or "budget exhausted")
                    if act.carousel and act.carousel.continue_on_error:
                        continue
                    return False, outcome.error
        return True, None

    async def _concurrently(
        self, rs: _RunState, group: list[Act], iteration: int | None
    ) -> list[ActOutcome]:
        """Independent model acts at once, at most ``concurrency`` in flight."""
        gate = asyncio.Semaphore(max(1, rs.plan.concurrency))

        async def one(act: Act) -> ActOutcome:
            async with gate:
                return await self._act(rs, act, iteration)

        return list(await asyncio.gather(*(one(a) for a in group)))

    # ------------------------------------------------------------------ one act

    async def _act(self, rs: _RunState, act: Act, iteration: int | None) -> ActOutcome:
        key = (iteration or 0, act.name)
        if key in rs.done:  # resumed: this act finished in the earlier attempt
            rs.acts[act.name] = tpl.ActValue(rs.done[key])
            resumed = ActOutcome(act.name, "done", rs.done[key], iteration=iteration)
            rs.outcomes.append(resumed)
            return resumed
        rs.seq += 1
        seq = rs.seq
        pending: _Pending = {}
        started = self.s.clock.now()
        t0 = time.perf_counter()
        self.s.reporter.act_started(act.name, iteration)
        if not rs.dry_run:
            self.s.journal.record_act(
                ActRecord(rs.run_id, seq, act.name, "running", iteration, started_at=started)
            )
        scope = self._scope(rs, iteration)
        outcome: ActOutcome
        try:
            if act.skip_if and tpl.condition(act.skip_if, scope):
                outcome = self._skipped(rs, act, iteration)
            else:
                outcome = await self._perform(rs, act, iteration, scope, pending)
        except asyncio.CancelledError:
            if not rs.dry_run:
                self._interrupted(rs, act, iteration, seq, started)
            raise
        except BudgetExhausted as exc:
            outcome = ActOutcome(act.name, "failed", error=_act_message(act, exc))
            outcome.budget_stop = True
        except NarratorError as exc:
            outcome = ActOutcome(act.name, "failed", error=_act_message(act, exc))
        outcome.iteration = iteration
        outcome.duration_ms = (time.perf_counter() - t0) * 1000
        rs.outcomes.append(outcome)
        if not rs.dry_run:
            record = ActRecord(
                rs.run_id,
                seq,
                act.name,
                outcome.status,
                iteration,
                output=outcome.output,
                error=outcome.error,
                started_at=started,
                finished_at=self.s.clock.now(),
            )
            # captures, output_var and the journal row commit together
            with self.s.unit_of_work():
                for state_key, (value, meta) in pending.items():
                    if value is _DELETE:
                        self.s.state.delete(state_key)
                    else:
                        self.s.state.set(state_key, value, metadata=meta)
                self.s.journal.record_act(record)
        self.s.reporter.act_finished(outcome)
        return outcome

    def _interrupted(
        self, rs: _RunState, act: Act, iteration: int | None, seq: int, started: datetime
    ) -> None:
        """Journal an act cut off by a signal as ``interrupted``, never done, and write
        none of its state: a resume redoes it, and its commands reconcile with what
        already happened (``CommandCall.reconcile_since``)."""
        self.s.journal.record_act(
            ActRecord(
                rs.run_id,
                seq,
                act.name,
                "interrupted",
                iteration,
                error="interrupted by a signal",
                started_at=started,
                finished_at=self.s.clock.now(),
            )
        )

    def _skipped(self, rs: _RunState, act: Act, iteration: int | None) -> ActOutcome:
        if act.output_var:
            entry = self.s.state.get_entry(act.output_var)
            if entry is not None:
                tainted = entry.metadata.get("source") == "model"
                rs.acts[act.name] = tpl.ActValue(entry.value, tainted=tainted)
                return ActOutcome(act.name, "skipped", entry.value)
            rs.acts[act.name] = tpl.ActValue(
                has_output=False,
                why_missing=f"was skipped and its output_var '{act.output_var}' is not set",
            )
        else:
            rs.acts[act.name] = tpl.ActValue(
                has_output=False,
                why_missing="was skipped and has no output_var, so it has no output",
            )
        return ActOutcome(act.name, "skipped", None)

    async def _perform(
        self, rs: _RunState, act: Act, iteration: int | None, scope: tpl.Scope, pending: _Pending
    ) -> ActOutcome:
        if act.subplan is not None:
            return await self._subplan(rs, act, pending)
        if act.commands:
            return await self._commands(rs, act, iteration, scope, pending)
        if rs.dry_run:
            rs.acts[act.name] = tpl.ActValue(
                has_output=False, why_missing="is a model act; its output is known after run"
            )
            model = act.model or rs.plan.model or "default"
            return ActOutcome(
                act.name, "done", None, changes=[{"action": "model", "resource": f"model {model}"}]
            )
        if self.s.models is None:
            from narrator.errors import NotConfigured

            raise NotConfigured(
                "this is a model act but no model is configured",
                act=act.name,
                hint="add a [models.default] profile to narrator.toml, or rehearse with --sandbox",
            )
        result = await perform_model_act(act, rs.plan, scope, self.s.models, rs.conversation)
        rs.tokens_used += result.tokens
        rs.acts[act.name] = tpl.ActValue(result.output, tainted=True)
        if act.output_var:
            pending[act.output_var] = (result.output, self._meta(rs, act, "model"))
        return ActOutcome(act.name, "done", result.output)

    async def _commands(
        self, rs: _RunState, act: Act, iteration: int | None, scope: tpl.Scope, pending: _Pending
    ) -> ActOutcome:
        outputs: list[Any] = []
        changes: list[dict[str, Any]] = []
        allow = self.s.allow_destructive or bool(act.allow_destructive) or rs.plan.allow_destructive
        guild = rs.plan.guild_id or self.s.default_guild_id
        if guild and "${" in guild:
            guild = str(tpl.render(guild, scope).value)
        rendered: list[tuple[dict[str, Any], frozenset[str]] | None] = []
        for command in act.commands:  # every reference resolves before anything is done
            try:
                rendered.append(tpl.render_value(command.args, scope))
            except tpl.ResolveError as exc:
                # plan: an output of an act that has not run is known after run, but an
                # unset ${VAR} is an error now (an act that cannot be planned)
                if not rs.dry_run or _unset_vars(command.args, self.s.env):
                    raise ReferenceFailed(exc.message, act=act.name, hint=exc.hint) from None
                rendered.append(None)
        for index, (command, done) in enumerate(zip(act.commands, rendered, strict=True)):
            if done is None:
                changes.append(
                    {"action": "run", "resource": command.command, "note": "known after run"}
                )
                outputs.append(None)
                continue
            args, tainted = done
            spec = catalogue.lookup(command.platform, command.command)
            if spec is not None and spec.destructive and not allow:
                raise DestructiveRefused(
                    f"{command.command} is destructive and was refused before any request",
                    act=act.name,
                    hint="set allow_destructive = true on the act or narrative, "
                    "or run with --allow-destructive",
                )
            platform = await self.s.platforms.get(command.platform)
            mentions = act.mentions
            if "mentions" in args and isinstance(args["mentions"], list):
                mentions = tuple(str(m) for m in args["mentions"])
            call = CommandCall(
                platform=command.platform,
                command=command.command,
                args=args,
                act=act.name,
                run_id=rs.run_id,
                idempotency_key=_idempotency_key(rs, act, iteration, index, command),
                allow_destructive=allow,
                model_text_keys=tainted,
                mentions=mentions,
                dry_run=rs.dry_run,
                default_guild_id=guild,
                reconcile_since=rs.reconcile.get((iteration or 0, act.name)),
                lookup=lambda key: _pending_value(pending, key, self.s.state),
            )
            result = await platform.execute(call)
            outputs.append(result.output)
            changes.extend(dict(c) for c in result.changes)
            if not rs.dry_run:
                meta = self._meta(rs, act, "command")
                captures = dict(result.captures)
                if rs.plan.dialect == "botticelli":
                    captures.update(botticelli_captures(command, result.output))
                for key, value in captures.items():
                    pending[key] = (_DELETE if value is None else value, meta)
            elif (spec is None or (spec.writes and not spec.convergent)) and not result.changes:
                changes.append({"action": "run", "resource": command.command})
        output: Any = outputs[0] if len(outputs) == 1 else outputs
        rs.acts[act.name] = tpl.ActValue(output, has_output=True)
        if act.output_var and not rs.dry_run:
            pending[act.output_var] = (output, self._meta(rs, act, "command"))
        return ActOutcome(act.name, "done", output, changes=changes)

    async def _subplan(self, rs: _RunState, act: Act, pending: _Pending) -> ActOutcome:
        """A nested narrative: its acts run inside this run, sharing state.

        The output is the nested narrative's last act's output, or, when the
        nested narrative is a carousel, the list of those outputs per iteration.
        """
        assert act.subplan is not None
        sub = _RunState(act.subplan, rs.run_id, rs.dry_run)
        sub.seq = rs.seq
        spec = act.subplan.carousel
        iterations = spec.iterations if spec and not rs.dry_run else 1
        last_name = act.subplan.acts[-1].name if act.subplan.acts else None
        outputs: list[Any] = []
        tainted = False
        try:
            for iteration in range(1, iterations + 1):
                ok, err = await self._iteration(sub, iteration if spec else None)
                if not ok and not (spec and spec.continue_on_error):
                    message = err.message if isinstance(err, _BudgetStop) else str(err)
                    raise ActFailed(f"nested narrative failed: {message}", act=act.name)
                value = sub.acts.get(last_name) if last_name else None
                if ok and value is not None and value.has_output:
                    outputs.append(value.output)
                    tainted = tainted or value.tainted
        finally:
            rs.seq = sub.seq
            rs.outcomes.extend(sub.outcomes)
            rs.tokens_used += sub.tokens_used
        output: Any = outputs if spec else (outputs[0] if outputs else None)
        rs.acts[act.name] = tpl.ActValue(output, tainted=tainted)
        if act.output_var and not rs.dry_run:
            pending[act.output_var] = (output, self._meta(rs, act, "subplan"))
        return ActOutcome(act.name, "done", output)

    async def _budget_short(self, rs: _RunState, spec: CarouselSpec) -> str | None:
        """Why the next iteration cannot fit in today's budget, or None when it can.

        With ``on_budget = "wait"``, waits for the daily reset instead of stopping.
        """
        models = self.s.models
        if not isinstance(models, BudgetAware):
            return None
        profiles = {a.model or rs.plan.model or "default" for a in rs.plan.acts if a.is_model_act}
        calls = sum(1 for a in rs.plan.acts if a.is_model_act)
        estimate = spec.estimated_tokens_per_iteration or 0
        if not profiles:
            return None
        while True:
            reason = None
            for profile in sorted(profiles):
                left = models.remaining(profile)
                if left.requests is not None and left.requests < calls:
                    reason = (
                        f"{profile}: {left.requests} requests left today, "
                        f"an iteration needs {calls}"
                    )
                elif left.tokens is not None and estimate and left.tokens < estimate:
                    reason = (
                        f"{profile}: {left.tokens} tokens left today, "
                        f"an iteration is estimated at {estimate}"
                    )
                if reason:
                    break
            if reason is None or spec.on_budget != "wait":
                return reason
            now = self.s.clock.now()
            reset = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
            self.s.reporter.note(f"{reason}; waiting until {reset:%Y-%m-%d %H:%M} UTC")
            await self.s.clock.sleep((reset - now).total_seconds())

    # ------------------------------------------------------------------ helpers

    def _scope(self, rs: _RunState, iteration: int | None) -> tpl.Scope:
        state = self.s.state

        def get(key: str) -> tpl.StateHit | None:
            entry = state.get_entry(key)
            if entry is None:
                return None
            return tpl.StateHit(entry.value, entry.metadata.get("source") == "model")

        def has_prefix(prefix: str) -> bool:
            return bool(state.list_prefix(prefix))

        def longest(keys: list[str]) -> tuple[str, tpl.StateHit] | None:
            entries = state.get_entries(keys)  # one query for every candidate key
            for key in keys:
                entry = entries.get(key)
                if entry is not None:
                    return key, tpl.StateHit(entry.value, entry.metadata.get("source") == "model")
            return None

        return tpl.Scope(
            state=tpl.StateReader(get, has_prefix, longest),
            acts=rs.acts,
            env=self.s.env,
            carousel={
                "iteration": iteration or 1,
                "iterations": rs.plan.carousel.iterations if rs.plan.carousel else 1,
            },
            run={"id": rs.run_id, "narrative": rs.plan.name},
        )

    def _meta(self, rs: _RunState, act: Act, source: str) -> dict[str, Any]:
        return {"run_id": rs.run_id, "narrative": rs.plan.name, "act": act.name, "source": source}


class _Stopped(Exception):
    """``Services.should_stop`` said stop: the run ends, interrupted, between two acts."""


@dataclass
class _BudgetStop:
    message: str


def independent_groups(plan: Plan, dry_run: bool = False) -> list[list[Act]]:
    """The acts in order, consecutive independent model acts grouped together.

    With ``concurrency = N`` > 1 in ``[narrative]``, model acts that set
    ``context = "none"``, have no ``skip_if``, no act carousel, and refer to no
    act of their own group run at the same time. Everything else is a group of one.
    """
    if plan.concurrency <= 1 or dry_run:
        return [[act] for act in plan.acts]
    groups: list[list[Act]] = []
    current: list[Act] = []
    for act in plan.acts:
        candidate = (
            act.is_model_act
            and act.context == "none"
            and act.skip_if is None
            and act.carousel is None
            and act.output != "json"
        )
        names = {a.name for a in current}
        if candidate and not (_act_refs(act) & names):
            current.append(act)
            continue
        if current:
            groups.append(current)
            current = []
        if candidate:
            current = [act]
        else:
            groups.append([act])
    if current:
        groups.append(current)
    return groups


def _act_refs(act: Act) -> set[str]:
    names: set[str] = set()
    for text in act.text_inputs:
        for ref in tpl.scan(text.content):
            if ref.kind == "act":
                names.add(ref.path[0])
            elif ref.kind == "jinja":
                names |= set(ref.names)
    return names


_BOTTICELLI_ID_FIELDS = (
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


def _pending_value(pending: _Pending, key: str, state: StateRepository) -> Any:
    """What ``key`` holds for the act so far: its pending write, else the stored value."""
    if key in pending:
        value = pending[key][0]
        return None if value is _DELETE else value
    return state.get(key)


def botticelli_captures(command: BotCommandInput, output: Any) -> dict[str, str]:
    """The keys Botticelli's automatic id capture writes, for narratives of its dialect.

    Each id-like field at the top level of a command's result is stored as a
    string under ``{platform}.{command}.{field}`` and under the bare ``{field}``
    (so ``${state:id}`` reads the last created id), in addition to the keys of
    DESIGN §4.
    """
    if not isinstance(output, dict):
        return {}
    keys: dict[str, str] = {}
    for name in _BOTTICELLI_ID_FIELDS:
        value = output.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool):
            keys[f"{command.platform}.{command.command}.{name}"] = str(value)
            keys[name] = str(value)
    return keys


def _unset_vars(value: Any, env: Mapping[str, str]) -> list[str]:
    """The ``${VAR}`` references in ``value`` (strings, lists, tables) that ``env`` lacks."""
    if isinstance(value, str):
        try:
            refs = tpl.scan(value)
        except Exception:  # a syntax problem is reported by rendering, not here
            return []
        return [r.path[0] for r in refs if r.kind == "env" and r.path and r.path[0] not in env]
    if isinstance(value, Mapping):
        return [name for v in value.values() for name in _unset_vars(v, env)]
    if isinstance(value, list | tuple):
        return [name for v in value for name in _unset_vars(v, env)]
    return []


def _act_message(act: Act, exc: NarratorError) -> str:
    text = str(exc)
    prefix = f"act '{act.name}'"
    return text if text.startswith(prefix) else f"{prefix}: {text}"


def _idempotency_key(
    rs: _RunState, act: Act, iteration: int | None, index: int, command: BotCommandInput
) -> str:
    return f"{rs.run_id}:{iteration or 0}:{act.name}:{index}:{command.command}"
