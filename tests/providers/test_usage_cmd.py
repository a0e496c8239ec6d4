"""``narrator usage``: spending by profile and day, through the real CLI runner."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from narrator.budget import day_of
from narrator.cli import cli
from narrator.config import sandbox_database_url
from narrator.state import open_database


def seed(url: str, rows: list[tuple[str, str, int, int]]) -> None:
    database = open_database(url)
    ledger = database.ledger
    for profile, day, prompt, completion in rows:
        assert ledger.reserve(profile, day, 100, rpd=None, tpd=None)
        ledger.settle(profile, day, 100, prompt, completion)
    database.close()


def setup(tmp_path: Path) -> tuple[str, str, str, str]:
    url = f"sqlite:///{tmp_path / 'narrator.db'}"
    config = tmp_path / "narrator.toml"
    config.write_text('[models.default]\nprovider = "openai"\nmodel = "m"\nrpd = 5\n')
    today = day_of(datetime.now(UTC))
    old = day_of(datetime.now(UTC) - timedelta(days=10))
    seed(
        url,
        [
            ("default", today, 30, 10),
            ("default", today, 20, 10),
            ("writer", today, 5, 5),
            ("default", old, 1, 1),
        ],
    )
    return url, str(config), today, old


def test_usage_json_lists_rows_totals_and_what_is_left_today(tmp_path: Path) -> None:
    """--json: one row per profile and day, totals, and rpd left today."""
    url, config, today, old = setup(tmp_path)
    result = CliRunner().invoke(cli, ["--config", config, "--database", url, "usage", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(r["day"], r["profile"], r["requests"]) for r in data["rows"]] == [
        (old, "default", 1),
        (today, "default", 2),
        (today, "writer", 1),
    ]
    assert data["rows"][1]["prompt_tokens"] == 50
    assert data["rows"][1]["completion_tokens"] == 20
    assert data["totals"]["requests"] == 4
    assert data["limits"]["default"]["requests_left"] == 3


def test_usage_filters_by_model_and_since(tmp_path: Path) -> None:
    """--model keeps one profile; --since 2d drops the 10-day-old row."""
    url, config, today, _ = setup(tmp_path)
    args = ["--config", config, "--database", url, "usage", "--model", "default", "--since", "2d"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["DAY", "PROFILE", "REQUESTS", "PROMPT", "COMPLETION", "TOTAL"]
    assert lines[1].split() == [today, "default", "2", "50", "20", "70"]
    assert len([line for line in lines if line.startswith(("2", "1"))]) == 1
    assert f"left today ({today}) for 'default': 3 of 5 requests" in result.output


def test_usage_sandbox_reads_the_sandbox_database(tmp_path: Path) -> None:
    """--sandbox reads the sandbox database beside the real one, not the real ledger."""
    url, config, today, _ = setup(tmp_path)
    seed(sandbox_database_url(url), [("default", today, 7, 7)])
    result = CliRunner().invoke(
        cli, ["--config", config, "--database", url, "usage", "--sandbox", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    assert [(r["profile"], r["prompt_tokens"]) for r in rows] == [("default", 7)]


def test_usage_bad_since_is_a_usage_error(tmp_path: Path) -> None:
    """An unreadable --since exits 2 and says what a duration looks like."""
    url, config, _, _ = setup(tmp_path)
    result = CliRunner().invoke(
        cli, ["--config", config, "--database", url, "usage", "--since", "soon"]
    )
    assert result.exit_code == 2
    assert "30s, 5m" in result.output
