"""What a verb imports: a Discord-only run never loads the model providers, and SQLite
verbs never load SQLAlchemy's PostgreSQL dialect (issue 14: start-up time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_PROBE = """
import contextlib, io, json, sys
from narrator.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

DISCORD_ONLY = """
[narrative]
name = "setup"

[[act]]
name = "general"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "channels.ensure"
args = { name = "general" }
"""

MODEL = """
[narrative]
name = "hello"

[[act]]
name = "say"
[[act.input]]
type = "text"
content = "Say hello."
"""


def _probe(tmp_path: Path, *argv: str) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["code"], set(answer["modules"])


def test_a_discord_only_run_never_imports_the_model_providers(tmp_path: Path) -> None:
    (tmp_path / "setup.toml").write_text(DISCORD_ONLY, encoding="utf-8")
    code, modules = _probe(tmp_path, "run", "setup.toml", "--sandbox")  # creates the database
    assert code == 0
    assert "narrator.providers.router" not in modules and "httpx" not in modules
    code, modules = _probe(tmp_path, "run", "setup.toml", "--sandbox")  # an existing one
    assert code == 0
    assert "narrator.providers.router" not in modules and "httpx" not in modules
    assert "alembic" not in modules and "sqlalchemy.dialects.postgresql" not in modules


def test_a_model_run_builds_the_router_on_first_use(tmp_path: Path) -> None:
    (tmp_path / "hello.toml").write_text(MODEL, encoding="utf-8")
    code, modules = _probe(tmp_path, "run", "hello.toml", "--sandbox")
    assert code == 0
    assert "narrator.providers.router" in modules
