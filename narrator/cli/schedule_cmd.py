"""``narrator schedule add|list|refresh|remove|pause|resume`` and ``narrator worker``.

``schedule add`` stores the narrative's text and the nested files it reads
in the database (:mod:`narrator.parser.stored`); workers run that, not the
file on their disk. ``--sandbox`` on every verb (and on ``worker``) uses the
sandbox database's schedules, so a rehearsal never claims a real slot.

Time comes from one :class:`~narrator.clock.SystemClock`: ``schedule add``
anchors schedules at its ``now()`` and ``worker`` decides what is due, claims
and renews leases by it. There is no test switch: the CLI tests freeze the wall
clock of the whole process with libfaketime (``faketime -f``), and tests that
are not about the CLI give :class:`narrator.worker.Worker` a ``FakeClock``.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from narrator.cli.common import emit_json, get_globals, handle_errors, parse_vars
from narrator.cli.console import print_table
from narrator.clock import SystemClock
from narrator.errors import UsageError

if TYPE_CHECKING:
    from narrator.parser.stored import StoredNarrative
    from narrator.state import Database
    from narrator.state.schedules import ScheduleRecord, ScheduleStore

CLOCK = SystemClock()


def _store(database: Database) -> ScheduleStore:
    from narrator.state.schedules import ScheduleStore

    return ScheduleStore(database.gateway)


SANDBOX_HELP = "Use the sandbox database's schedules (what `worker --sandbox` runs)."


def _database(sandbox: bool) -> Database:
    return get_globals().database(sandbox=sandbox)


def _snapshot(file: str, narrative: str | None = None) -> tuple[str, StoredNarrative]:
    """(absolute path, what to store) of a narrative file (``narrative``: which
    ``[narrative.NAME]`` of a file with several); refuses an invalid one now."""
    from narrator.parser.stored import snapshot_file

    path = os.path.abspath(file)
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {file}", hint="give the path of a narrative .toml file")
    # an invalid narrative (or one reading a secret) is refused now, not at 9 am
    _plan, stored = snapshot_file(path, secrets=get_globals().secret_names(), narrative=narrative)
    return path, stored


def _on_disk(record: ScheduleRecord) -> str:
    """same / changed / missing: the file on this machine's disk against what runs."""
    from narrator.parser.stored import disk_drift

    stored = record.stored
    if stored is None:  # runs the file from the disk: only its absence matters
        return "same" if os.path.isfile(record.file) else "missing"
    return disk_drift(record.file, stored)


def _drift_note(record: ScheduleRecord, on_disk: str) -> str:
    refresh = f"`narrator schedule refresh {record.name}`"
    if record.stored is None:
        note = f"runs the file on disk (added before narratives were stored; {refresh} stores it)"
        return note if on_disk == "same" else f"{note}; the file is missing on this machine"
    if on_disk == "changed":
        return f"the file on disk differs from the scheduled text; {refresh} picks up the edit"
    if on_disk == "missing":
        return "the file (or a nested file) is missing on disk; the scheduled text still runs"
    return ""


def _when(value: datetime | None, tz: str) -> str:
    if value is None:
        return "-"
    from narrator.scheduler import zone

    return value.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M:%S %Z")


@click.group()
def schedule() -> None:
    """Recurring runs of a narrative; `narrator worker` runs them.

    \b
    Examples:
      narrator schedule add post.toml --cron '0 9 * * *' --tz Europe/Berlin
      narrator schedule add digest.toml --every 6h --name digest --var CHANNEL_ID=123
      narrator schedule add bot.toml --narrative daily_tip --every 1d  # one of several
      narrator schedule list          # flags a file edited since it was scheduled
      narrator schedule refresh digest  # store the edit; workers run the stored text
      narrator worker                 # long-running; or `narrator worker --once` from cron
    """


@schedule.command("add")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--every", metavar="DURATION", help="Run every DURATION (30s, 5m, 2h, 1d).")
@click.option("--cron", metavar="EXPR", help="Run at the times of a 5-field cron expression.")
@click.option("--tz", default="UTC", show_default=True, help="Time zone of --cron (IANA name).")
@click.option("--name", help="Schedule name (default: the file's stem).")
@click.option(
    "--narrative",
    metavar="NAME",
    help="In a file with several [narrative.NAME] tables (Botticelli), the one to run.",
)
@click.option("--var", multiple=True, metavar="K=V", help="Set ${K} for every run (repeatable).")
@click.option(
    "--catch-up",
    "catch_up",
    default="latest",
    show_default=True,
    help="Slots missed while no worker ran: skip, latest (run the newest once) or all.",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Update the schedule of that name (text, recurrence, vars) instead of refusing.",
)
@click.option("--sandbox", is_flag=True, help=SANDBOX_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the new schedule as JSON.")
@handle_errors
def add(
    file: str,
    every: str | None,
    cron: str | None,
    tz: str,
    name: str | None,
    narrative: str | None,
    var: tuple[str, ...],
    catch_up: str,
    replace: bool,
    sandbox: bool,
    as_json: bool,
) -> None:
    """Schedule FILE to run --every DURATION or at --cron EXPR times in --tz.

    \b
    With --every the first slot is due at once; with --cron at the next
    matching time. Cron times are wall-clock times in --tz: '0 9 * * *' is
    09:00 local all year. A time skipped by a DST change runs when the clock
    jumps past it; a time that happens twice runs once.

    \b
    The narrative's text and the nested files it reads are stored in the
    database: every worker runs exactly this version, wherever it runs. After
    editing the file, `narrator schedule refresh NAME` (or add --replace)
    stores the new version; `schedule list` shows when the file differs.
    """
    from narrator.durations import parse_duration
    from narrator.scheduler import Recurrence, check_catch_up, check_cron, zone

    if (every is None) == (cron is None):
        raise UsageError(
            "give exactly one of --every DURATION and --cron EXPR",
            hint="e.g. --every 1h, or --cron '0 9 * * *' --tz Europe/Berlin",
        )
    zone(tz)
    policy = check_catch_up(catch_up)
    path, stored = _snapshot(file, narrative)
    recurrence = Recurrence(
        anchor=CLOCK.now(),
        every=parse_duration(every) if every is not None else None,
        cron=check_cron(cron) if cron is not None else None,
        tz=tz,
    )
    database = _database(sandbox)
    try:
        store = _store(database)
        name = name or (narrative if narrative is not None else Path(path).stem)
        replaced = replace and store.get(name) is not None
        record = (store.replace if replace else store.add)(
            name,
            path,
            recurrence,
            catch_up=policy,
            vars_=parse_vars(var),
            narrative=stored,
        )
    finally:
        database.close()
    if as_json:
        emit_json(record.to_json())
        return
    verb = "replaced" if replaced else "added"
    click.echo(
        f"{verb} schedule '{record.name}': {record.recurrence.describe()}, catch-up {policy}; "
        f"next run {_when(record.next_due_at, record.recurrence.tz)}; "
        f"narrative {stored.hash[:12]}"
        + (f" ([narrative.{narrative}])" if narrative is not None else "")
        + (f" with {len(stored.files)} nested file(s)" if stored.files else "")
    )


def _list_json(records: list[ScheduleRecord]) -> list[dict[str, object]]:
    return [{**r.to_json(), "on_disk": _on_disk(r)} for r in records]


@schedule.command("list")
@click.option("--sandbox", is_flag=True, help=SANDBOX_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def list_(sandbox: bool, as_json: bool) -> None:
    """List schedules with their next run, last run and last status.

    \b
    A schedule runs the text stored when it was added or refreshed; a line
    says so when the file on disk differs from it or is missing
    (--json: "on_disk" is same, changed or missing; "stored" is false for a
    schedule added before narratives were stored, which runs the file on disk).
    """
    database = _database(sandbox)
    try:
        records = _store(database).all()
    finally:
        database.close()
    if as_json:
        emit_json(_list_json(records))
        return
    if not records:
        click.echo("no schedules — add one with `narrator schedule add FILE --every 1h`")
        return
    rows: list[tuple[str, ...]] = []
    plain: list[str] = []
    for r in records:
        tz = r.recurrence.tz
        state = "paused" if r.paused else f"next {_when(r.next_due_at, tz)}"
        if r.running_slot is not None:
            state += f" (running slot {_when(r.running_slot, tz)})"
        last = f"last {_when(r.last_run_at, tz)} {r.last_status}" if r.last_run_at else "never run"
        note = _drift_note(r, _on_disk(r))
        source = r.file + (f" --narrative {r.narrative_name}" if r.narrative_name else "")
        rows.append((r.name, r.recurrence.describe(), state, last, source, note or ""))
        plain.append(f"{r.name}  {r.recurrence.describe()}  {state}  {last}  {source}")
        if note:
            plain.append(f"  ! {note}")
    headers = ("name", "every", "state", "last run", "file", "drift")
    print_table(headers, rows, plain, styles=("cyan",))


@schedule.command("refresh")
@click.argument("name")
@click.option("--sandbox", is_flag=True, help=SANDBOX_HELP)
@handle_errors
def refresh(name: str, sandbox: bool) -> None:
    """Store the current text of NAME's file (and its nested files) as what NAME runs.

    \b
    Run it after editing a scheduled narrative: until then every worker keeps
    running the text stored by `schedule add`. The next slot runs the new text.
    """
    database = _database(sandbox)
    try:
        store = _store(database)
        record = store.require(name)
        if not os.path.isfile(record.file):
            raise UsageError(
                f"schedule '{name}' reads {record.file}, which does not exist here",
                hint="run refresh where the file is, or point the schedule at a new file: "
                f"`narrator schedule add FILE --name {name} --replace …`",
            )
        path, stored = _snapshot(record.file, record.narrative_name)
        before = record.narrative_hash
        record = store.refresh(name, path, stored)
    finally:
        database.close()
    if before == stored.hash:
        click.echo(f"schedule '{name}' already runs this text (narrative {stored.hash[:12]})")
        return
    was = f"was {before[:12]}" if before else "was read from the disk at each run"
    click.echo(f"refreshed schedule '{name}': narrative {stored.hash[:12]} ({was})")


def _by_name(verb: str, name: str, sandbox: bool) -> ScheduleRecord | None:
    database = _database(sandbox)
    try:
        store = _store(database)
        if verb == "remove":
            store.remove(name)
            return None
        return store.set_paused(name, verb == "pause", CLOCK.now())
    finally:
        database.close()


@schedule.command("remove")
@click.argument("name")
@click.option("--sandbox", is_flag=True, help=SANDBOX_HELP)
@handle_errors
def remove(name: str, sandbox: bool) -> None:
    """Delete the schedule NAME (its runs stay in the journal)."""
    _by_name("remove", name, sandbox)
    click.echo(f"removed schedule '{name}'")


@schedule.command("pause")
@click.argument("name")
@click.option("--sandbox", is_flag=True, help=SANDBOX_HELP)
@handle_errors
def pause(name: str, sandbox: bool) -> None:
    """Stop starting runs of NAME until `schedule resume NAME`."""
    _by_name("pause", name, sandbox)
    click.echo(f"paused schedule '{name}'")


@schedule.command("resume")
@click.argument("name")
@click.option("--sandbox", is_flag=True, help=SANDBOX_HELP)
@handle_errors
def resume(name: str, sandbox: bool) -> None:
    """Start running NAME again; slots missed while paused follow its catch-up policy."""
    record = _by_name("resume", name, sandbox)
    assert record is not None
    click.echo(
        f"resumed schedule '{name}'; next run {_when(record.next_due_at, record.recurrence.tz)}"
    )


@click.command()
@click.option("--once", is_flag=True, help="Run what is due now, then exit (for cron/systemd).")
@click.option(
    "--sandbox",
    is_flag=True,
    help="Run the sandbox database's schedules (`schedule add --sandbox`) against the local "
    "emulated guild and sandbox model; real schedules and their slots are not touched.",
)
@click.option(
    "--poll",
    type=click.FloatRange(min=0.01),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="Longest idle sleep. An idle worker sleeps until the earliest next slot (or an "
    "expiring lease) and checks at least this often for schedules added meanwhile.",
)
@click.option(
    "--lease",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="How long a claimed slot is held without renewal; a crashed worker's slot is "
    "taken over after this.",
)
@click.option("--worker-id", default=None, help="Name of this worker in slot claims.")
@handle_errors
def worker(once: bool, sandbox: bool, poll: float, lease: float, worker_id: str | None) -> None:
    """Run due schedule slots; many workers may share one database.

    \b
    Every slot runs exactly once: it is claimed in the database before it
    runs, its lease is renewed while it runs, and a slot whose worker died is
    resumed by another worker once the lease expires — with the same
    idempotency keys, so nothing is posted twice. SIGTERM (or Ctrl-C) lets the
    current act finish, records the run and exits. --once exits when nothing
    more is due (exit 1 if a slot it ran failed).
    """
    from narrator.worker import Worker, WorkerOptions, default_worker_id

    g = get_globals()
    config = g.config()
    # a sandbox worker claims the sandbox database's slots only, never a real one
    database = g.database(sandbox=sandbox)
    options = WorkerOptions(
        once=once,
        poll=poll,
        lease=lease,
        sandbox=sandbox,
        worker_id=worker_id or default_worker_id(),
    )
    runner = Worker(
        _store(database),
        config=config,
        run_database=database,
        clock=CLOCK,
        options=options,
        log=lambda text: click.echo(text, err=True),
    )

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if runner.stopping:
            raise KeyboardInterrupt
        click.echo("stopping after the current act…", err=True)
        runner.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    mode = "once" if once else f"polling every {poll:g}s"
    click.echo(f"worker {options.worker_id} started ({mode})", err=True)
    try:
        code = runner.serve()
    finally:
        database.close()
    click.echo(f"worker {options.worker_id} stopped; {len(runner.results)} slot(s) run", err=True)
    sys.exit(code)
