"""``narrator content ...``: look at, curate and move the rows of content tables.

Thin: each verb parses its arguments, opens the database, calls
:mod:`narrator.content_ops` and renders. The review's terminal loop and the
editor round trip are :mod:`narrator.cli.content_review`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from narrator.cli.common import emit_json, get_globals, handle_errors
from narrator.cli.console import print_table
from narrator.errors import UsageError

if TYPE_CHECKING:
    from narrator.content.model import ContentRow, TableSummary
    from narrator.content_release import RunClaims
    from narrator.state.database import Database

F = TypeVar("F", bound=Callable[..., Any])


def _sandbox_option(fn: F) -> F:
    return click.option(
        "--sandbox", is_flag=True, help="Use the sandbox database (what --sandbox runs stored)."
    )(fn)


def _json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(fn)


def _open(sandbox: bool) -> Database:
    return get_globals().database(sandbox=sandbox)


def _label(sandbox: bool) -> str:
    return get_globals().where(sandbox=sandbox)


def _preview(row: ContentRow, width: int = 90) -> str:
    text = json.dumps(row.fields, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= width else text[: width - 1] + "…"


def _status_cell(row: ContentRow) -> str:
    """The status, and who holds the row when a run has claimed it."""
    return row.status + (f" (claimed by {row.claimed_by})" if row.claimed_by else "")


def _row_json(row: ContentRow, record: Callable[[ContentRow], dict[str, Any]]) -> dict[str, Any]:
    """A row as export writes it, plus ``claimed_by`` while a run holds it."""
    out = record(row)
    return {**out, "claimed_by": row.claimed_by} if row.claimed_by else out


def _summary_json(summary: TableSummary) -> dict[str, Any]:
    return {
        "table": summary.table,
        "rows": summary.rows,
        "by_status": dict(summary.by_status),
        "last_update": summary.last_update,
    }


@click.group()
def content() -> None:
    """Content tables: the rows narratives store (store = "TABLE"), curated and posted.

    \b
    A row is one generated item (its fields, a JSON object) with an id, a status
    (pending, approved, rejected, posted, ...) and where it came from. The pipeline:
    generate -> store -> curate -> approve (here) -> post. See docs/content.md.

    \b
    Examples:
      narrator content tables
      narrator content list posts --status pending
      narrator content review posts
      narrator content approve posts 4 7 9
      narrator content export posts -o posts.jsonl
    """


@content.command("tables")
@_json_option
@_sandbox_option
@handle_errors
def tables(as_json: bool, sandbox: bool) -> None:
    """List the content tables, their rows by status and last change.

    \b
    Examples:
      narrator content tables
      narrator content tables --sandbox --json
    """
    from narrator.content_ops import table_summaries

    with _open(sandbox) as db:
        found = table_summaries(db.content)
    if as_json:
        emit_json([_summary_json(s) for s in found])
        return
    if not found:
        click.echo(
            f'no content tables in {_label(sandbox)} — a narrative\'s store = "TABLE" '
            "or `narrator content import FILE` makes one",
            err=True,
        )
        return
    rows, plain = [], []
    for s in found:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(s.by_status.items()))
        when = s.last_update.isoformat(timespec="seconds") if s.last_update else "-"
        rows.append((s.table, str(s.rows), counts, when))
        plain.append(f"{s.table}  {s.rows} row{'s' if s.rows != 1 else ''} ({counts})  {when}")
    print_table(("table", "rows", "by status", "last change"), rows, plain, right=(1,))


@content.command("list")
@click.argument("table")
@click.option("--status", default=None, metavar="S", help="Only rows with this status.")
@click.option(
    "--where", "where", default=None, metavar="EXPR", help="Only rows for which EXPR holds."
)
@click.option("--limit", type=int, default=None, metavar="N", help="At most N rows.")
@_json_option
@_sandbox_option
@handle_errors
def list_(
    table: str,
    status: str | None,
    where: str | None,
    limit: int | None,
    as_json: bool,
    sandbox: bool,
) -> None:
    """List the rows of TABLE, oldest first.

    EXPR is a boolean expression over the item's fields and the row's metadata
    (id, status, narrative, run_id, act, model, created_at, updated_at, message_id):
    =, !=, <, <=, >, >=, [NOT] IN (...), [NOT] LIKE '...', IS [NOT] NULL, AND, OR, NOT.

    \b
    Examples:
      narrator content list posts
      narrator content list posts --status approved --limit 10
      narrator content list posts --where "score >= 7 AND title LIKE '%Rust%'"
      narrator content list posts --json | jq '.[].fields.title'
    """
    from narrator.content.model import row_record
    from narrator.content_ops import list_rows

    with _open(sandbox) as db:
        rows = list_rows(
            db.content, table, status=status, where=where, limit=limit, database=_label(sandbox)
        )
    if as_json:
        emit_json([_row_json(r, row_record) for r in rows])
        return
    if not rows:
        which = f" with status {status!r}" if status else ""
        which += f" where {where}" if where else ""
        click.echo(f"no rows in table {table!r}{which} in {_label(sandbox)}", err=True)
        return
    cells = [(str(r.id), _status_cell(r), _preview(r, 70)) for r in rows]
    plain = [f"{r.id}  {_status_cell(r)}  {_preview(r)}" for r in rows]
    print_table(("id", "status", "fields"), cells, plain, styles=("cyan",), right=(0,))


@content.command("show")
@click.argument("table")
@click.argument("row_id", metavar="ID", type=int)
@_json_option
@_sandbox_option
@handle_errors
def show(table: str, row_id: int, as_json: bool, sandbox: bool) -> None:
    """Show row ID of TABLE: its fields and where it came from.

    \b
    Examples:
      narrator content show posts 7
      narrator content show posts 7 --json
    """
    from narrator.cli.content_review import row_lines
    from narrator.content.model import row_record
    from narrator.content_ops import get_row

    with _open(sandbox) as db:
        row = get_row(db.content, table, row_id, database=_label(sandbox))
    if as_json:
        emit_json(_row_json(row, row_record))
        return
    click.echo("\n".join(row_lines(row)))


def _set_status(table: str, ids: tuple[int, ...], status: str, sandbox: bool) -> None:
    from narrator.content_ops import set_status

    with _open(sandbox) as db:
        count = set_status(db.content, table, ids, status, database=_label(sandbox))
    shown = ", ".join(str(i) for i in dict.fromkeys(ids))
    click.echo(f"{status} {count} row{'s' if count != 1 else ''} of {table} ({shown})")


@content.command("approve")
@click.argument("table")
@click.argument("ids", metavar="ID...", type=int, nargs=-1, required=True)
@_sandbox_option
@handle_errors
def approve(table: str, ids: tuple[int, ...], sandbox: bool) -> None:
    """Mark rows of TABLE approved.

    Every ID named must exist, or nothing changes.

    \b
    Examples:
      narrator content approve posts 4
      narrator content approve posts 4 7 9
    """
    from narrator.content_ops import APPROVED

    _set_status(table, ids, APPROVED, sandbox)


@content.command("reject")
@click.argument("table")
@click.argument("ids", metavar="ID...", type=int, nargs=-1, required=True)
@_sandbox_option
@handle_errors
def reject(table: str, ids: tuple[int, ...], sandbox: bool) -> None:
    """Mark rows of TABLE rejected.

    Every ID named must exist, or nothing changes.

    \b
    Examples:
      narrator content reject posts 5 6
    """
    from narrator.content_ops import REJECTED

    _set_status(table, ids, REJECTED, sandbox)


@content.command("edit")
@click.argument("table")
@click.argument("row_id", metavar="ID", type=int)
@_sandbox_option
@handle_errors
def edit(table: str, row_id: int, sandbox: bool) -> None:
    """Edit row ID's fields as JSON in $VISUAL or $EDITOR.

    Saved only when the JSON is valid and changed; invalid JSON says where and
    asks to edit again or keep the original. Status and provenance stay.

    \b
    Examples:
      narrator content edit posts 7
      EDITOR=nano narrator content edit posts 7
    """
    from narrator.cli.content_review import Keys, edit_fields
    from narrator.content_ops import get_row

    with _open(sandbox) as db:
        row = get_row(db.content, table, row_id, database=_label(sandbox))
        fields = edit_fields(row, Keys())
        if fields is None:
            click.echo(f"row {row_id} of {table} unchanged")
            return
        db.content.replace_fields(table, row_id, fields)
    click.echo(f"saved row {row_id} of {table}")


@content.command("review")
@click.argument("table")
@click.option(
    "--status",
    default="pending",
    show_default=True,
    metavar="S",
    help="Review rows with this status ('' for every row).",
)
@click.option(
    "--where", "where", default=None, metavar="EXPR", help="Only rows for which EXPR holds."
)
@_sandbox_option
@handle_errors
def review(table: str, status: str, where: str | None, sandbox: bool) -> None:
    """Review TABLE's rows one at a time, keyboard driven.

    Approve, reject, edit or skip each row in turn.

    \b
    Keys: a approve · r reject · e edit ($VISUAL/$EDITOR) · s/n/space/Enter/→ next
          p/← previous · q quit · ? help
    On a terminal each key acts at once (over SSH too); from a pipe, one key per
    line. A summary line ends the review.

    \b
    Examples:
      narrator content review posts
      narrator content review posts --status rejected
      printf 'a\\nr\\nq\\n' | narrator content review posts
    """
    from narrator.cli.content_review import Keys, run_review
    from narrator.content_ops import Review, require_table, selection

    chosen = status or None
    condition = selection(chosen, where)
    with _open(sandbox) as db:
        summary = require_table(db.content, table, database=_label(sandbox))
        total = None if where else (summary.by_status.get(chosen, 0) if chosen else summary.rows)
        walk = Review(db.content, table, condition, total=total)
        try:
            run_review(walk, Keys())
        except KeyboardInterrupt:
            click.echo()
            click.echo(walk.tally().summary(table))
            sys.exit(130)
    click.echo(walk.tally().summary(table))


@content.command("export")
@click.argument("table", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE.")
@_sandbox_option
@handle_errors
def export(table: str | None, output: str | None, sandbox: bool) -> None:
    """Write the rows of TABLE (or of every table) as JSON lines.

    One object per row: table, id, status, provenance, times, content_hash,
    message_id and fields. `narrator content import` reads it back.

    \b
    Examples:
      narrator content export posts -o posts.jsonl
      narrator content export > everything.jsonl
    """
    from narrator.content_ops import export_lines

    count = 0
    with _open(sandbox) as db:
        lines = export_lines(db.content, table, database=_label(sandbox))
        if output is None:
            for line in lines:
                click.echo(line)
                count += 1
        else:
            try:
                with Path(output).open("w", encoding="utf-8") as out:
                    for line in lines:
                        out.write(line + "\n")
                        count += 1
            except OSError as exc:
                raise UsageError(f"cannot write {output}: {exc.strerror}") from None
    where = f" to {output}" if output else ""
    click.echo(f"exported {count} row{'s' if count != 1 else ''}{where}", err=True)


@content.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@_sandbox_option
@handle_errors
def import_(file: str, sandbox: bool) -> None:
    """Read rows from a JSON-lines FILE ('-': stdin) that export wrote.

    Rows get new ids in their tables; a row whose content the table already holds
    (same content hash) is skipped, so importing a file twice adds nothing.

    \b
    Examples:
      narrator content import posts.jsonl
      narrator content export posts | narrator --database sqlite:///other.db content import -
    """
    from narrator.content_ops import import_records, parse_import

    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"cannot read {file}: not UTF-8 text") from None
    records = parse_import(text, "<stdin>" if file == "-" else file)
    with _open(sandbox) as db:
        count = import_records(db.content, records)
    skipped = len(records) - count
    tail = f", skipped {skipped} already present" if skipped else ""
    click.echo(f"imported {count} row{'s' if count != 1 else ''}{tail}")


@content.command("release")
@click.argument("run_id", metavar="[RUN_ID]", required=False)
@click.option("--table", default=None, metavar="T", help="Only claims on rows of table T.")
@_json_option
@_sandbox_option
@handle_errors
def release(run_id: str | None, table: str | None, as_json: bool, sandbox: bool) -> None:
    """Give back the rows claimed by runs that no process runs any more.

    A run that takes rows (take = N, pull_and_delete) holds them until it ends;
    one that failed, was interrupted or abandoned keeps them for `narrator resume`.
    Without RUN_ID: every run holding claims whose owner is gone (or that is no
    longer in the journal) gives them back; a live run keeps its claims. With
    RUN_ID (or a unique prefix): that run only; refused while it runs.

    A row whose iteration may already have posted it (a platform command ran
    after the take) is not put back: it becomes 'taken', so nothing is posted
    twice.

    \b
    Examples:
      narrator content release
      narrator content release 0190c2a4e1f8
      narrator content release --table curated --sandbox
    """
    from narrator.content_release import release_claims

    with _open(sandbox) as db:
        found = release_claims(db.content, db.journal, run_id, table=table, sandbox=sandbox)
    if as_json:
        emit_json([_claims_json(c) for c in found])
        return
    if not found:
        scope = f" of table {table!r}" if table else ""
        whose = f"run {run_id} holds no claimed rows" if run_id else f"no claimed rows{scope}"
        click.echo(f"{whose} in {_label(sandbox)}", err=True)
        return
    for item in found:
        click.echo(_claims_line(item))


def _claims_json(item: RunClaims) -> dict[str, Any]:
    return {
        "run_id": item.run_id,
        "state": item.state,
        "rows": item.rows,
        "tables": list(item.tables),
        "live": item.live,
        "released": item.back,
        "taken": item.consumed,
        "owner": item.owner,
    }


def _claims_line(item: RunClaims) -> str:
    tables = ", ".join(item.tables)
    rows = f"{item.rows} row{'s' if item.rows != 1 else ''}"
    if item.live:
        why = "it runs" if item.state == "running" else "its owner's lease is live; try again later"
        return f"run {item.run_id} ({item.state}, {item.owner}): kept {rows} of {tables} — {why}"
    parts = [f"{item.back} back to the pool"]
    if item.consumed:
        parts.append(f"{item.consumed} taken (their iteration may have posted them)")
    return f"run {item.run_id} ({item.state}): released {rows} of {tables}: {', '.join(parts)}"
