"""Bounded kill -9 trials through the real CLI (the full counts: benchmarks/reliability.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.emulator import EmulatorProcess
from tests.e2e.kill_trials import run_trials


@pytest.mark.parametrize(
    ("kind", "size"), [("send", 20), ("carousel", 12), ("ensure", 6), ("take", 8), ("nested", 10)]
)
def test_killed_runs_recover_with_nothing_missing_and_nothing_twice(
    emulator: EmulatorProcess, tmp_path: Path, kind: str, size: int
) -> None:
    """Three seeded SIGKILLs per kind, one recovery each (resume; ensure: run again).

    Discord keeps every declared message exactly once, in order, also when the
    emulator forgot its nonces before the recovery (the second trial); an
    ensure narrative's next run writes nothing; a posting carousel that takes content
    rows posts each row once and leaves every row ``posted`` with its message id.
    """
    figures = run_trials(emulator, kind, 3, size, seed=7, forget="alternate", root=tmp_path)
    assert figures.problems == []
    assert (figures.duplicates, figures.missing, figures.not_converged) == (0, 0, 0)
    assert figures.killed >= 2, "the kills landed while the run was going"
    assert figures.forgot_nonces == 1
