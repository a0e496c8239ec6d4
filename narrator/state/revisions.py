"""The shipped migrations: where they are and their head revisions, read without alembic.

No SQLAlchemy either: :mod:`narrator.state.migrate` compares these heads with the
database's on every open, and :mod:`narrator.state.peek` before it reads.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from narrator.errors import StateError

__all__ = ["CURRENT_REVISIONS_SQL", "head_revisions", "migrations_dir"]

CURRENT_REVISIONS_SQL = "SELECT version_num FROM alembic_version"


@cache
def migrations_dir() -> Path:
    """Where the Alembic environment ships: inside the package (``narrator/migrations``).

    Found from that package's own location, so a wheel, ``pip install --user`` or
    pipx install finds it exactly like a checkout does (alembic needs a directory on
    disk; :mod:`importlib.resources` would find the same one and cost ~5 ms at start-up).
    """
    import narrator.migrations as package

    path = Path(package.__file__).parent
    if not (path / "env.py").is_file() or not (path / "versions").is_dir():
        raise StateError(
            f"narrator's database migrations are missing from its installation ({path})",
            hint="reinstall narrator (pip install --force-reinstall narrator-workflows)",
        )
    return path


@cache
def head_revisions() -> frozenset[str]:
    """Head revision ids, read from the migration files with a regex (no alembic import)."""
    revisions: dict[str, tuple[str, ...]] = {}
    for path in migrations_dir().glob("versions/*.py"):
        source = path.read_text(encoding="utf-8")
        rev = re.search(r"^revision(?:\s*:\s*[^=]+)?\s*=\s*['\"]([^'\"]+)['\"]", source, re.M)
        down = re.search(r"^down_revision(?:\s*:\s*[^=]+)?\s*=\s*(.+)$", source, re.M)
        if rev is None:
            continue
        parents = tuple(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1))) if down else ()
        revisions[rev.group(1)] = parents
    referenced = {p for parents in revisions.values() for p in parents}
    return frozenset(set(revisions) - referenced)
