from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import Cli
from tests.e2e.emulator import discord_cli, emulator

__all__ = ["cli", "discord_cli", "emulator"]  # fixtures


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """The narrator command, run in a fresh directory as a separate process."""
    return Cli(tmp_path)
