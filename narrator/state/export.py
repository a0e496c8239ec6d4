"""Export and import state as TOML, exactly round-tripping.

File layout::

    [export]
    format = 1
    prefix = "discord."
    exported_at = 2024-06-01T12:00:00.000001+00:00
    count = 2

    [[entry]]
    key = "discord.1.channel.welcome"
    value = "1234"
    version = 1
    created_at = 2024-06-01T11:00:00.000001+00:00
    updated_at = 2024-06-01T11:00:00.000001+00:00
    metadata = { run_id = "r-1", act = "setup" }

The writer is a small streaming emitter (tomlkit's document model was superlinear: 58.7 s
for 100k keys) and the reader is the stdlib's ``tomllib``.

TOML has no null and its integers stop at 64 bits. A value (or metadata) that
holds a null or a larger integer anywhere is written as JSON text under
``value_json`` (``metadata_json``) instead, so every JSON value round-trips:
types, nesting, key order, unicode. Everything else is plain, readable TOML.
"""

from __future__ import annotations

import io
import json
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from json.scanner import make_scanner
from typing import Any, TextIO

from narrator.errors import NarratorError, UsageError
from narrator.protocols import JSON, StateEntry
from narrator.state.keys import validate_key

FORMAT = 1
_INT64 = (-(2**63), 2**63 - 1)
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")


def _toml_safe(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool | str):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int):
        return _INT64[0] <= value <= _INT64[1]
    if isinstance(value, list):
        return all(_toml_safe(v) for v in value)
    if isinstance(value, dict):
        return all(_toml_safe(v) for v in value.values())
    return False


def _string(text: str) -> str:
    """A TOML basic string. JSON's escapes are TOML's, except that TOML also forbids DEL."""
    quoted = json.dumps(text, ensure_ascii=False)
    return quoted.replace("\x7f", "\\u007F") if "\x7f" in text else quoted


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else _string(name)


def _toml(value: Any) -> str:
    """One TOML value on one line; nested tables inline, so an entry stays one block."""
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    items = ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items())
    return "{" + items + "}"


def _put(lines: list[str], name: str, value: JSON) -> None:
    if _toml_safe(value):
        lines.append(f"{name} = {_toml(value)}")
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        lines.append(f"{name}_json = {_string(text)}")


def _entry_lines(entry: StateEntry) -> str:
    lines = ["", "[[entry]]", f"key = {_string(entry.key)}"]
    _put(lines, "value", entry.value)
    lines.append(f"version = {entry.version}")
    lines.append(f"created_at = {entry.created_at.isoformat()}")
    lines.append(f"updated_at = {entry.updated_at.isoformat()}")
    if entry.expires_at is not None:
        lines.append(f"expires_at = {entry.expires_at.isoformat()}")
    if entry.metadata:
        _put(lines, "metadata", dict(entry.metadata))
    return "\n".join(lines) + "\n"


def write_toml(
    entries: Iterable[StateEntry],
    out: TextIO,
    *,
    count: int,
    prefix: str = "",
    now: datetime | None = None,
) -> int:
    """Stream the entries to ``out`` as TOML, one entry at a time (linear in the number
    of keys, constant memory beyond the entries themselves); returns how many."""
    out.write("# narrator state export — read back with: narrator state import FILE\n")
    out.write(f"[export]\nformat = {FORMAT}\nprefix = {_string(prefix)}\n")
    out.write(f"exported_at = {(now or datetime.now(UTC)).isoformat()}\ncount = {count}\n")
    written = 0
    for entry in entries:
        out.write(_entry_lines(entry))
        written += 1
    return written


def export_toml(
    entries: Iterable[StateEntry], *, prefix: str = "", now: datetime | None = None
) -> str:
    """The entries as a TOML document (see the module docstring)."""
    items = list(entries)
    buffer = io.StringIO()
    write_toml(items, buffer, count=len(items), prefix=prefix, now=now)
    return buffer.getvalue()


def _date(text: str) -> datetime | str:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return text  # _aware says "not a date-time"


def _aware(value: Any, key: str, field: str, source: str, *, iso_text: bool = False) -> datetime:
    """A date-time of an entry in UTC; ``iso_text``: JSON lines spell them as ISO text."""
    if iso_text and type(value) is str:
        value = _date(value)
    if type(value) is datetime and value.tzinfo is UTC:  # the common case, as exported
        return value
    if not isinstance(value, datetime):
        raise UsageError(
            f"{source}: entry {key!r}: {field} is not a date-time",
            hint="write it like 2024-06-01T12:00:00+00:00",
        )
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_JSON_NAMES = {"value": "value_json", "metadata": "metadata_json"}


def _field(table: dict[str, Any], name: str, key: str, source: str) -> tuple[bool, Any]:
    spelled = _JSON_NAMES[name]
    if spelled in table:
        try:
            return True, json.loads(table[spelled])
        except (TypeError, ValueError) as exc:
            raise UsageError(
                f"{source}: entry {key!r}: {name}_json is not valid JSON ({exc})",
                hint="fix or remove that entry",
            ) from None
    if name in table:
        return True, table[name]
    return False, None


def import_toml(text: str, source: str = "<import>") -> list[StateEntry]:
    """Parse an export (TOML, or JSON lines) back into entries; a malformed file raises
    :class:`UsageError`."""
    if text.lstrip().startswith("{"):
        return _import_rows(_jsonl(text, source), source, iso_text=True)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{source}: not valid TOML: {exc}", hint="is it a state export?") from None
    header = data.get("export")
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise UsageError(
            f"{source}: not a narrator state export (format {FORMAT})",
            hint="create one with: narrator state export -o FILE",
        )
    raw = data.get("entry", [])
    if not isinstance(raw, list):
        raise UsageError(f"{source}: [[entry]] must be an array of tables")
    return _import_rows(raw, source)


def _import_rows(raw: Iterable[Any], source: str, *, iso_text: bool = False) -> list[StateEntry]:
    now = datetime.now(UTC)
    entries: list[StateEntry] = []
    seen: set[str] = set()
    for index, table in enumerate(raw, start=1):
        if not isinstance(table, dict) or not isinstance(table.get("key"), str):
            raise UsageError(f"{source}: entry #{index} has no string key")
        key = table["key"]
        try:
            validate_key(key)
        except NarratorError as exc:
            raise UsageError(f"{source}: entry #{index}: {exc.message}") from None
        if key in seen:
            raise UsageError(f"{source}: key {key!r} appears twice", hint="keep one entry per key")
        seen.add(key)
        if "value" in table and "value_json" not in table:  # the common case, inline
            value = table["value"]
        else:
            has_value, value = _field(table, "value", key, source)
            if not has_value:
                raise UsageError(f"{source}: entry {key!r} has no value (or value_json)")
        metadata = table.get("metadata")
        if "metadata_json" in table:
            _, metadata = _field(table, "metadata", key, source)
        version = table.get("version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise UsageError(f"{source}: entry {key!r}: version must be a positive integer")
        created = _aware(table.get("created_at", now), key, "created_at", source, iso_text=iso_text)
        updated = table.get("updated_at", created)
        updated = _aware(updated, key, "updated_at", source, iso_text=iso_text)
        expires = table.get("expires_at")
        if expires is not None:
            expires = _aware(expires, key, "expires_at", source, iso_text=iso_text)
        entries.append(
            StateEntry(  # positional: a third cheaper than keywords, per entry
                key,
                value,
                created,
                updated,
                expires,
                metadata if isinstance(metadata, dict) else {},
                version,
            )
        )
    return entries


# ---------------------------------------------------------------- JSON lines


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def write_jsonl(
    entries: Iterable[StateEntry],
    out: TextIO,
    *,
    count: int,
    prefix: str = "",
    now: datetime | None = None,
) -> int:
    """The same export as JSON lines: a header object, then one object per entry (the
    fast form for large stores; ``import`` tells the two apart by the first character)."""
    header = {"narrator_state_export": FORMAT, "prefix": prefix, "count": count}
    header["exported_at"] = (now or datetime.now(UTC)).isoformat()
    out.write(json.dumps(header, ensure_ascii=False) + "\n")
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    written = 0
    for entry in entries:
        row: dict[str, Any] = {"key": entry.key, "value": entry.value, "version": entry.version}
        row["created_at"] = entry.created_at.isoformat()
        row["updated_at"] = entry.updated_at.isoformat()
        if entry.expires_at is not None:
            row["expires_at"] = entry.expires_at.isoformat()
        if entry.metadata:
            row["metadata"] = dict(entry.metadata)
        out.write(dumps(row) + "\n")
        written += 1
    return written


# json's C scanner, called directly: json.loads' own per-call steps (three Python calls,
# two whitespace matches) were a third of a JSON-lines import
_SCAN: Callable[[str, int], tuple[Any, int]] = make_scanner(
    json.JSONDecoder()  # type: ignore[arg-type]  # typeshed types it as taking itself
)


def _bad_line(line: str, number: int, source: str) -> Any:
    """A line the scanner did not take whole: json.loads names the fault."""
    try:
        return json.loads(line)
    except ValueError as exc:
        raise UsageError(f"{source}:{number}: not valid JSON ({exc})") from None


def _jsonl(text: str, source: str) -> Iterator[dict[str, Any]]:
    """The rows of a JSON-lines export, one at a time (each row's dict is garbage as soon
    as its entry is built: less memory, less for the cyclic collector to walk); the first
    non-empty line is its header."""
    header_seen = False
    scan = _SCAN
    for number, line in enumerate(text.split("\n"), start=1):  # not splitlines: \x85, \u2028
        body = line.strip(" \t\r")  # JSON's whitespace, as json.loads allows around a value
        if not body or body.isspace():
            continue
        try:
            row, end = scan(body, 0)
        except (StopIteration, ValueError):
            end = -1
        if end != len(body):
            row = _bad_line(line, number, source)
        if not isinstance(row, dict):
            raise UsageError(f"{source}:{number}: each line must be a JSON object")
        if not header_seen:
            if row.get("narrator_state_export") != FORMAT:
                raise UsageError(
                    f"{source}: not a narrator state export (format {FORMAT})",
                    hint="create one with: narrator state export --format jsonl -o FILE",
                )
            header_seen = True
            continue
        yield row
