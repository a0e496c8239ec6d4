from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import Cli


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """The narrator command, run in a fresh directory as a separate process."""
    return Cli(tmp_path)
