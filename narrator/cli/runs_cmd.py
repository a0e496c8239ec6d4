"""``narrator runs list`` and ``narrator runs show``."""

from __future__ import annotations

import click

from narrator.cli.common import emit_json, get_globals, handle_errors, render_value
from narrator.errors import RunNotFound
from narrator.protocols import ActRecord, RunRecord

_sandbox = click.option("--sandbox", is_flag=True, help="Look at the sandbox database.")


def run_json(run: RunRecord, *, with_acts: bool) -> dict[str, object]:
    data: dict[str, object] = {
        "run_id": run.run_id,
        "narrative": run.narrative,
        "source": run.source,
        "status": run.status,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "error": run.error,
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
    database = get_globals().database(sandbox=sandbox)
    try:
        records = database.journal.list_runs(limit)
    finally:
        database.close()
    if as_json:
        emit_json([run_json(r, with_acts=False) for r in records])
        return
    if not records:
        click.echo("no runs yet — `narrator run FILE` starts one")
        return
    for r in records:
        started = r.started_at.strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{r.run_id}  {started}  {r.status:<11} {r.narrative}")


@runs.command()
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_sandbox
@handle_errors
def show(run_id: str, as_json: bool, sandbox: bool) -> None:
    """Show one run and each of its acts."""
    database = get_globals().database(sandbox=sandbox)
    try:
        record = database.journal.get_run(run_id)
    finally:
        database.close()
    if record is None:
        raise RunNotFound(f"no run with id '{run_id}'", hint="`narrator runs list` shows run ids")
    if as_json:
        emit_json(run_json(record, with_acts=True))
        return
    click.echo(f"run {record.run_id}: {record.narrative} ({record.source})")
    click.echo(f"status: {record.status}")
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
            line += f"  → {text if len(text) <= 80 else text[:77] + '...'}"
        click.echo(line)
