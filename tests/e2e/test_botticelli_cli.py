"""Real Botticelli narratives (the shared conformance corpus) run through the CLI in the sandbox."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli import Cli

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "botticelli"
SANDBOX_GUILD = "100000000000000001"


def test_corpus_is_beside_the_repository() -> None:
    """CI clones the repository with shared/ beside it; these tests read the real files there."""
    assert (CORPUS / "state_test_create.toml").is_file(), f"missing {CORPUS}"


def test_botticelli_id_capture_carries_state_across_two_narratives(cli: Cli) -> None:
    """state_test_create makes a channel; state_test_use sends to it through ${state:id}."""
    var = f"TEST_GUILD_ID={SANDBOX_GUILD}"
    created = cli(
        "run", "--sandbox", str(CORPUS / "state_test_create.toml"), "--var", var, "--json"
    )
    assert created.code == 0, created.err
    channel = created.json()["acts"][0]["output"]
    assert channel["name"] == "botticelli-state-test"

    used = cli("run", "--sandbox", str(CORPUS / "state_test_use.toml"), "--var", var, "--json")
    assert used.code == 0, used.err
    message = used.json()["acts"][0]["output"]
    assert message["channel_id"] == channel["id"]
    assert message["content"] == "Test message using state-stored channel ID"

    listed = cli("state", "list", "--sandbox", "--prefix", f"discord.{SANDBOX_GUILD}.channel.")
    assert f"discord.{SANDBOX_GUILD}.channel.botticelli-state-test" in listed.out


def test_every_corpus_file_validates(cli: Cli) -> None:
    files = sorted(str(p) for p in CORPUS.glob("*.toml"))
    assert len(files) >= 5
    result = cli("validate", *files)
    assert result.code == 0, result.out + result.err
