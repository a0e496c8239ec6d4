"""``narrator db upgrade``: apply pending database migrations."""

from __future__ import annotations

import click

from narrator.cli.common import get_globals, handle_errors


@click.group()
def db() -> None:
    """Database maintenance (migrations apply on first use; this forces them)."""


@db.command("upgrade")
@click.option("--sandbox", is_flag=True, help="Upgrade the sandbox database.")
@handle_errors
def upgrade(sandbox: bool) -> None:
    """Bring the database schema up to date."""
    from narrator.state import open_database

    url = get_globals().url(sandbox=sandbox)
    with open_database(url, migrate=False) as database:
        applied = database.upgrade()
    if applied:
        click.echo(f"applied {', '.join(applied)}")
    else:
        click.echo("database is up to date")
