"""``narrator runs list`` and ``narrator runs show``."""

from __future__ import annotations

import click

from narrator.cli.common import emit_json, get_globals, handle_errors, render_value
from narrator.cli.console import print_table
from narrator.errors import RunNotFound, UsageError
from narrator.protocols import ActRecord, RunRecord

_sandbox = click.option("--sandbox", is_flag=True, help="Look at the sandbox database.")


def run_json(run: RunRecord, *, with_acts: bool, status: str | None = None) -> dict[str, object]:
    """``status`` is what people see (``abandoned`` for a running run whose process is gone)."""
    data: dict[str, object] = {
        "run_id": run.run_id,
        "narrative": run.narrative,
        "source": run.source,
        "status": status or run.status,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "error": run.error,
    }
    if run.owner is not None:
        data["owner"] = {
            "host": run.owner.host,
            "pid": run.owner.pid,
            "lease_expires_at": run.lease_expires_at,
        }
    carousel = run.summary.get("carousel") if run.summary else None
    if carousel:
        data["carousel"] = carousel
    if with_acts:
        data["acts"] = [act_json(a) for a in run.acts]
    return data


def act_json(act: ActRecord) -> dict[str, object]:
    return {
        "seq": act.seq,
        "name": act.name,
        "iteration": act.iteration,
        "status": act.status,
        "input": act.input,
        "output": act.output,
        "error": act.error,
        "started_at": act.started_at,
        "finished_at": act.finished_at,
    }


@click.group()
def runs() -> None:
    """Every run is journalled: its acts, their outputs, errors and timing."""


@runs.command("list")
@click.option("--limit", default=20, show_default=True, help="How many runs, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_sandbox
@handle_errors
def list_(limit: int, as_json: bool, sandbox: bool) -> None:
    """List recent runs, newest first."""
    from narrator.leases import run_status

    records = get_globals().peek(lambda r: r.list_runs(limit), sandbox=sandbox)
    if records is None:
        database = get_globals().database(sandbox=sandbox)
        try:
            records = database.journal.list_runs(limit)
        finally:
            database.close()

    if as_json:
        emit_json([run_json(r, with_acts=False, status=run_status(r)) for r in records])
        return
    if not records:
        where = get_globals().where(sandbox=sandbox)
        click.echo(f"no runs in {where} yet — `narrator run FILE` starts one")
        return
    rows = [
        (r.run_id, r.started_at.strftime("%Y-%m-%d %H:%M:%S"), run_status(r), r.narrative)
        for r in records
    ]
    print_table(
        ("run id", "started", "status", "narrative"),
        rows,
        [f"{run_id}  {started}  {status:<11} {name}" for run_id, started, status, name in rows],
        styles=("cyan", None, "bold"),
    )
    if any(run_status(r) == "abandoned" for r in records):
        hint = "abandoned: its process is gone; `narrator resume RUN_ID` continues it"
        click.echo(hint + (" (add --sandbox)" if sandbox else ""), err=True)


@runs.command()
@click.argument("run_id", required=False)
@click.option("--last", is_flag=True, help="Show the newest run.")
@click.option(
    "--full",
    is_flag=True,
    help="Show each act's rendered arguments, its output whole (not cut at 80) and its error.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_sandbox
@handle_errors
def show(run_id: str | None, last: bool, full: bool, as_json: bool, sandbox: bool) -> None:
    """Show one run and each of its acts.

    RUN_ID may be the whole id or any unique prefix of it (like git).

    \b
    Examples:
      narrator runs show --last
      narrator runs show 01a2 --full
    """
    from narrator.runs import find_run, run_status

    if (run_id is None) == (not last):
        raise UsageError(
            "give a RUN_ID (or a unique prefix of one) or --last",
            hint="`narrator runs list` shows run ids",
        )
    database = get_globals().database(sandbox=sandbox)
    try:
        if last:
            newest = database.journal.list_runs(1)
            if not newest:
                where = get_globals().where(sandbox=sandbox)
                raise RunNotFound(f"no runs in {where} yet", hint="`narrator run FILE` starts one")
            run_id = newest[0].run_id
        assert run_id is not None
        record = find_run(database.journal, run_id, sandbox=sandbox)
    finally:
        database.close()
    status = run_status(record)
    if as_json:
        emit_json(run_json(record, with_acts=True, status=status))
        return
    click.echo(f"run {record.run_id}: {record.narrative} ({record.source})")
    click.echo(f"status: {status}")
    if record.owner is not None and record.status == "running":
        click.echo(f"owner: pid {record.owner.pid} on {record.owner.host}")
    if status in ("failed", "interrupted", "abandoned"):
        sandbox_flag = " --sandbox" if sandbox else ""
        click.echo(f"resume it with: narrator resume{sandbox_flag} {record.run_id}")
    if record.error:
        click.echo(f"error: {record.error}")
    carousel = record.summary.get("carousel") if record.summary else None
    if carousel:
        click.echo("carousel: " + ", ".join(f"{k}={v}" for k, v in carousel.items()))
    for act in record.acts:
        where = f"[{act.iteration}] " if act.iteration else ""
        line = f"  {act.seq:>3}  {act.status:<8} {where}{act.name}"
        if act.status == "failed" and act.error:
            line += f"  {act.error}"
        elif act.output is not None:
            text = render_value(act.output)
            if not full and len(text) > 80:
                text = text[:77] + "..."
            line += f"  → {text}"
        click.echo(line)
        if full:
            _echo_full(act)


def _echo_full(act: ActRecord) -> None:
    """``--full``: the act's rendered input (secrets were redacted before it was stored)."""
    if act.input is None:
        return
    for one in act.input if isinstance(act.input, list) else [act.input]:
        if isinstance(one, dict) and "command" in one:
            args = one.get("args")
            shown = "(known after run)" if args is None else render_value(args)
            click.echo(f"         {one.get('platform', '')}.{one['command']}  {shown}")
        elif isinstance(one, dict) and "prompt" in one:
            click.echo(f"         model {one.get('profile')}")
            if one.get("system"):
                click.echo(f"         system: {one['system']}")
            click.echo(f"         prompt: {one['prompt']}")
            for part in one.get("media") or ():  # kind, MIME type, size, source (narrator.media)
                size = f", {part['bytes']} bytes" if "bytes" in part else ""
                click.echo(f"         {part['kind']}: {part['mime']}{size} from {part['source']}")
        else:
            click.echo(f"         input: {render_value(one)}")
