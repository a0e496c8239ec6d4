"""``narrator state ...``: inspect and change persistent state (DESIGN §5).

Thin: each verb parses its arguments, calls the repository (or
:mod:`narrator.state.export`) and renders the answer.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from narrator.cli.common import emit_json, get_globals, handle_errors, render_value
from narrator.cli.console import print_table
from narrator.errors import StateError, UsageError

if TYPE_CHECKING:
    from narrator.state.database import Database

F = TypeVar("F", bound=Callable[..., Any])


def _sandbox_option(fn: F) -> F:
    return click.option(
        "--sandbox", is_flag=True, help="Use the sandbox database (what --sandbox runs wrote)."
    )(fn)


def _json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(fn)


def _open(sandbox: bool) -> Database:
    return get_globals().database(sandbox=sandbox)


def parse_cli_value(text: str) -> Any:
    """VALUE of ``state set``: JSON when it parses as JSON, otherwise the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text
    except RecursionError:
        raise UsageError(
            "VALUE is JSON nested too deeply to store",
            hint="store a flatter value (split it over several keys)",
        ) from None


def _filter_entries(
    entries: list[Any], prefix: str, narrative: str | None, internal: bool
) -> tuple[list[Any], int]:
    """Entries of ``narrative`` (when given), fingerprint keys left out unless ``internal``
    or the prefix asks for them; and how many fingerprint keys were left out."""
    from narrator.catalogue.keys import is_internal

    if narrative is not None:
        entries = [e for e in entries if e.metadata.get("narrative") == narrative]
    if internal or is_internal(prefix):
        return entries, 0
    shown = [e for e in entries if not is_internal(e.key)]
    return shown, len(entries) - len(shown)


def _entry_json(entry: Any) -> dict[str, Any]:
    return {
        "key": entry.key,
        "value": entry.value,
        "version": entry.version,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
        "expires_at": entry.expires_at,
        "metadata": dict(entry.metadata),
    }


@click.group()
def state() -> None:
    """Inspect and change persistent state.

    \b
    Keys are dotted: discord.GUILD.channel.NAME, narrative.NAME.KEY, global.KEY.
    """


@state.command("list")
@click.option("--prefix", default="", help="Only keys starting with this text.")
@click.option(
    "--narrative",
    "narrative",
    default=None,
    metavar="NAME",
    help="Only keys written by the narrative NAME (from each entry's metadata).",
)
@click.option(
    "--internal",
    is_flag=True,
    help="Also show narrator's fingerprint keys (discord.GUILD.spec.*), hidden by default.",
)
@_json_option
@_sandbox_option
@handle_errors
def list_(prefix: str, narrative: str | None, internal: bool, as_json: bool, sandbox: bool) -> None:
    """List keys and values (sorted by key).

    \b
    Examples:
      narrator state list --prefix discord.
      narrator state list --narrative community_setup
      narrator state list --internal
    """
    entries = get_globals().peek(lambda r: r.list_prefix(prefix), sandbox=sandbox)
    if entries is None:
        with _open(sandbox) as db:
            entries = db.state.list_prefix(prefix)
    entries, hidden = _filter_entries(entries, prefix, narrative, internal)
    if hidden:
        click.echo(
            f"{hidden} internal key{'s' if hidden != 1 else ''} hidden"
            " (discord.GUILD.spec.*; --internal shows them)",
            err=True,
        )
    if as_json:
        emit_json([_entry_json(e) for e in entries])
        return
    if not entries:
        under = f" under prefix {prefix!r}" if prefix else ""
        under += f" written by narrative {narrative!r}" if narrative else ""
        click.echo(f"no state{under} in {get_globals().where(sandbox=sandbox)}", err=True)
        return
    rows = [(e.key, render_value(e.value)) for e in entries]
    print_table(("key", "value"), rows, [f"{k} = {v}" for k, v in rows], styles=("cyan",))


@state.command("get")
@click.argument("key")
@_json_option
@_sandbox_option
@handle_errors
def get(key: str, as_json: bool, sandbox: bool) -> None:
    """Print the value at KEY (with --json: the whole entry)."""
    entry = get_globals().peek(lambda r: r.get_entry(key), sandbox=sandbox)
    if entry is None:  # not there (or no quick answer): the full path, and its hint
        with _open(sandbox) as db:
            entry = db.state.get_entry(key)
            if entry is None:
                from narrator.errors import did_you_mean

                parent = key.rpartition(".")[0]
                nearby = db.state.list_keys(parent + "." if parent else "", limit=500)
                raise StateError(
                    f"no state key {key!r}",
                    hint=did_you_mean(key, nearby) or "list keys with: narrator state list",
                )
    if as_json:
        emit_json(_entry_json(entry))
    else:
        click.echo(render_value(entry.value))


@state.command("set")
@click.argument("key")
@click.argument("value")
@click.option("--ttl", metavar="DURATION", help="Expire after this long (30s, 5m, 2h, 1d).")
@_sandbox_option
@handle_errors
def set_(key: str, value: str, ttl: str | None, sandbox: bool) -> None:
    """Store VALUE at KEY (VALUE is parsed as JSON when it is JSON)."""
    from narrator.durations import parse_duration

    seconds = parse_duration(ttl) if ttl is not None else None
    with _open(sandbox) as db:
        db.state.set(key, parse_cli_value(value), ttl=seconds, metadata={"source": "cli"})
    click.echo(f"set {key}")


@state.command("delete")
@click.argument("key")
@_sandbox_option
@handle_errors
def delete(key: str, sandbox: bool) -> None:
    """Remove KEY."""
    with _open(sandbox) as db:
        existed = db.state.delete(key)
    click.echo(f"deleted {key}" if existed else f"{key} did not exist")


@state.command("clear")
@click.option("--prefix", required=True, help="Remove every key starting with this ('' = all).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_sandbox_option
@handle_errors
def clear(prefix: str, yes: bool, sandbox: bool) -> None:
    """Remove every key under --prefix (asks first unless --yes)."""
    with _open(sandbox) as db:
        count = db.state.key_count(prefix)
        what = f"{count} key(s) under prefix {prefix!r}" if prefix else f"ALL {count} key(s)"
        if count and not yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    f"refusing to remove {what} without confirmation",
                    hint="pass --yes to confirm (take a backup first: narrator state snapshot)",
                )
            click.confirm(f"Remove {what}?", abort=True)
        removed = db.state.clear_prefix(prefix)
    click.echo(f"removed {removed} key(s)")


@state.command("history")
@click.argument("key")
@click.option("--limit", type=int, default=None, help="Only the newest N changes.")
@_json_option
@_sandbox_option
@handle_errors
def history(key: str, limit: int | None, as_json: bool, sandbox: bool) -> None:
    """Show the recorded changes of KEY, newest first."""
    with _open(sandbox) as db:
        changes = db.state.history(key, limit=limit)
    if as_json:
        emit_json(
            [
                {
                    "id": h.id,
                    "op": h.op,
                    "before": h.before,
                    "after": h.after,
                    "changed_at": h.changed_at,
                    "run_id": h.run_id,
                    "act": h.act,
                }
                for h in changes
            ]
        )
        return
    if not changes:
        click.echo(f"no recorded changes of {key!r}", err=True)
        return
    for h in changes:
        who = " ".join(
            p for p in (f"run={h.run_id}" if h.run_id else "", f"act={h.act}" if h.act else "") if p
        )
        if h.op == "delete":
            change = f"deleted (was {render_value(h.before)})"
        elif h.op == "create":
            change = f"created = {render_value(h.after)}"
        else:
            change = f"{render_value(h.before)} -> {render_value(h.after)}"
        click.echo(f"{h.changed_at.isoformat(timespec='seconds')}  {change}  {who}".rstrip())


@state.command("snapshot")
@click.option("--prefix", default="", help="Only keys starting with this text.")
@click.option("--note", default=None, help="A note to remember it by.")
@_sandbox_option
@handle_errors
def snapshot(prefix: str, note: str | None, sandbox: bool) -> None:
    """Save a copy of the state (under --prefix); prints the snapshot id."""
    with _open(sandbox) as db:
        snap_id = db.state.snapshot(prefix, note)
        count = next((s.key_count for s in db.state.snapshots() if s.id == snap_id), 0)
    click.echo(f"snapshot {snap_id}: {count} key(s)")


@state.command("snapshots")
@_json_option
@_sandbox_option
@handle_errors
def snapshots(as_json: bool, sandbox: bool) -> None:
    """List snapshots, newest first."""
    with _open(sandbox) as db:
        found = db.state.snapshots()
    if as_json:
        emit_json(
            [
                {
                    "id": s.id,
                    "prefix": s.prefix,
                    "note": s.note,
                    "created_at": s.created_at,
                    "key_count": s.key_count,
                }
                for s in found
            ]
        )
        return
    if not found:
        click.echo("no snapshots (take one with: narrator state snapshot)", err=True)
    for s in found:
        prefix = f"prefix {s.prefix!r}" if s.prefix else "all keys"
        note = f"  {s.note}" if s.note else ""
        stamp = s.created_at.isoformat(timespec="seconds")
        click.echo(f"{s.id}  {stamp}  {s.key_count} key(s), {prefix}{note}")


@state.command("restore")
@click.argument("snapshot_id", metavar="ID", type=int)
@_sandbox_option
@handle_errors
def restore(snapshot_id: int, sandbox: bool) -> None:
    """Put the keys of snapshot ID back, atomically (all of them or none)."""
    with _open(sandbox) as db:
        count = db.state.restore(snapshot_id)
    click.echo(f"restored snapshot {snapshot_id}: {count} key(s)")


@state.command("export")
@click.option("--prefix", default="", help="Only keys starting with this text.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["toml", "jsonl"]),
    default="toml",
    show_default=True,
    help="TOML to read and edit; JSON lines for very large stores (import reads both).",
)
@_sandbox_option
@handle_errors
def export(prefix: str, output: str | None, fmt: str, sandbox: bool) -> None:
    """Write the state (under --prefix) to stdout or -o FILE.

    \b
    narrator state export -o backup.toml
    narrator state export --prefix discord. --format jsonl -o discord.jsonl
    """
    from narrator.state.export import write_jsonl, write_toml

    write = write_jsonl if fmt == "jsonl" else write_toml
    with _open(sandbox) as db:
        entries = db.state.list_prefix(prefix)
    if output is None:
        write(entries, sys.stdout, count=len(entries), prefix=prefix)
        return
    target = Path(output)
    partial = target.with_name(f".{target.name}.partial")
    try:  # written beside the target, then renamed: a crash never leaves half an export
        with partial.open("w", encoding="utf-8") as out:
            write(entries, out, count=len(entries), prefix=prefix)
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None
    click.echo(f"exported {len(entries)} key(s) to {output}", err=True)


@state.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@_sandbox_option
@handle_errors
def import_(file: str, sandbox: bool) -> None:
    """Read an export (TOML or JSON lines) back; keys in it are overwritten, others kept."""
    from narrator.state.export import import_toml

    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror}") from None
    entries = import_toml(text, file)
    with _open(sandbox) as db:
        count = db.state.import_entries(entries)
    click.echo(f"imported {count} key(s)")


@state.command("gc")
@_sandbox_option
@handle_errors
def gc(sandbox: bool) -> None:
    """Purge expired keys and history beyond [state.history] keep_last / keep_days."""
    from narrator.state.base import Retention

    policy = get_globals().config().state.history
    with _open(sandbox) as db:
        result = db.state.gc(Retention(keep_last=policy.keep_last, keep_days=policy.keep_days))
    click.echo(f"purged {result.expired} expired key(s), {result.history} history row(s)")
