"""Budgets: pure decisions, short windows, and daily ledgers that hold across processes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from narrator.budget import (
    Budget,
    MemoryLedger,
    Stop,
    UsageRow,
    Wait,
    Windows,
    daily_stop,
    day_of,
    decide_window,
    estimate_reservation,
    next_reset,
    scale,
)
from narrator.config import ModelProfile
from narrator.protocols import Message, ModelRequest
from narrator.state import open_database
from narrator.state.ledger import UsageLedger

NOON = datetime(2025, 1, 15, 12, 0, 10, tzinfo=UTC)


def test_budget_multiplier_scales_every_limit_down_but_not_to_zero() -> None:
    """m scales rpm/tpm/rpd/tpd, rounding down, at least 1; None stays unlimited."""
    profile = ModelProfile(rpm=60, tpm=1000, rpd=5, tpd=None)
    budget = Budget.of(profile, 0.5)
    assert (budget.rpm, budget.tpm, budget.rpd, budget.tpd) == (30, 500, 2, None)
    assert scale(1, 0.1) == 1
    with pytest.raises(ValueError):
        scale(10, 1.5)


def test_reservation_is_prompt_estimate_plus_max_tokens() -> None:
    """Reserved before sending: ~chars/4 + 4 per message + max_tokens (512 when unset)."""
    req = ModelRequest("p", "", (Message("user", "x" * 400),), max_tokens=100)
    assert estimate_reservation(req) == 100 + 4 + 100
    assert estimate_reservation(ModelRequest("p", "", (Message("user", "abcd"),))) == 1 + 4 + 512


def test_short_window_waits_when_the_wait_fits_in_max_wait() -> None:
    """A 30 s wait with max_wait 120 s: wait, and say so."""
    decision = decide_window("default", "rpm", 30.0, 0.0, 120.0, NOON)
    assert isinstance(decision, Wait)
    assert decision.seconds == 30.0
    assert "rpm window full, waiting 30.0 s" in decision.message


def test_short_window_stops_when_total_wait_exceeds_max_wait() -> None:
    """Already waited 100 s and needing 30 more, with max_wait 120: stop until HH:MM UTC."""
    decision = decide_window("default", "tpm", 30.0, 100.0, 120.0, NOON)
    assert isinstance(decision, Stop)
    assert decision.message.startswith("budget exhausted until 12:01 UTC")
    assert "max_wait = 120 s" in decision.message


def test_daily_stop_names_the_limit_and_resets_at_midnight_utc() -> None:
    """A refused daily reservation stops until 00:00 UTC, naming rpd or tpd."""
    stop = daily_stop("default", Budget(rpd=5), UsageRow("default", "2025-01-15", 5), 10, NOON)
    assert stop.until == next_reset(NOON) == datetime(2025, 1, 16, tzinfo=UTC)
    assert stop.message.startswith("budget exhausted until 00:00 UTC")
    assert "rpd = 5" in stop.message
    stop = daily_stop("p", Budget(tpd=100), UsageRow("p", "d", 1, 50, 40), 20, NOON)
    assert "tpd = 100" in stop.message and "90 used" in stop.message


def test_windows_take_both_rpm_and_tpm_or_nothing() -> None:
    """rpm=2: two calls pass, the third is told to wait less than the window."""
    windows = Windows(window=60)
    budget = Budget(rpm=2, tpm=1000)
    assert windows.acquire("p", budget, 100) is None
    assert windows.acquire("p", budget, 100) is None
    full = windows.acquire("p", budget, 100)
    assert full is not None and full[0] == "rpm" and 0 < full[1] <= 60
    assert windows.acquire("other", budget, 100) is None  # profiles are independent
    tight = Budget(tpm=150)
    assert windows.acquire("q", tight, 100) is None
    blocked = windows.acquire("q", tight, 100)
    assert blocked is not None and blocked[0] == "tpm"
    assert windows.acquire("r", tight, 151) == ("tpm", float("inf"))


def test_memory_ledger_reserve_settle_refund() -> None:
    """Reserve counts a request and its estimate; settle swaps in actual usage; refund undoes."""
    ledger = MemoryLedger()
    assert ledger.reserve("p", "d", 100, rpd=2, tpd=1000)
    ledger.settle("p", "d", 100, 30, 20)
    assert ledger.usage("p", "d") == UsageRow("p", "d", 1, 30, 20, 0)
    assert ledger.reserve("p", "d", 100, rpd=2, tpd=1000)
    assert not ledger.reserve("p", "d", 100, rpd=2, tpd=1000)
    ledger.refund("p", "d", 100)
    assert ledger.usage("p", "d") == UsageRow("p", "d", 1, 30, 20, 0)
    assert not ledger.reserve("p", "d", 951, rpd=None, tpd=1000)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'narrator.db'}"


def test_sql_ledger_matches_memory_semantics(db_url: str) -> None:
    """The database ledger reserves, settles, refunds and totals like the memory one."""
    database = open_database(db_url)
    ledger = database.ledger
    assert ledger.reserve("p", "2025-01-15", 100, rpd=2, tpd=None)
    ledger.settle("p", "2025-01-15", 100, 30, 20)
    assert ledger.reserve("p", "2025-01-15", 100, rpd=2, tpd=None)
    assert not ledger.reserve("p", "2025-01-15", 100, rpd=2, tpd=None)
    ledger.refund("p", "2025-01-15", 100)
    assert ledger.reserve("q", "2025-01-16", 5, rpd=None, tpd=10)
    assert not ledger.reserve("q", "2025-01-16", 6, rpd=None, tpd=10)
    assert ledger.usage("p", "2025-01-15") == UsageRow("p", "2025-01-15", 1, 30, 20, 0)
    assert [r.profile for r in ledger.totals()] == ["p", "q"]
    assert [r.day for r in ledger.totals(since_day="2025-01-16")] == ["2025-01-16"]
    assert ledger.totals(profile="nobody") == []
    database.close()


def test_two_databases_on_one_file_never_overspend(db_url: str) -> None:
    """Two separately opened databases, 8 threads, 80 attempts, rpd=20: exactly 20 succeed."""
    databases = [open_database(db_url), open_database(db_url)]
    ledgers = [d.ledger for d in databases]
    wins: list[bool] = []
    lock = threading.Lock()

    def spend(ledger: UsageLedger) -> None:
        for _ in range(10):
            ok = ledger.reserve("default", "2025-01-15", 10, rpd=20, tpd=None)
            with lock:
                wins.append(ok)

    threads = [threading.Thread(target=spend, args=(ledgers[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins.count(True) == 20
    assert ledgers[0].usage("default", "2025-01-15").requests == 20
    for d in databases:
        d.close()


SPENDER = textwrap.dedent(
    """
    import asyncio, json, sys
    from narrator.config import parse_config
    from narrator.errors import BudgetExhausted
    from narrator.protocols import Message, ModelRequest
    from narrator.providers import ModelRouter
    from narrator.state import open_database

    url, base_url, barrier = sys.argv[1], sys.argv[2], sys.argv[3]
    config = parse_config({"models": {"default": {"provider": "openai", "base_url": base_url,
                                                   "model": "local", "rpd": 5}}})
    database = open_database(url)

    async def main():
        router = ModelRouter(config, ledger=database.ledger, environ={})
        done, stopped = 0, []
        import os, time
        while not os.path.exists(barrier):
            time.sleep(0.01)
        for i in range(5):
            try:
                await router.complete(ModelRequest("default", "", (Message("user", f"hi {i}"),),
                                                   max_tokens=10))
                done += 1
            except BudgetExhausted as exc:
                stopped.append(str(exc))
        await router.aclose()
        print(json.dumps({"done": done, "stopped": stopped}))

    asyncio.run(main())
    """
)


def test_rpd_holds_across_two_processes(tmp_path: Path, db_url: str) -> None:
    """rpd = 5, two processes each trying 5 calls at once on one SQLite file: 5 calls in all."""
    try:
        from tests.providers.openai_server import running_server
    except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
        from providers.openai_server import running_server  # type: ignore[no-redef,import-not-found]

    open_database(db_url).close()  # migrate once up front
    barrier = tmp_path / "go"
    with running_server() as server:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", SPENDER, db_url, server.base_url, str(barrier)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        barrier.write_text("go")
        outputs = []
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            outputs.append(json.loads(out))
        calls = len(server.completions())
    assert calls == 5
    assert sum(o["done"] for o in outputs) == 5
    stops = [s for o in outputs for s in o["stopped"]]
    assert len(stops) == 5
    assert all("budget exhausted until 00:00 UTC" in s for s in stops)
    database = open_database(db_url)
    today = day_of(datetime.now(UTC))
    assert database.ledger.usage("default", today).requests == 5
    database.close()
