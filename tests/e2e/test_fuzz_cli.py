"""``narrator validate`` on mutated narratives, each in its own process (issue 10).

A bounded version of ``benchmarks/fuzz.py`` (which runs 200 such processes):
every mutated file, including invalid UTF-8 from raw byte flips, gives exit 0,
or exit 2 with nothing but ``fuzz.toml:LINE:COL: message`` lines — no
traceback, no hang.
"""

from __future__ import annotations

import random
from pathlib import Path

from benchmarks.fuzz import SEEDS, mutate_bytes, validate_case


def test_validate_of_mutated_narratives_gives_ok_or_located_problems(tmp_path: Path) -> None:
    rng = random.Random(20)
    outcomes = []
    for i in range(20):
        dialect = sorted(SEEDS)[i % 2]
        data = mutate_bytes(rng, SEEDS[dialect])
        outcome = validate_case(data, tmp_path, timeout=60)
        assert outcome.kind in ("plan", "located"), (i, dialect, data[:200], outcome)
        outcomes.append(outcome.kind)
    assert "located" in outcomes
