"""A reference's value in a content ``where`` is one literal, through the real command
(issue 11 review): it can add no condition — not from inside a "quoted name", not past
a ' in an earlier quoted name — and inside a LIKE it is literal text, unless the
narrative wrote the wildcards around it. On SQLite; the LIKE also on PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.cli import Cli

ROWS = [
    {"title": "alpha", "a": 1, "it's": "x"},
    {"title": "50% off", "a": 2, "it's": "y"},
    {"title": "under_score", "a": 3, "it's": "z"},
]


def _seed(cli: Cli, db: tuple[str, ...] = ()) -> None:
    cli.write(
        "rows.jsonl", "".join(json.dumps({"table": "posts", "fields": r}) + "\n" for r in ROWS)
    )
    imported = cli(*db, "content", "import", "rows.jsonl")
    assert imported.code == 0, imported.err


def _statuses(cli: Cli, db: tuple[str, ...] = ()) -> dict[str, str]:
    listed = cli(*db, "content", "list", "posts", "--json")
    assert listed.code == 0, listed.err
    rows: list[dict[str, Any]] = listed.json()
    return {r["fields"]["title"]: r["status"] for r in rows}


def _update(where: str) -> str:
    return f"""[narrative]
name = "mark"

[[act]]
name = "mark"
[[act.input]]
type = "bot_command"
platform = "content"
command = "content.update"
[act.input.args]
table = "posts"
where = {json.dumps(where)}
status = "hit"
"""


def test_a_reference_inside_a_quoted_name_is_refused_at_load(cli: Cli) -> None:
    _seed(cli)
    cli.write("n.toml", _update('"${V}" = 1'))
    hostile = 'a" = 1 OR id IS NOT NULL OR "b'
    result = cli("run", "n.toml", "--var", f"V={hostile}")
    assert result.code != 0
    assert "n.toml:12:12:" in result.err and 'inside a "quoted name"' in result.err, result.err
    assert set(_statuses(cli).values()) == {"pending"}  # nothing was updated


def test_a_quote_in_an_earlier_quoted_name_does_not_free_the_value(cli: Cli) -> None:
    _seed(cli)
    cli.write("n.toml", _update("\"it's\" = '${V}'"))
    result = cli("run", "n.toml", "--var", "V=' OR id IS NOT NULL OR title = '")
    assert result.code == 0, result.err
    assert set(_statuses(cli).values()) == {"pending"}  # the value is one string: no row has it
    again = cli("run", "n.toml", "--var", "V=y")
    assert again.code == 0, again.err
    assert _statuses(cli) == {"alpha": "pending", "50% off": "hit", "under_score": "pending"}


def _like(cli: Cli, db: tuple[str, ...] = ()) -> None:
    """A value in a LIKE is literal text; wildcards written around it stay wildcards."""
    _seed(cli, db)
    cli.write("whole.toml", _update("title LIKE '${V}'"))
    for value in ("%", "_lpha", "under%"):
        result = cli(*db, "run", "whole.toml", "--var", f"V={value}")
        assert result.code == 0, result.err
    assert set(_statuses(cli, db).values()) == {"pending"}
    cli.write("around.toml", _update("title LIKE '%${V}%'"))
    result = cli(*db, "run", "around.toml", "--var", "V=0%")
    assert result.code == 0, result.err
    assert _statuses(cli, db) == {"alpha": "pending", "50% off": "hit", "under_score": "pending"}
    result = cli(*db, "run", "around.toml", "--var", "V=r_s")
    assert result.code == 0, result.err
    assert _statuses(cli, db)["under_score"] == "hit"
    assert _statuses(cli, db)["alpha"] == "pending"


def test_a_value_in_a_like_is_literal_text_on_sqlite(cli: Cli) -> None:
    _like(cli)


def test_a_value_in_a_like_is_literal_text_on_postgresql(cli: Cli, postgres_url: str) -> None:
    _like(cli, ("--database", postgres_url))
