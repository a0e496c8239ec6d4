"""A real PostgreSQL server for tests: the ``postgres_url`` fixture.

Load it from the top-level conftest with ``pytest_plugins = ["tests.postgres"]``.

``postgres_url`` (session scope) is the SQLAlchemy URL of a database created
for this test session:

* with ``NARRATOR_TEST_POSTGRES_URL`` set, on that server (a fresh database is
  created when the role may, otherwise the given database is used as is);
* otherwise on a throwaway cluster: ``initdb`` + ``pg_ctl`` on a free port in a
  temporary directory, run as the ``postgres`` OS user when the tests run as
  root, stopped and deleted at the end of the session.

When the server binaries are missing the fixture FAILS (it never skips) and
says how to install them: Debian/Ubuntu ``apt-get install -y postgresql``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ENV_URL = "NARRATOR_TEST_POSTGRES_URL"


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl (newest version first), or None."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayCluster:
    """A PostgreSQL cluster in a temporary directory, trusted on 127.0.0.1 only."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="narrator-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_user: str | None = "postgres" if os.geteuid() == 0 else None
        if self.as_user:
            shutil.chown(self.root, user=self.as_user)
            os.chmod(self.root, 0o700)

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_user:
            command = ["runuser", "-u", self.as_user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
            )

    def start(self) -> str:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _admin(url: str, sql: str) -> bool:
    """Run one statement in autocommit; False when the server refused it."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql)  # type: ignore[arg-type]
    except psycopg.Error:
        return False
    return True


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def reset_database(url: str) -> None:
    """Empty every narrator table of the database (keeps the schema): a clean slate per test."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename <> 'alembic_version'"
        ).fetchall()
        if rows:
            names = ", ".join(f'"{r[0]}"' for r in rows)
            conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a PostgreSQL database for this session (see the module docstring)."""
    given = os.environ.get(ENV_URL)
    name = f"narrator_test_{uuid.uuid4().hex[:10]}"
    if given:
        given = given.replace("postgresql://", "postgresql+psycopg://", 1)
        if _admin(given, f'CREATE DATABASE "{name}"'):
            yield _with_database(given, name)
            _admin(given, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            yield given
        return
    bindir = find_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found under "
            "/usr/lib/postgresql/*/bin or on PATH. Install them "
            "(Debian/Ubuntu: apt-get install -y postgresql) or point "
            f"{ENV_URL} at a server, e.g. postgresql+psycopg://user:pass@127.0.0.1/db",
            pytrace=False,
        )
    cluster = ThrowawayCluster(bindir)
    try:
        admin_url = cluster.start()
        deadline = time.monotonic() + 30
        while not _admin(admin_url, f'CREATE DATABASE "{name}"'):
            if time.monotonic() > deadline:
                pytest.fail(f"the throwaway PostgreSQL at {admin_url} did not accept connections")
            time.sleep(0.2)
        yield _with_database(admin_url, name)
    finally:
        cluster.stop()
