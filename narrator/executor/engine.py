"""The one loop that performs effects: decide → do → record, per act.

For each act: **decide** (``skip_if`` against current state, or a finished act
of a resumed run), **do** (its commands, its model call, or a nested
narrative — :mod:`narrator.executor.perform`), **record** (captures,
``output_var`` and the journal row in one unit of work). A carousel repeats the
acts as :func:`narrator.executor.carousel.next_step` says; this module does
the sleeping. ``dry_run`` (``narrator plan``) walks the same decisions and
writes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

from narrator import interpolate, logs, tracing
from narrator.errors import ActFailed, BudgetExhausted, NarratorError
from narrator.executor import botticelli, content_act
from narrator.executor.carousel import (
    BudgetView,
    IterationResult,
    Progress,
    Sleep,
    Stop,
    after_iteration,
    next_step,
)
from narrator.executor.groups import independent_groups
from narrator.executor.model_act import Conversation
from narrator.executor.perform import (
    DELETE,
    Pending,
    Performer,
    RunState,
    metadata,
    output_tainted,
)
from narrator.executor.services import Services, new_run_id
from narrator.outcome import ActOutcome, RunOutcome, StopReason
from narrator.plan import Act, CarouselSpec, Plan
from narrator.protocols import ActRecord, BudgetAware, Message, RunOwner

__all__ = ["Executor", "Services", "new_run_id"]

_log = logs.get("act")

RunEnd = Literal["done", "failed", "interrupted"]


class _Stopped(Exception):
    """``Services.should_stop`` said stop: the run ends, interrupted, between two acts."""


class Executor:
    """Runs plans against :class:`Services`."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.performer = Performer(services)

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
        already happened instead of repeating it (:mod:`narrator.executor.resume`
        reads both from the journal). ``vars_`` go into the run's summary as they
        are: leave secrets out (:mod:`narrator.runs` does). ``owner`` and its lease
        go into the journal's run row of a new run.

        Cancelling the task running this (the CLI does on SIGINT, SIGTERM, SIGHUP)
        ends the run ``interrupted``: the act in flight is journalled
        ``interrupted``, never done, so a resume redoes (and reconciles) it.
        """
        run_id = run_id or new_run_id(self.services.clock)
        run = RunState(plan, run_id, dry_run=False, done=dict(resume or {}))
        run.seq = seq_start
        run.reconcile = dict(reconcile or {})
        run.summary = {"vars": dict(vars_ or {}), "dialect": plan.dialect}
        if resume is None:
            self.services.journal.start_run(
                run.run_id,
                plan.name,
                plan.source,
                run.summary,
                owner=owner,
                lease_expires_at=lease_expires_at,
            )
        with tracing.span("narrator.run", narrative=plan.name, run_id=run.run_id) as span:
            outcome = await self._execute(run)
            span.set("status", outcome.status)
        return outcome

    async def plan(self, plan: Plan) -> RunOutcome:
        """What ``run`` would do under the current state; writes nothing."""
        with tracing.span("narrator.plan", narrative=plan.name):
            return await self._execute(RunState(plan, "plan", dry_run=True))

    # ------------------------------------------------------------------ the run

    async def _execute(self, run: RunState) -> RunOutcome:
        spec = run.plan.carousel
        status: RunEnd = "done"
        error: str | None = None
        stopped: StopReason = "completed"
        try:
            if spec is None:
                result = await self.iteration(run, None)
                if not result.ok:
                    status, error = "failed", result.error
            else:
                stop = await self._carousel(run, spec)
                stopped = stop.reason
                if stop.error is not None:
                    status, error = "failed", stop.error
        except _Stopped as exc:
            status, error, stopped = "interrupted", str(exc), "interrupted"
        except asyncio.CancelledError:  # a signal: the CLI cancelled the run's task
            if run.dry_run:
                raise
            status, error, stopped = "interrupted", "interrupted by a signal", "interrupted"
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # handled: the run ends here, recorded as interrupted
        except KeyboardInterrupt:
            status, error, stopped = "interrupted", "interrupted", "interrupted"
            raise
        finally:
            carousel = None
            if spec is not None:
                progress = run.progress or Progress(iterations=spec.iterations)
                carousel = progress.outcome(spec.iterations, stopped, run.tokens_used)
            if not run.dry_run:
                content_act.finish_claims(self.services, run.plan, run.run_id, status)
                summary = run.summary
                if carousel is not None:
                    summary = {**summary, "carousel": carousel.to_json()}
                self.services.journal.finish_run(run.run_id, status, error=error, summary=summary)
        return RunOutcome(
            run_id=run.run_id,
            narrative=run.plan.name,
            status=status,
            acts=run.outcomes,
            error=error,
            carousel=carousel,
            dry_run=run.dry_run,
        )

    async def _carousel(self, run: RunState, spec: CarouselSpec) -> Stop:
        """Turn the carousel until a Stop: decide (pure), then sleep or run here."""
        clock, reporter = self.services.clock, self.services.reporter
        run.progress = Progress(iterations=1 if run.dry_run else spec.iterations)
        started = clock.monotonic()
        reporter.carousel_started(run.progress.iterations, spec.interval or 0.0)
        while True:
            step = next_step(spec, run.progress, self._budget_view(run.plan), clock.now())
            if isinstance(step, Sleep):
                if step.note:
                    reporter.note(step.note)
                reporter.waiting(step.seconds, step.reason)
                await clock.sleep(step.seconds)
                run.progress = replace(run.progress, rested=True)
                continue
            if isinstance(step, Stop):
                if step.note:
                    reporter.note(step.note)
                return step
            if step.iteration > 1:
                run.conversation = Conversation()  # each iteration starts a new conversation
            result = await self.iteration(run, step.iteration)
            run.progress, stop = after_iteration(spec, run.progress, result)
            if stop is not None:
                if stop.note:
                    reporter.note(stop.note)
                return stop
            elapsed = clock.monotonic() - started
            reporter.iteration_finished(step.iteration, run.progress.iterations, elapsed)
            scope = self.performer.scope(run, step.iteration)
            if spec.until and interpolate.condition(spec.until, scope):
                return Stop("condition")

    def _budget_view(self, plan: Plan) -> BudgetView | None:
        """Today's budget of the profiles an iteration's model acts use (None: unlimited)."""
        models = self.services.models
        if not isinstance(models, BudgetAware):
            return None
        model_acts = [a for a in plan.acts if a.is_model_act]
        profiles = {a.model or plan.model or "default" for a in model_acts}
        if not profiles:
            return None
        return BudgetView({p: models.remaining(p) for p in sorted(profiles)}, len(model_acts))

    async def iteration(self, run: RunState, iteration: int | None) -> IterationResult:
        """Every act once, in order; stops at the first failure that ends the pass."""
        first = len(run.outcomes)
        should_stop = self.services.should_stop
        groups = independent_groups(run.plan, run.dry_run)
        try:
            for index, group in enumerate(groups):
                if should_stop is not None and should_stop():
                    raise _Stopped(f"stopped before act '{group[0].name}'")
                if len(group) > 1:
                    run.upcoming = None
                    outcomes = await self._concurrently(run, group, iteration)
                    failed = next((o for o in outcomes if o.status == "failed"), None)
                    if failed is not None:
                        return IterationResult(failure=failed)
                    continue
                act = group[0]
                repeats = act.carousel.iterations if act.carousel and not run.dry_run else 1
                for inner in range(1, repeats + 1):
                    run.upcoming = _upcoming(run, act, groups[index + 1 :], iteration)
                    outcome = await self._act(run, act, inner if act.carousel else iteration)
                    if outcome.status != "failed":
                        continue
                    if outcome.budget_stop or not (act.carousel and act.carousel.continue_on_error):
                        return IterationResult(failure=outcome)
        finally:
            run.upcoming = None
            if run.announced is not None:  # the run stopped before that act started
                self._not_started(run)
        ran = run.outcomes[first:]
        return IterationResult(all_skipped=bool(ran) and all(o.status == "skipped" for o in ran))

    async def _concurrently(
        self, run: RunState, group: list[Act], iteration: int | None
    ) -> list[ActOutcome]:
        """Independent model acts at once, at most ``concurrency`` in flight."""
        gate = asyncio.Semaphore(max(1, run.plan.concurrency))

        async def one(act: Act) -> ActOutcome:
            async with gate:
                return await self._act(run, act, iteration)

        return list(await asyncio.gather(*(one(a) for a in group)))

    # ------------------------------------------------------------------ one act

    async def _act(self, run: RunState, act: Act, iteration: int | None) -> ActOutcome:
        what = {"command": ",".join(c.command for c in act.commands) or None, "model": act.model}
        with tracing.span("narrator.act", act=act.name, iteration=iteration, **what) as span:
            outcome = await self._one_act(run, act, iteration)
            span.set("status", outcome.status)
        return outcome

    async def _one_act(self, run: RunState, act: Act, iteration: int | None) -> ActOutcome:
        name = run.instance + act.name  # as journalled: a nested act carries its instance
        key = (iteration or 0, name)
        if key in run.done:  # resumed: this act finished in the earlier attempt
            run.acts[act.name] = interpolate.ActValue(run.done[key], tainted=output_tainted(act))
            resumed = ActOutcome(act.name, "done", run.done[key], iteration=iteration)
            run.outcomes.append(resumed)
            return resumed
        services = self.services
        run.seq += 1
        seq = run.seq
        pending: Pending = {}
        inputs: list[Any] = []  # the act's rendered arguments or prompt (journal, log)
        announced, run.announced = run.announced, None
        if announced is not None and announced[:2] != (seq, key):
            announced = None  # pragma: no cover - iteration() announces only the act it runs next
        started = announced[2] if announced is not None else services.clock.now()
        t0 = services.clock.monotonic()
        services.reporter.act_started(act.name, iteration)
        scope = self.performer.scope(run, iteration)
        outcome: ActOutcome
        undecided: NarratorError | None = None
        try:
            test = act.skip_if
            skip = bool(test and interpolate.condition(test, scope))  # decide
        except NarratorError as exc:
            skip, undecided = False, exc
        if not run.dry_run and not skip and undecided is None and announced is None:
            # only an act that does I/O can be cut off mid-way: a skipped act (decided
            # without I/O) writes no `running` row, one commit fewer per skipped act; an
            # act the previous act's commit announced (`_announce`) has its row already
            services.journal.record_act(
                ActRecord(run.run_id, seq, name, "running", iteration, started_at=started)
            )
        try:
            if undecided is not None:
                raise undecided
            if skip:
                outcome = self.performer.skipped(run, act)
            elif act.subplan is not None:  # do
                outcome = await self._nested(run, act, iteration, scope, pending, inputs)
            elif act.commands:
                outcome = await self.performer.commands(run, act, iteration, scope, pending, inputs)
            elif act.is_table_read:  # rows of content tables, as data
                meta = metadata(run, act, "content")
                outcome = content_act.read_act(
                    services, run, act, iteration, scope, pending, meta, inputs
                )
            else:
                outcome = await self.performer.model(
                    run, act, scope, pending, inputs, iteration=iteration
                )
        except asyncio.CancelledError:
            if not run.dry_run:
                self._interrupted(run, act, iteration, seq, started)
            raise
        except BudgetExhausted as exc:
            outcome = ActOutcome(act.name, "failed", error=_act_message(act, exc))
            outcome.budget_stop = True
        except NarratorError as exc:
            outcome = ActOutcome(act.name, "failed", error=_act_message(act, exc))
        stored: list[dict[str, Any]] | None = None
        if act.store is not None and outcome.status == "done" and not run.dry_run:
            items = content_act.items_to_store(act, outcome.output)
            if isinstance(items, str):  # not storable: the act fails, nothing is kept
                failed = ActOutcome(act.name, "failed", error=_act_message(act, ActFailed(items)))
                failed.model_calls, failed.tokens = outcome.model_calls, outcome.tokens
                outcome = failed
            else:
                stored = items
        outcome.iteration = iteration
        outcome.duration_ms = (services.clock.monotonic() - t0) * 1000
        run.outcomes.append(outcome)
        rendered = logs.redact(_input(inputs))
        _log_act(run, act, outcome, rendered)
        if not run.dry_run:  # record
            self._record(run, act, outcome, seq, started, pending, rendered, stored)
        services.reporter.act_finished(outcome)
        return outcome

    async def _nested(
        self,
        run: RunState,
        act: Act,
        iteration: int | None,
        scope: interpolate.Scope,
        pending: Pending,
        inputs: list[Any],
    ) -> ActOutcome:
        """A nested narrative, run once inside this run, sharing state (Botticelli's
        executor runs it with ``execute``: its own carousel does not turn).

        ``narrative = "NAME"`` (``Act.subplan_joins``): the nested acts' responses,
        joined by a blank line, are the act's output and join the conversation.
        ``narratives.X``: the nested narrative runs for its effects; the act then does
        its own commands or prompt, or answers ``Action completed successfully``.
        """
        assert act.subplan is not None
        nested = RunState(act.subplan, run.run_id, run.dry_run)
        nested.seq = run.seq
        nested.instance = f"{run.instance}{act.name}.{iteration or 0}>"
        # a resumed run's nested acts: those that finished keep their outputs, a cut-off
        # one reconciles (their journal names carry the instance, so the keys are theirs)
        nested.done, nested.reconcile = run.done, run.reconcile
        try:
            result = await self.iteration(nested, None)
            if not result.ok:
                raise ActFailed(f"nested narrative failed: {result.error}", act=act.name)
        finally:
            run.seq = nested.seq
            run.outcomes.extend(nested.outcomes)
            run.tokens_used += nested.tokens_used
        if not act.subplan_joins:
            if act.commands:
                return await self.performer.commands(run, act, iteration, scope, pending, inputs)
            if act.text_inputs or act.media_inputs:
                return await self.performer.model(run, act, scope, pending, inputs, iteration)
            output: Any = botticelli.ACTION_DONE
            run.acts[act.name] = interpolate.ActValue(output)
        else:
            values = [nested.acts.get(a.name) for a in act.subplan.acts]
            responses = [v.output for v in values if v is not None and v.has_output]
            output = None if run.dry_run else botticelli.joined(responses)
            tainted = any(v.tainted for v in nested.acts.values())
            run.acts[act.name] = interpolate.ActValue(
                output,
                tainted=tainted,
                has_output=not run.dry_run,
                why_missing="composes a narrative; its output is known after run",
            )
            if output is not None:
                run.conversation.messages.append(Message("assistant", output))
        if act.output_var and not run.dry_run:
            pending[act.output_var] = (output, metadata(run, act, "subplan"))
        return ActOutcome(act.name, "done", output)

    def _record(
        self,
        run: RunState,
        act: Act,
        outcome: ActOutcome,
        seq: int,
        started: datetime,
        pending: Pending,
        rendered: Any = None,
        items: list[dict[str, Any]] | None = None,
    ) -> None:
        """Stored items (``store``), captures, ``output_var`` and the journal row (with the
        act's redacted input), committed together."""
        services = self.services
        with services.unit_of_work():
            if items is not None:  # rows first: the act's output is the stored rows
                meta = metadata(run, act, "model")
                content_act.store_items(services, run, act, outcome, pending, items, meta)
            following = self._commit(run, act, outcome, seq, started, pending, rendered)
        if following is not None and following.started_at is not None:  # committed
            key = (following.iteration or 0, following.name)
            run.announced = (following.seq, key, following.started_at)

    def _commit(
        self,
        run: RunState,
        act: Act,
        outcome: ActOutcome,
        seq: int,
        started: datetime,
        pending: Pending,
        rendered: Any,
    ) -> ActRecord | None:
        """The act's state writes and journal row, with the next act's ``running`` row
        (returned) when :meth:`_announce` gives one."""
        services = self.services
        record = ActRecord(
            run.run_id,
            seq,
            run.instance + act.name,
            outcome.status,
            outcome.iteration,
            output=logs.redact(outcome.output),
            error=logs.redact(outcome.error or _soft(outcome)),
            started_at=started,
            finished_at=services.clock.now(),
            input=rendered,
        )
        for state_key, (value, meta) in pending.items():
            if value is DELETE:
                services.state.delete(state_key)
            else:
                services.state.set(state_key, value, metadata=meta)
        following = self._announce(run, outcome)
        if following is None:
            services.journal.record_act(record)
            return None
        services.journal.record_acts([record, following])  # one statement for both rows
        return following

    def _announce(self, run: RunState, outcome: ActOutcome) -> ActRecord | None:
        """The ``running`` row of the act that runs next, to go in this act's transaction
        (one commit per act instead of two), or None.

        Its row is committed before it does any I/O, as crash recovery needs (a resume
        reconciles an act journalled ``running``); it may be one decision early — an act
        that then skips overwrites the row with ``skipped``, and one that never starts
        (the run stopped in between) is journalled ``interrupted`` by ``iteration()``.
        Not after a failure (the pass ends) nor when the run is asked to stop.
        """
        upcoming, run.upcoming = run.upcoming, None
        should_stop = self.services.should_stop
        if upcoming is None or outcome.status == "failed":
            return None
        if should_stop is not None and should_stop():
            return None
        act, iteration = upcoming
        started = self.services.clock.now()
        return ActRecord(
            run.run_id,
            run.seq + 1,
            run.instance + act.name,
            "running",
            iteration,
            started_at=started,
        )

    def _not_started(self, run: RunState) -> None:
        """The announced act never started (the run stopped first): ``interrupted``, never
        left ``running``; a resume decides it again."""
        assert run.announced is not None
        seq, (iteration, name), started = run.announced
        run.announced = None
        with contextlib.suppress(NarratorError):  # already failing: keep the first error
            self.services.journal.record_act(
                ActRecord(
                    run.run_id,
                    seq,
                    name,
                    "interrupted",
                    iteration or None,  # the key's 0 is "no iteration"
                    error="not started: the run stopped before this act",
                    started_at=started,
                    finished_at=self.services.clock.now(),
                )
            )

    def _interrupted(
        self, run: RunState, act: Act, iteration: int | None, seq: int, started: datetime
    ) -> None:
        """Journal an act cut off by a signal as ``interrupted``, never done, and write
        none of its state: a resume redoes it, and its commands reconcile with what
        already happened (``CommandCall.reconcile_since``)."""
        self.services.journal.record_act(
            ActRecord(
                run.run_id,
                seq,
                run.instance + act.name,
                "interrupted",
                iteration,
                error="interrupted by a signal",
                started_at=started,
                finished_at=self.services.clock.now(),
            )
        )


def _upcoming(
    run: RunState, act: Act, rest: list[list[Act]], iteration: int | None
) -> tuple[Act, int | None] | None:
    """The act that certainly runs right after ``act`` when it does not fail (its
    ``running`` row can go in ``act``'s commit), or None: the last act of the pass, an
    act carousel, a group run concurrently, an act a resumed run finished already."""
    if run.dry_run or act.carousel is not None or not rest or len(rest[0]) > 1:
        return None
    after = rest[0][0]
    if after.carousel is not None or (iteration or 0, run.instance + after.name) in run.done:
        return None
    return after, iteration


def _soft(outcome: ActOutcome) -> str | None:
    """The journal's word on a done act whose optional commands failed (soft failures)."""
    if not outcome.soft_failures:
        return None
    return "soft failure: " + "; ".join(outcome.soft_failures)


def _act_message(act: Act, exc: NarratorError) -> str:
    text = str(exc)
    prefix = f"act '{act.name}'"
    return text if text.startswith(prefix) else f"{prefix}: {text}"


def _input(inputs: list[Any]) -> Any:
    """One command or one prompt as itself; several commands as a list; nothing as None."""
    if not inputs:
        return None
    return inputs[0] if len(inputs) == 1 else inputs


def _log_act(run: RunState, act: Act, outcome: ActOutcome, rendered: Any) -> None:
    """INFO: the act, its status, its rendered (redacted) input and its error."""
    if not _log.isEnabledFor(20):  # logging.INFO
        return
    extra: dict[str, Any] = {
        "run_id": run.run_id,
        "act": act.name,
        "status": outcome.status,
        "duration_ms": round(outcome.duration_ms, 1),
        "input": rendered,
    }
    if outcome.iteration is not None:
        extra["iteration"] = outcome.iteration
    if outcome.error:
        extra["error"] = outcome.error
    plan = " (plan)" if run.dry_run else ""
    _log.info("act %s %s%s", act.name, outcome.status, plan, extra=extra)
