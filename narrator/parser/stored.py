"""Narratives kept as text: what ``narrator schedule add`` stores, and parsing it back.

A schedule must run exactly what was scheduled, on every machine that shares
the database — not whatever sits at the file's path on the worker's disk. So
``schedule add`` keeps a :class:`StoredNarrative`: the file's text, the text
of every nested file the parser read while loading it (Botticelli
``narrative = "inner"``, nested narratives of nested narratives), keyed by
their path relative to the scheduled file's directory (``inner.toml``,
``parts/x.toml``), and a SHA-256 hash over both.

* :func:`parse_stored` is pure: it parses the stored text and resolves every
  nested file from the stored copies, never from the disk.
* :func:`snapshot_file` reads a file from disk, parses it, and records the
  nested files the parse read (I/O, like :func:`narrator.parser.parse_file`).
* :func:`disk_drift` compares a stored narrative with the files on disk now.

Nested reads go through :func:`read_nested`, which the Botticelli dialect calls
instead of ``open``; a context variable decides whether it reads the disk,
records what it read, or answers from a stored mapping.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal

from narrator.errors import Location, NarrativeInvalid, Problem
from narrator.plan import Plan

__all__ = [
    "Drift",
    "StoredNarrative",
    "disk_drift",
    "narrative_hash",
    "parse_stored",
    "read_nested",
    "snapshot_file",
]

Drift = Literal["same", "changed", "missing"]
Reader = Callable[[str], str]

_reader: ContextVar[Reader | None] = ContextVar("narrator_nested_reader", default=None)


def _read_disk(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def read_nested(path: str) -> str:
    """The text of the nested narrative file at absolute ``path``.

    From the disk, unless a stored parse is under way (then from its mapping).
    Raises ``OSError`` or ``UnicodeDecodeError`` as ``open`` would.
    """
    reader = _reader.get()
    return _read_disk(path) if reader is None else reader(path)


@contextmanager
def _reading_with(reader: Reader) -> Iterator[None]:
    token = _reader.set(reader)
    try:
        yield
    finally:
        _reader.reset(token)


def narrative_hash(text: str, files: Mapping[str, str], narrative: str | None = None) -> str:
    """SHA-256 (hex) over a narrative's text and its nested files (and which narrative of a
    file with several runs), stable across machines."""
    document: dict[str, object] = {"text": text, "files": dict(files)}
    if narrative is not None:  # the hash of a file's only narrative stays what it was
        document["narrative"] = narrative
    payload = json.dumps(document, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredNarrative:
    """A narrative's text and its nested files (relative path → text), as scheduled, and
    which ``[narrative.NAME]`` of a file with several runs (None: its only one)."""

    text: str
    files: dict[str, str] = field(default_factory=dict)
    narrative: str | None = None

    @property
    def hash(self) -> str:
        return narrative_hash(self.text, self.files, self.narrative)


def _root(source: str) -> str:
    """The directory nested paths are relative to (a virtual one for a relative source)."""
    if os.path.isabs(source):
        return os.path.dirname(os.path.normpath(source))
    return os.path.join(os.sep, "stored-narrative")


def _key(root: str, full: str) -> str:
    return os.path.relpath(full, root).replace(os.sep, "/")


def parse_stored(
    text: str,
    files: Mapping[str, str],
    source: str,
    *,
    secrets: Collection[str] | None = None,
    missing: str = "was not stored with the schedule "
    "(run `narrator schedule refresh NAME` to store the files it reads now)",
    narrative: str | None = None,
) -> Plan:
    """Parse a stored narrative; nested files come from ``files``, never from the disk
    (one that is not there: "'KEY' " + ``missing``).

    ``source`` is the path the narrative was scheduled from: problems are
    located in it, and nested names resolve against its directory into the
    keys of ``files``. ``secrets`` and ``narrative`` (which ``[narrative.NAME]``) as for
    :func:`narrator.parser.parse`. Pure:
    the same arguments give the same plan on any machine.
    """
    from narrator.parser import _parse

    root = _root(source)
    stored = {key.replace(os.sep, "/"): value for key, value in files.items()}

    def reader(full: str) -> str:
        key = _key(root, full)
        if key not in stored:
            raise FileNotFoundError(errno.ENOENT, f"'{key}' {missing}")
        return stored[key]

    top = os.path.join(root, os.path.basename(source)) if not os.path.isabs(source) else source
    with _reading_with(reader):
        return _parse(
            text,
            source,
            base_dir=root,
            stack=(os.path.abspath(top),),
            secrets=secrets,
            narrative=narrative,
        )


def snapshot_file(
    path: str | os.PathLike[str],
    *,
    secrets: Collection[str] | None = None,
    narrative: str | None = None,
) -> tuple[Plan, StoredNarrative]:
    """Read and parse the narrative at ``path``; return its plan and what to store.

    The stored narrative holds the file's text and every nested file the parse
    read, so :func:`parse_stored` of it gives the same plan without the disk.
    Raises NarrativeInvalid (located, ending with the fix) when the file cannot
    be read or is invalid. ``narrative``: which ``[narrative.NAME]`` of a file with
    several (stored with it).
    """
    from narrator.parser import _parse

    source = os.path.abspath(os.fspath(path))
    try:
        text = _read_disk(source)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise NarrativeInvalid(
            [Problem(Location(source), f"cannot read narrative file: {reason}; check the path")]
        ) from None
    root = os.path.dirname(source)
    read: dict[str, str] = {}

    def reader(full: str) -> str:
        content = _read_disk(full)
        read[_key(root, full)] = content
        return content

    with _reading_with(reader):
        plan = _parse(
            text, source, base_dir=root, stack=(source,), secrets=secrets, narrative=narrative
        )
    return plan, StoredNarrative(text, dict(sorted(read.items())), narrative)


def disk_drift(path: str, stored: StoredNarrative) -> Drift:
    """Whether the files on disk now are what was stored: same, changed, or missing.

    ``missing`` when the narrative file or one of its stored nested files is
    gone (or unreadable); ``changed`` when any of their texts differs. The set
    of nested files is a function of the texts, so comparing the stored ones
    is enough.
    """
    root = os.path.dirname(os.path.abspath(path))
    try:
        if _read_disk(path) != stored.text:
            return "changed"
        for key, text in stored.files.items():
            if _read_disk(os.path.join(root, key)) != text:
                return "changed"
    except (OSError, UnicodeDecodeError):
        return "missing"
    return "same"
