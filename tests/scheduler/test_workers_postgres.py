"""Separate worker processes on one real PostgreSQL server, posting through the emulator."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime

from tests.scheduler.conftest import Deployment, wait_for

T0 = "2026-01-01T00:00:00+00:00"


def test_three_workers_run_each_of_200_due_slots_exactly_once(deployment: Deployment) -> None:
    """200 slots due at once (catch-up all, wall clock frozen by faketime); three workers compete.

    Every slot is claimed and run once: 200 slot rows, 200 distinct messages.
    """
    name = deployment.add("--every", "1s", "--catch-up", "all", now=T0)
    later = "2026-01-01T00:03:19.500000+00:00"  # slots at 0s, 1s, ..., 199s are due
    for _ in range(3):
        deployment.start_worker("--poll", "0.05", "--lease", "30", now=later)
    store = deployment.store()

    def all_done() -> bool:
        slots = store.slots(name)
        record = store.get(name)
        return (
            len(slots) == 200
            and all(s["status"] == "done" for s in slots)
            and record is not None
            and record.running_slot is None
        )

    wait_for(all_done, "200 slots to finish")
    for proc in deployment.procs:
        proc.send_signal(signal.SIGTERM)
    assert [proc.wait(timeout=60) for proc in deployment.procs] == [0, 0, 0], deployment.logs()

    slots = store.slots(name)
    assert len({s["scheduled_for"] for s in slots}) == 200
    assert all(s["attempts"] == 1 for s in slots)
    contents = [m["content"] for m in deployment.messages()]
    assert len(contents) == 200
    assert len(set(contents)) == 200
    workers = {s["worker_id"] for s in slots}
    print(f"slots per worker: { {w: sum(s['worker_id'] == w for s in slots) for w in workers} }")
    record = store.get(name)
    assert record is not None and record.last_status == "done"


def test_a_slot_whose_worker_was_killed_is_finished_by_another_and_posts_once(
    deployment: Deployment,
) -> None:
    """SIGKILL mid-slot (after the message POST, before the run is recorded); after the
    lease expires a second worker resumes the run with the slot's idempotency key: the
    channel holds the message once."""
    # The message is created, then the answer is a 429 asking to wait 40 s: the worker
    # sits inside the 'post' act, message already posted, when it is killed.
    deployment.emu.inject("POST /channels/*/messages", status=429, retry_after=40, after=True)
    name = deployment.add("--every", "1h", "--catch-up", "latest")
    first = deployment.start_worker("--poll", "0.1", "--lease", "1", "--worker-id", "doomed")
    wait_for(lambda: len(deployment.messages()) == 1, "the first worker to post")
    time.sleep(0.3)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    store = deployment.store()
    [slot] = store.slots(name)
    assert (slot["status"], slot["worker_id"]) == ("running", "doomed")

    # `--once` runs what is due now: start it once the dead worker's lease has expired.
    wait_for(lambda: bool(store.due_work(datetime.now(UTC)).expired), "the lease to expire")
    second = deployment.start_worker("--once", "--lease", "5", "--worker-id", "rescuer")
    assert second.wait(timeout=120) == 0, deployment.logs()
    [slot] = store.slots(name)
    assert (slot["status"], slot["worker_id"], slot["attempts"]) == ("done", "rescuer", 2)
    assert len(deployment.messages()) == 1
    assert "resuming slot" in deployment.logs()


def test_sigterm_finishes_the_current_act_records_the_run_and_gives_the_slot_back(
    deployment: Deployment,
) -> None:
    """SIGTERM while the worker is inside an act: that act completes (its message posted once),
    the next act does not start, the run is recorded as interrupted and the worker exits 0;
    another worker then resumes the slot from the act that did not run."""
    text = (deployment.root / "post.toml").read_text(encoding="utf-8")
    text += """
[[act]]
name = "follow_up"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "{act.post.output.channel_id}"
content = "follow-up"
"""
    (deployment.root / "post.toml").write_text(text, encoding="utf-8")
    # the first send is stored, then answered 429 with a 3 s wait: the worker sits in 'post'
    deployment.emu.inject("POST /channels/*/messages", status=429, retry_after=3, after=True)
    name = deployment.add("--every", "1h", "--catch-up", "latest")
    worker = deployment.start_worker("--poll", "0.1", "--lease", "30", "--worker-id", "polite")
    wait_for(lambda: len(deployment.messages()) == 1, "the worker to post")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0, deployment.logs()
    assert [m["content"] for m in deployment.messages()] == [deployment.messages()[0]["content"]]
    assert "interrupted" in deployment.logs()
    store = deployment.store()
    [slot] = store.slots(name)
    assert slot["status"] != "done"

    rescuer = deployment.start_worker("--once", "--lease", "30", "--worker-id", "rescuer")
    assert rescuer.wait(timeout=120) == 0, deployment.logs()
    [slot] = store.slots(name)
    assert (slot["status"], slot["worker_id"]) == ("done", "rescuer")
    contents = sorted(m["content"] for m in deployment.messages())
    assert len(contents) == 2 and "follow-up" in contents
