"""Workers on several machines: a worker whose disk lacks the file runs what was scheduled."""

from __future__ import annotations

import json
import subprocess

from tests.scheduler.conftest import Deployment


def test_a_worker_in_another_directory_without_the_file_runs_the_stored_text(
    deployment: Deployment,
) -> None:
    """PostgreSQL shared by two "machines": `schedule add` in one directory, the file then
    deleted there; a worker started in another directory (where no post.toml exists)
    posts the scheduled text through the emulator, and `schedule list` there says the
    file is missing on its disk."""
    post = deployment.root / "post.toml"
    post.write_text(
        post.read_text(encoding="utf-8").replace("slot ${NARRATOR_SLOT}", "scheduled version"),
        encoding="utf-8",
    )
    name = deployment.add("--every", "1h")
    post.unlink()
    elsewhere = deployment.root / "elsewhere"
    elsewhere.mkdir()

    def narrator(*rest: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            deployment.args(*rest),
            cwd=elsewhere,
            env=deployment.env(),
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )

    worker = narrator("worker", "--once")
    assert worker.returncode == 0, worker.stderr
    assert f"[{name} " in worker.stderr  # its slot ran here
    assert [m["content"] for m in deployment.messages()] == ["scheduled version"]
    assert not (elsewhere / "post.toml").exists()
    listed = narrator("schedule", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [record] = [r for r in json.loads(listed.stdout) if r["name"] == name]
    assert (record["stored"], record["on_disk"], record["last_status"]) == (True, "missing", "done")
