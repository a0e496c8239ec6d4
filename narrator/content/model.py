"""Content rows, queries and the store they live in (pure data and the Protocol).

A content table is a named set of rows; each row is one generated item (its
``fields``, a JSON object) plus metadata: an id, a status, where it came from
(narrative, run, act, model), when, a content hash, the message it became, and
who holds a claim on it. ``narrator/state/content.py`` (SQLite, PostgreSQL) and
``narrator/state/content_memory.py`` implement :class:`ContentStore`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from narrator.content.claims import ClaimCount
from narrator.content.condition import ALIASES, Condition, Field
from narrator.errors import InvalidValue

if TYPE_CHECKING:  # annotations only: validate imports this package, not the protocols
    from narrator.protocols import JSON

__all__ = [
    "CLAIM_CONSUMED",
    "DEFAULT_STATUS",
    "ContentRow",
    "ContentStore",
    "ImportedRow",
    "OrderKey",
    "Provenance",
    "Query",
    "TableSummary",
    "content_hash",
    "dedupe_key",
    "field_value",
    "parse_time",
    "prepare_item",
    "read_record",
    "row_record",
    "split_values",
    "validate_item",
    "validate_table",
    "writable_column",
]

DEFAULT_STATUS = "pending"
CLAIM_CONSUMED = "taken"  # the status of a row whose claim a finished run consumed
_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,199}")


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where stored rows come from."""

    narrative: str | None = None
    run_id: str | None = None
    act: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class ContentRow:
    table: str
    id: int
    fields: dict[str, JSON]
    status: str
    narrative: str | None
    run_id: str | None
    act: str | None
    model: str | None
    created_at: datetime
    updated_at: datetime
    content_hash: str | None = None
    message_id: str | None = None
    claimed_by: str | None = None

    def metadata(self) -> dict[str, JSON]:
        """The metadata columns by their narrator names, times as ISO-8601 text."""
        return {
            "id": self.id,
            "status": self.status,
            "narrative": self.narrative,
            "run_id": self.run_id,
            "act": self.act,
            "model": self.model,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "content_hash": self.content_hash,
            "message_id": self.message_id,
        }

    def as_data(self) -> dict[str, JSON]:
        """The item's fields and the row's metadata in one object (for templates and
        command arguments). A field named like a metadata column is shadowed by the
        column; ``fields`` keeps the item as stored."""
        return {**self.fields, **self.metadata(), "fields": self.fields}


@dataclass(frozen=True, slots=True)
class OrderKey:
    field: Field
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed, validated selection of rows, built at load time.

    Rows matching ``where`` are ordered by ``order`` (then by id), and ``offset``
    and ``limit`` cut the result. With ``sample`` N, N matching rows are drawn at
    random first, then ordered and cut the same way.
    """

    table: str
    where: Condition | None = None
    order: tuple[OrderKey, ...] = ()
    limit: int | None = None
    offset: int = 0
    sample: int | None = None
    columns: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class TableSummary:
    table: str
    rows: int
    by_status: dict[str, int] = field(default_factory=dict)
    last_update: datetime | None = None


@runtime_checkable
class ContentStore(Protocol):
    """Content tables: SQL (``narrator.state.content``) or memory (``content_memory``)."""

    def insert(
        self,
        table: str,
        items: Sequence[Mapping[str, JSON]],
        provenance: Provenance,
        *,
        dedupe: str | None = None,
        status: str = DEFAULT_STATUS,
    ) -> list[ContentRow]:
        """Store each item as a row; ``dedupe`` (``"hash"`` or a field name) skips items
        already in the table (or earlier in ``items``). The stored rows, in order."""

    def select(self, query: Query) -> list[ContentRow]:
        """The rows the query selects; a table that does not exist reads as empty."""

    def take(self, query: Query, claimant: str) -> list[ContentRow]:
        """Claim up to ``query.limit`` unclaimed matching rows for ``claimant``
        (``RUN_ID/ACT/ITERATION``), atomically; rows it claimed before come back too."""

    def release(self, run_id: str, *, consumed: bool) -> int:
        """End of run: consumed → claimed rows whose status did not change become
        ``taken``; not consumed → the claims are dropped. Claims cleared either way."""

    def delete_claimed(self, run_id: str) -> int:
        """Delete the rows the run holds claims on (``pull_and_delete``)."""

    def claims(self, *, table: str | None = None, run_id: str | None = None) -> list[ClaimCount]:
        """Who holds claims: rows claimed per claimant and table (of one table, of one
        run), sorted by claimant and table."""

    def release_claimants(
        self, claimants: Sequence[str], *, consumed: bool, table: str | None = None
    ) -> int:
        """Settle the claims of exactly these claimants (of one table) as ``release``
        does for a whole run; the number of rows whose claim was cleared."""

    def update(
        self,
        table: str,
        where: Condition | None,
        values: Mapping[str, JSON],
        *,
        status: str | None = None,
        message_id: str | None = None,
        limit: int | None = None,
    ) -> list[ContentRow]:
        """Set ``values`` (JSON fields; ``status``/``review_status``/``message_id`` set the
        columns) on matching rows, lowest ids first when ``limit`` is given."""

    def delete(self, table: str, where: Condition | None, *, limit: int | None = None) -> int: ...

    def get(self, table: str, row_id: int) -> ContentRow | None: ...

    def set_status(self, table: str, ids: Sequence[int], status: str) -> int: ...

    def replace_fields(self, table: str, row_id: int, fields: Mapping[str, JSON]) -> ContentRow:
        """Replace a row's item (``content edit``); raises StateError when there is no row."""

    def tables(self) -> list[TableSummary]: ...

    def export_rows(self, table: str | None) -> Iterator[ContentRow]: ...

    def import_rows(self, rows: Iterable[Mapping[str, JSON]]) -> int:
        """Insert exported records (:func:`row_record`); records whose content hash the
        table already holds are skipped. New ids; the number inserted."""


def content_hash(item: Mapping[str, JSON]) -> str:
    """sha256 of the item's canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def validate_table(table: str) -> str:
    if not isinstance(table, str) or not _TABLE_NAME.fullmatch(table):
        raise InvalidValue(
            f"invalid content table name {table!r}",
            hint="start with a letter or '_', then letters, digits, '_', '.', '-' "
            "(at most 200 characters)",
        )
    return table


def prepare_item(table: str, item: object) -> tuple[dict[str, JSON], str]:
    """An item checked (a JSON object) and its :func:`content_hash`, with one encoding."""
    if not isinstance(item, Mapping):
        raise _not_an_object(table, item)
    try:
        text = json.dumps(
            item, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as error:
        validate_item(table, item)  # the encoder's own message when it has one
        raise InvalidValue(
            f"an item for content table {table!r} is not JSON: {error}",
            hint="store objects with text keys and JSON values only",
        ) from None
    checked: dict[str, JSON] = dict(item)
    return checked, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _not_an_object(table: str, item: object) -> InvalidValue:
    return InvalidValue(
        f"content table {table!r} stores JSON objects, not {type(item).__name__}",
        hint="make the model answer an object or an array of objects",
    )


def validate_item(table: str, item: object) -> dict[str, JSON]:
    """An item is a JSON object whose text JSON can represent."""
    if not isinstance(item, Mapping):
        raise _not_an_object(table, item)
    try:
        json.dumps(item, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidValue(
            f"an item for content table {table!r} is not JSON: {error}",
            hint="store strings, numbers, booleans, null, arrays and objects only",
        ) from None
    return dict(item)


def writable_column(name: str) -> str | None:
    """``status``/``message_id`` (or their Botticelli names) when ``name`` names a
    column an update may set; None for a JSON field. Other columns are refused."""
    column = ALIASES.get(name, name)
    if column in ("status", "message_id"):
        return column
    if column in ("id", "narrative", "run_id", "act", "model", "created_at", "updated_at"):
        raise InvalidValue(
            f"'{name}' is a metadata column an update cannot set",
            hint="update the item's fields, status or message_id",
        )
    return None


def field_value(data: Mapping[str, Any], path: Sequence[str]) -> JSON:
    """The JSON value at ``path`` inside an item; None when missing."""
    value: Any = data
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def parse_time(text: str) -> datetime:
    """ISO-8601 text as an aware UTC datetime (naive means UTC); ValueError if not ISO."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def row_record(row: ContentRow) -> dict[str, JSON]:
    """A row as one self-contained JSON object: what ``export`` writes and ``import`` reads."""
    return {"table": row.table, **row.metadata(), "fields": row.fields}


def split_values(
    values: Mapping[str, JSON], status: str | None, message_id: str | None
) -> tuple[dict[str, JSON], str | None, str | None]:
    """An update's values as (JSON field updates, status, message_id): ``status``,
    ``review_status`` and ``message_id`` among the values set the columns."""
    fields: dict[str, JSON] = {}
    for name, value in values.items():
        column = writable_column(name)
        if column is None:
            fields[name] = value
        elif value is not None and not isinstance(value, str | int):
            raise InvalidValue(f"'{name}' must be text, not {type(value).__name__}")
        elif column == "status":
            status = str(value) if value is not None else status
        else:
            message_id = None if value is None else str(value)
    if fields:
        validate_item("update", fields)
    return fields, status, message_id


def dedupe_key(value: JSON) -> tuple[str, Any] | None:
    """What makes two field values the same for ``dedupe``: the JSON type and value
    (7 and 7.0 are one number; "7" is another value). None (missing, null) never dedupes."""
    if value is None:
        return None
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float):
        return ("n", float(value))
    if isinstance(value, str):
        return ("s", value)
    return ("j", json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


@dataclass(frozen=True, slots=True)
class ImportedRow:
    """One exported record, checked: what ``import_rows`` inserts."""

    table: str
    fields: dict[str, JSON]
    status: str
    provenance: Provenance
    created_at: datetime | None
    updated_at: datetime | None
    content_hash: str
    message_id: str | None


def read_record(record: Mapping[str, JSON]) -> ImportedRow:
    """An exported record (:func:`row_record`) checked for import."""
    table = validate_table(str(record.get("table", "")))
    fields = validate_item(table, record.get("fields"))

    def text(name: str) -> str | None:
        value = record.get(name)
        return None if value is None else str(value)

    def time(name: str) -> datetime | None:
        value = record.get(name)
        try:
            return None if value is None else parse_time(str(value))
        except ValueError:
            raise InvalidValue(
                f"record of table {table!r}: {name} {value!r} is not an ISO-8601 time"
            ) from None

    return ImportedRow(
        table=table,
        fields=fields,
        status=text("status") or DEFAULT_STATUS,
        provenance=Provenance(text("narrative"), text("run_id"), text("act"), text("model")),
        created_at=time("created_at"),
        updated_at=time("updated_at"),
        content_hash=text("content_hash") or content_hash(fields),
        message_id=text("message_id"),
    )
