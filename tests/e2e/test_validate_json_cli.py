"""``narrator validate --json``: problems as objects a script can read (DESIGN §5)."""

from __future__ import annotations

from tests.e2e.cli import Cli

GOOD = """
[narrative]
name = "good"

[[act]]
name = "hello"
[[act.input]]
type = "text"
content = "hi"
"""

TYPO = """
[narrative]
name = "typo"

[[act]]
name = "a"
outptu_var = "y"
[[act.input]]
type = "text"
content = "hi"
"""


def test_validate_json_gives_path_line_column_message_and_hint_and_exits_2(cli: Cli) -> None:
    """A misspelt key comes back located, with the 'did you mean' as its own hint field."""
    cli.write("good.toml", GOOD)
    cli.write("typo.toml", TYPO)
    result = cli("validate", "--json", "good.toml", "typo.toml")
    assert result.code == 2, result.err
    data = result.json()
    assert data["files"] == [{"path": "good.toml", "ok": True}, {"path": "typo.toml", "ok": False}]
    assert data["problems"] == [
        {
            "path": "typo.toml",
            "line": 7,
            "column": 1,
            "message": "unknown key 'outptu_var' in act 'a'",
            "hint": "did you mean 'output_var'?",
        }
    ]


def test_validate_json_of_valid_files_is_an_empty_problem_list_and_exit_0(cli: Cli) -> None:
    """Valid files print no human 'ok' lines into the JSON and exit 0."""
    cli.write("good.toml", GOOD)
    result = cli("validate", "--json", "good.toml")
    assert result.code == 0, result.err
    assert result.json() == {"files": [{"path": "good.toml", "ok": True}], "problems": []}
