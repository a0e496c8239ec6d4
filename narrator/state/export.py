"""Export and import state as TOML (tomlkit), exactly round-tripping.

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

TOML has no null and its integers stop at 64 bits. A value (or metadata) that
holds a null or a larger integer anywhere is written as JSON text under
``value_json`` (``metadata_json``) instead, so every JSON value round-trips:
types, nesting, key order, unicode. Everything else is plain, readable TOML.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from narrator.errors import NarratorError, UsageError
from narrator.protocols import JSON, StateEntry
from narrator.state.keys import validate_key

FORMAT = 1
_INT64 = (-(2**63), 2**63 - 1)


def _toml_safe(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool | str | float):
        return True
    if isinstance(value, int):
        return _INT64[0] <= value <= _INT64[1]
    if isinstance(value, list):
        return all(_toml_safe(v) for v in value)
    if isinstance(value, dict):
        return all(_toml_safe(v) for v in value.values())
    return False


def _inline(value: Any) -> Any:
    """Nested dicts as inline tables, so an entry stays one readable block."""
    if isinstance(value, dict):
        table = tomlkit.inline_table()
        for key, item in value.items():
            table.append(key, _inline(item))
        return table
    if isinstance(value, list):
        array = tomlkit.array()
        for item in value:
            array.append(_inline(item))
        return array
    return value


def _put(table: Any, name: str, value: JSON) -> None:
    if _toml_safe(value):
        table.append(name, _inline(value))
    else:
        table.append(f"{name}_json", json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def export_toml(
    entries: Iterable[StateEntry], *, prefix: str = "", now: datetime | None = None
) -> str:
    """The entries as a TOML document (see the module docstring)."""
    items = list(entries)
    doc = tomlkit.document()
    doc.add(tomlkit.comment("narrator state export — read back with: narrator state import FILE"))
    header = tomlkit.table()
    header.append("format", FORMAT)
    header.append("prefix", prefix)
    header.append("exported_at", now or datetime.now(UTC))
    header.append("count", len(items))
    doc.append("export", header)
    array = tomlkit.aot()
    for entry in items:
        table = tomlkit.table()
        table.append("key", entry.key)
        _put(table, "value", entry.value)
        table.append("version", entry.version)
        table.append("created_at", entry.created_at)
        table.append("updated_at", entry.updated_at)
        if entry.expires_at is not None:
            table.append("expires_at", entry.expires_at)
        if entry.metadata:
            _put(table, "metadata", dict(entry.metadata))
        array.append(table)
    doc.append("entry", array)
    return tomlkit.dumps(doc)


def _plain(value: Any) -> Any:
    """tomlkit items as plain Python (dict/list/str/int/float/bool/datetime)."""
    if hasattr(value, "unwrap"):
        return value.unwrap()
    return value


def _aware(value: Any, key: str, field: str, source: str) -> datetime:
    if not isinstance(value, datetime):
        raise UsageError(
            f"{source}: entry {key!r}: {field} is not a date-time",
            hint="write it like 2024-06-01T12:00:00+00:00",
        )
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _field(table: dict[str, Any], name: str, key: str, source: str) -> tuple[bool, Any]:
    if f"{name}_json" in table:
        try:
            return True, json.loads(table[f"{name}_json"])
        except (TypeError, ValueError) as exc:
            raise UsageError(
                f"{source}: entry {key!r}: {name}_json is not valid JSON ({exc})",
                hint="fix or remove that entry",
            ) from None
    if name in table:
        return True, table[name]
    return False, None


def import_toml(text: str, source: str = "<import>") -> list[StateEntry]:
    """Parse an export back into entries; a malformed file raises :class:`UsageError`."""
    try:
        data = _plain(tomlkit.parse(text))
    except TOMLKitError as exc:
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
        has_value, value = _field(table, "value", key, source)
        if not has_value:
            raise UsageError(f"{source}: entry {key!r} has no value (or value_json)")
        _, metadata = _field(table, "metadata", key, source)
        version = table.get("version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise UsageError(f"{source}: entry {key!r}: version must be a positive integer")
        created = table.get("created_at", now)
        updated = table.get("updated_at", created)
        expires = table.get("expires_at")
        entries.append(
            StateEntry(
                key=key,
                value=value,
                created_at=_aware(created, key, "created_at", source),
                updated_at=_aware(updated, key, "updated_at", source),
                expires_at=None if expires is None else _aware(expires, key, "expires_at", source),
                metadata=metadata if isinstance(metadata, dict) else {},
                version=version,
            )
        )
    return entries
