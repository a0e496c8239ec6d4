"""Settling a run's claims (narrator.content.claims): which rows go back, which are consumed."""

from __future__ import annotations

from typing import Any

from narrator.content.claims import Claimant, ClaimCount, parse_claimant, settle
from narrator.protocols import ActRecord

RUN = "01a2b3c4d5e6f7a8b9c0"
SEND = {"platform": "discord", "command": "messages.send", "args": {"content": "hi"}}
MARK = {"platform": "content", "command": "content.update", "args": {"table": "posts"}}


def act(seq: int, name: str, status: Any, iteration: int | None, command: Any = None) -> ActRecord:
    return ActRecord(RUN, seq, name, status, iteration, input=command)


def iteration(first: int, it: int | None, send: str, mark: str) -> list[ActRecord]:
    """channel → pick (take) → send → mark, as a posting carousel journals them."""
    return [
        act(first, "channel", "done", it, {"platform": "discord", "command": "channels.ensure"}),
        act(first + 1, "pick", "done", it, {"table": "posts", "where": None, "rows": 1}),
        act(first + 2, "send", send, it, SEND if send != "failed-early" else None),
        act(first + 3, "mark", mark, it, MARK),
    ]


def test_claimants_are_split_into_run_act_and_iteration() -> None:
    assert parse_claimant(f"{RUN}/pick/3") == Claimant(RUN, "pick", 3)
    assert parse_claimant(f"{RUN}/pick/0/1") == Claimant(RUN, "pick", 0)
    assert parse_claimant(f"{RUN}/pick") is None
    assert parse_claimant("nonsense") is None
    assert parse_claimant("/pick/1") is None
    assert ClaimCount(f"{RUN}/pick/2", "posts", 1).run_id == RUN


def test_a_nested_narratives_claim_is_matched_to_its_own_instances_acts() -> None:
    # an act of a nested narrative claims and is journalled as OUTER.ITER>ACT (with no
    # iteration): the channels.ensure before its pick still does not count as a send, and
    # another instance's send (post.1>…) is not this instance's
    nested = f"{RUN}/post.2>pick/0"
    assert parse_claimant(nested) == Claimant(RUN, "post.2>pick", 0)

    def instance(first: int, prefix: str, send: str, mark: str) -> list[ActRecord]:
        acts = iteration(first, None, send, mark)
        return [act(a.seq, prefix + a.name, a.status, None, a.input) for a in acts]

    earlier = instance(1, "post.1>", "done", "done")  # the first turn's instance posted
    assert settle(
        [nested], earlier + instance(5, "post.2>", "failed", "skipped"), finished=False
    ).back == [nested]
    sent = earlier + instance(5, "post.2>", "done", "failed")
    assert settle([nested], sent, finished=False).consumed == [nested]


def test_a_finished_run_consumes_the_claims_of_its_good_iterations() -> None:
    acts = iteration(1, 1, "done", "done") + iteration(5, 2, "done", "done")
    out = settle([f"{RUN}/pick/1", f"{RUN}/pick/2"], acts, finished=True)
    assert out.back == [] and out.consumed == [f"{RUN}/pick/1", f"{RUN}/pick/2"]


def test_a_failed_iteration_that_sent_nothing_gives_its_row_back() -> None:
    # iteration 2's send failed (continue_on_error): its row was never posted
    acts = iteration(1, 1, "done", "done") + iteration(5, 2, "failed", "skipped")
    out = settle([f"{RUN}/pick/1", f"{RUN}/pick/2"], acts, finished=True)
    assert out.back == [f"{RUN}/pick/2"]
    assert out.consumed == [f"{RUN}/pick/1"]


def test_a_failed_iteration_that_sent_keeps_its_row_taken() -> None:
    # the send succeeded, the marking failed: putting the row back would post it twice
    acts = iteration(1, 1, "done", "failed")
    assert settle([f"{RUN}/pick/1"], acts, finished=True).consumed == [f"{RUN}/pick/1"]
    assert settle([f"{RUN}/pick/1"], acts, finished=False).consumed == [f"{RUN}/pick/1"]


def test_a_send_cut_off_mid_way_counts_as_maybe_sent() -> None:
    acts = iteration(1, 1, "running", "running")[:3]
    out = settle([f"{RUN}/pick/1"], acts, finished=False)
    assert out.consumed == [f"{RUN}/pick/1"] and out.back == []


def test_a_reference_failure_before_the_send_gives_the_row_back() -> None:
    # the command's arguments never rendered: no input journaled, nothing sent
    acts = iteration(1, 1, "failed-early", "skipped")
    acts[2] = act(3, "send", "failed", 1)
    out = settle([f"{RUN}/pick/1"], acts, finished=False)
    assert out.back == [f"{RUN}/pick/1"]


def test_a_command_before_the_take_does_not_count() -> None:
    # channels.ensure ran before the pick: it posted nothing of the row
    acts = iteration(1, 1, "failed", "skipped")
    assert settle([f"{RUN}/pick/1"], acts, finished=False).back == [f"{RUN}/pick/1"]


def test_a_failure_repaired_by_resume_does_not_give_the_row_back() -> None:
    # a take act failed in the first attempt and succeeded when resumed (later seq)
    acts = [
        act(1, "pick", "done", None, {"table": "ideas"}),
        act(2, "think", "failed", None, {"prompt": "..."}),
        act(3, "think", "done", None, {"prompt": "..."}),
    ]
    assert settle([f"{RUN}/pick/0"], acts, finished=True).consumed == [f"{RUN}/pick/0"]


def test_without_a_journal_every_claim_of_an_unfinished_run_goes_back() -> None:
    out = settle([f"{RUN}/pick/1", f"{RUN}/pick/1", "odd"], [], finished=False)
    assert out.back == [f"{RUN}/pick/1", "odd"] and out.consumed == []
