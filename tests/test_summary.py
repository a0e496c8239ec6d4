"""RunOutcome.summary(): the run's counts, a pure function over its acts (issue 15)."""

from __future__ import annotations

from narrator.cli.render import render_summary
from narrator.outcome import ActOutcome, RunOutcome, RunSummary, summarize
from narrator.protocols import Change


def test_counts_changes_of_acts_that_ran_and_acts_skipped_or_failed() -> None:
    acts = [
        ActOutcome("a", "done", changes=[Change("create", "role A"), Change("create", "role B")]),
        ActOutcome(
            "b", "done", changes=[Change("update", "channel #x"), Change("drift", "role C")]
        ),
        ActOutcome("c", "done", changes=[Change("unchanged", "channel #y")]),
        ActOutcome("d", "done", changes=[Change("send", "message m"), Change("delete", "c")]),
        ActOutcome("e", "done", changes=[Change("run", "members.ban")]),
        ActOutcome("f", "skipped"),
        ActOutcome("g", "failed", error="boom", changes=[Change("create", "never")]),
        ActOutcome("h", "done", "text", model_calls=2, tokens=120),
    ]
    summary = RunOutcome("r", "n", "failed", acts=acts).summary()
    assert summary == RunSummary(
        created=2,
        changed=2,
        deleted=1,
        unchanged=1,
        skipped=1,
        failed=1,
        messages_sent=1,
        model_calls=2,
        tokens=120,
    )
    assert summarize([]) == RunSummary()


def test_json_carries_summary_additively_and_plan_does_not() -> None:
    acts = [ActOutcome("a", "done", changes=[Change("unchanged", "role A")])]
    data = RunOutcome("r", "n", "done", acts=acts).to_json()
    assert data["summary"]["unchanged"] == 1
    assert list(data)[:4] == ["run_id", "narrative", "status", "acts"]
    assert "summary" not in RunOutcome("plan", "n", "done", acts=acts, dry_run=True).to_json()


def test_render_summary_line() -> None:
    assert (
        render_summary(RunSummary(created=3, changed=1, unchanged=12, skipped=2))
        == "3 created, 1 changed, 12 unchanged, 2 skipped, 0 failed"
    )
    line = render_summary(RunSummary(deleted=1, messages_sent=2, model_calls=1, tokens=1))
    assert line == (
        "0 created, 0 changed, 1 deleted, 0 unchanged, 0 skipped, 0 failed;"
        " 2 messages sent; 1 model call, 1 token"
    )


def test_is_internal_names_only_fingerprint_keys() -> None:
    from narrator.catalogue.keys import is_internal

    assert is_internal("discord.1.spec.role.Mods")
    assert is_internal("discord.1.spec.overwrite.2.3")
    assert is_internal("discord.1.spec")
    assert not is_internal("discord.1.role.spec")
    assert not is_internal("discord.1.channel.welcome")
    assert not is_internal("spec.discord.1")
    assert not is_internal("")
