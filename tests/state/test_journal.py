"""The run journal and blob store, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from narrator.protocols import ActRecord, RunJournal
from narrator.state import MemoryBlobs, open_database


def test_journal_implements_the_protocol(journal: Any) -> None:
    assert isinstance(journal, RunJournal)


def test_a_run_is_recorded_with_its_acts_in_order(journal: Any, clock: Any) -> None:
    journal.start_run("run-1", "welcome", "welcome.toml", {"vars": {"GUILD_ID": "1"}})
    started = clock.now()
    journal.record_act(ActRecord("run-1", 2, "publish", "running", started_at=started))
    journal.record_act(ActRecord("run-1", 1, "setup", "skipped", output={"id": "9"}))
    clock.advance(5)
    journal.record_act(
        ActRecord(
            "run-1",
            2,
            "publish",
            "done",
            output="sent",
            started_at=started,
            finished_at=clock.now(),
        )
    )
    journal.finish_run("run-1", "done", summary={"acts": 2})
    run = journal.get_run("run-1")
    assert (run.narrative, run.source, run.status, run.summary) == (
        "welcome",
        "welcome.toml",
        "done",
        {"acts": 2},
    )
    assert run.finished_at == clock.now()
    assert [(a.seq, a.name, a.status, a.output) for a in run.acts] == [
        (1, "setup", "skipped", {"id": "9"}),
        (2, "publish", "done", "sent"),
    ]
    assert run.acts[1].finished_at == clock.now()


def test_finish_run_keeps_the_summary_unless_given_and_records_the_error(journal: Any) -> None:
    journal.start_run("r", "n", "s", {"keep": True})
    journal.record_act(ActRecord("r", 1, "a", "failed", iteration=3, error="boom"))
    journal.finish_run("r", "failed", error="act 'a': boom")
    run = journal.get_run("r")
    assert (run.status, run.error, run.summary) == ("failed", "act 'a': boom", {"keep": True})
    assert run.acts[0].iteration == 3
    assert run.acts[0].error == "boom"


def test_record_acts_upserts_several_rows_together(journal: Any, clock: Any) -> None:
    """An act's row and the next act's `running` row (the engine sends them together)."""
    journal.start_run("run-2", "n", "n.toml", {})
    started = clock.now()
    journal.record_acts([ActRecord("run-2", 1, "one", "running", started_at=started)])
    journal.record_acts(
        [
            ActRecord("run-2", 1, "one", "done", output={"id": "1"}, started_at=started),
            ActRecord("run-2", 2, "two", "running", 3, started_at=started),
        ]
    )
    journal.record_acts([])
    acts = journal.get_run("run-2").acts
    assert [(a.seq, a.name, a.status, a.iteration, a.output) for a in acts] == [
        (1, "one", "done", None, {"id": "1"}),
        (2, "two", "running", 3, None),
    ]
    assert acts[1].started_at == started


def test_unknown_run_is_none(journal: Any) -> None:
    assert journal.get_run("nope") is None


def test_list_runs_is_newest_first_and_limited(journal: Any, clock: Any) -> None:
    for i in range(5):
        journal.start_run(f"run-{i}", "n", "s", {})
        clock.advance(1)
    assert [r.run_id for r in journal.list_runs(limit=3)] == ["run-4", "run-3", "run-2"]


def test_blobs_store_named_json_documents(sqlite_url: str) -> None:
    with open_database(sqlite_url) as db:
        assert db.blobs.get("guild") is None
        db.blobs.put("guild", {"channels": [{"id": "1", "name": "wélcome"}]})
        db.blobs.put("guild", {"channels": []})
    with open_database(sqlite_url) as db:
        assert db.blobs.get("guild") == {"channels": []}


def test_blobs_on_postgres(postgres_url: str) -> None:
    with open_database(postgres_url) as db:
        db.blobs.put("pg-guild", [1, None, "x"])
        assert db.blobs.get("pg-guild") == [1, None, "x"]


def test_memory_blobs_behave_alike() -> None:
    blobs = MemoryBlobs()
    assert blobs.get("x") is None
    blobs.put("x", {"a": (1,)})
    assert blobs.get("x") == {"a": [1]}


def test_an_act_keeps_its_rendered_input_upserted_with_its_output(journal: Any) -> None:
    journal.start_run("r", "n", "s", {})
    journal.record_act(ActRecord("r", 1, "post", "running"))
    given = [{"platform": "discord", "command": "messages.send", "args": {"content": "hé"}}]
    journal.record_act(ActRecord("r", 1, "post", "failed", error="boom", input=given))
    act = journal.get_run("r").acts[0]
    assert (act.status, act.error, act.input) == ("failed", "boom", given)


def test_the_act_input_migration_upgrades_and_downgrades(tmp_path: Any) -> None:
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config

    from narrator.state.migrate import migrations_dir

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'm.db'}")

    def columns() -> set[str]:
        return {c["name"] for c in sa.inspect(engine).get_columns("run_acts")}

    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(migrations_dir()))
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")
        assert "input" in {c["name"] for c in sa.inspect(conn).get_columns("run_acts")}
        command.downgrade(config, "0004")
        assert "input" not in {c["name"] for c in sa.inspect(conn).get_columns("run_acts")}
    assert "input" not in columns()
