"""The ``narrator content`` verbs as plain functions over a :class:`ContentStore`.

The CLI (``narrator/cli/content_cmd.py``, ``content_review.py``) only parses
arguments, opens the database and renders; everything a verb decides — which
rows a ``--where`` selects, that a table or an id exists, what an edited
document means, what an export line holds — is here, the same for SQLite,
PostgreSQL and the memory store. Errors are :class:`~narrator.errors.UsageError`
(exit 2): one line that says what, and a hint with the fix.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from narrator.content.condition import And, Compare, Condition, Field, Literal, Or
from narrator.content.model import (
    ContentRow,
    ContentStore,
    OrderKey,
    Query,
    TableSummary,
    read_record,
    row_record,
)
from narrator.content.where import WhereError, parse_where
from narrator.errors import NarratorError, UsageError, did_you_mean
from narrator.protocols import JSON

__all__ = [
    "APPROVED",
    "REJECTED",
    "DocumentError",
    "Review",
    "ReviewTally",
    "export_lines",
    "get_row",
    "list_rows",
    "parse_document",
    "parse_import",
    "require_table",
    "row_document",
    "selection",
    "set_status",
    "status_condition",
    "table_exists",
    "table_summaries",
    "where_condition",
]

APPROVED = "approved"
REJECTED = "rejected"
_ID_ORDER = (OrderKey(Field(column="id")),)


# --- tables ---------------------------------------------------------------------------


def table_summaries(store: ContentStore) -> list[TableSummary]:
    """Every content table with its row count by status, sorted by name."""
    return sorted(store.tables(), key=lambda t: t.table)


def require_table(store: ContentStore, table: str, *, database: str = "") -> TableSummary:
    """The summary of ``table``; a UsageError naming the tables there are when it has no rows.

    ``database`` (``/abs/narrator.db``, or a URL without its password) goes into the
    message: a table "missing" is most often one looked for in the wrong database.
    """
    summaries = table_summaries(store)
    for summary in summaries:
        if summary.table == table:
            return summary
    names = [s.table for s in summaries]
    where = f" in {database}" if database else ""
    if not names:
        other = (
            "what real runs stored is in the real database (drop --sandbox)"
            if _is_sandbox(database)
            else "what --sandbox runs stored is in the sandbox database (add --sandbox)"
        )
        raise UsageError(
            f"no table {table!r}{where}; there are no content tables yet",
            hint=f'a narrative\'s store = "TABLE" or `narrator content import FILE` makes one; '
            f"{other}",
        )
    hint = did_you_mean(table, names) or f"list them with: {_verb('tables', database)}"
    raise UsageError(f"no table {table!r}{where}; tables: {', '.join(names)}", hint=hint)


def _is_sandbox(database: str) -> bool:
    """``database`` (a label) names a sandbox database: x.db's is x.sandbox.db
    (:func:`narrator.config.sandbox_database_url`)."""
    return ".sandbox" in database.rsplit("/", 1)[-1]


def _verb(verb: str, database: str) -> str:
    """``narrator content VERB`` as the user must type it for this database."""
    return f"narrator content {verb}" + (" --sandbox" if _is_sandbox(database) else "")


# --- selecting ------------------------------------------------------------------------


def where_condition(text: str, *, option: str = "--where") -> Condition:
    """``text`` parsed; a bad expression is a UsageError located at its column."""
    try:
        return parse_where(text)
    except WhereError as error:
        raise UsageError(located_where_error(text, error, option=option), hint=WHERE_HINT) from None


WHERE_HINT = (
    "a where is a boolean expression over fields and metadata, e.g. "
    "\"status = 'approved' AND score >= 7\" (see docs/content.md)"
)


def located_where_error(text: str, error: WhereError, *, option: str = "--where") -> str:
    """``--where:1:COL: message (at '…')`` — the line and column of the offending text."""
    offset = max(0, min(error.offset, len(text)))
    before = text[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    near = text[offset : offset + 20].split("\n")[0]
    at = f" (at {near!r})" if near else " (at the end)"
    return f"{option}:{line}:{column}: {error.message}{at}"


def status_condition(status: str) -> Condition:
    return Compare(Field(column="status"), "=", Literal(status))


def selection(status: str | None, where: str | None) -> Condition | None:
    """``--status`` and ``--where`` together (both must hold); None selects every row."""
    parts: list[Condition] = []
    if status is not None:
        parts.append(status_condition(status))
    if where is not None and where.strip():
        parts.append(where_condition(where))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def list_rows(
    store: ContentStore,
    table: str,
    *,
    status: str | None = None,
    where: str | None = None,
    limit: int | None = None,
    database: str = "",
) -> list[ContentRow]:
    """The rows of ``table`` (which must exist) matching ``status`` and ``where``, oldest
    first (``created_at, id``: the order the store's status index is in)."""
    condition = selection(status, where)  # a bad --where fails before the database is asked
    if limit is not None and limit < 1:
        raise UsageError(f"--limit must be 1 or more, got {limit}", hint="e.g. --limit 20")
    rows = store.select(Query(table=table, where=condition, limit=limit))
    if not rows and not table_exists(store, table):
        require_table(store, table, database=database)  # raises, naming the tables there are
    return rows


def table_exists(store: ContentStore, table: str) -> bool:
    """Whether ``table`` has a row: one indexed probe (``tables()`` counts every row)."""
    return bool(store.select(Query(table=table, order=_ID_ORDER, limit=1)))


def page_after(
    store: ContentStore,
    table: str,
    condition: Condition | None,
    after: ContentRow | None,
    size: int,
) -> list[ContentRow]:
    """The next ``size`` rows matching ``condition`` after the row ``after`` in the store's
    default order (``created_at, id``, which its status index delivers). A review's
    cursor: rows whose status changed meanwhile drop out, new rows join at the end."""
    if after is not None:
        when = Field(column="created_at")
        stamp = Literal(after.created_at.isoformat())
        later = Or(
            (
                Compare(when, ">", stamp),
                And(
                    (Compare(when, "=", stamp), Compare(Field(column="id"), ">", Literal(after.id)))
                ),
            )
        )
        condition = later if condition is None else And((condition, later))
    return store.select(Query(table=table, where=condition, limit=size))


def get_row(store: ContentStore, table: str, row_id: int, *, database: str = "") -> ContentRow:
    """Row ``row_id`` of ``table``; a UsageError when the table or the row does not exist."""
    row = store.get(table, row_id)
    if row is not None:
        return row
    if not table_exists(store, table):
        require_table(store, table, database=database)
    raise UsageError(
        f"no row {row_id} in table {table!r}",
        hint=f"list its rows with: {_verb('list', database)} {table}",
    )


# --- changing -------------------------------------------------------------------------


def set_status(
    store: ContentStore, table: str, ids: Sequence[int], status: str, *, database: str = ""
) -> int:
    """Give every row of ``ids`` ``status``; all of them exist or nothing changes."""
    if not ids:
        raise UsageError(
            "name at least one row id", hint=f"e.g. narrator content approve {table} 7"
        )
    if not status.strip():
        raise UsageError("a status cannot be empty", hint="e.g. approved, rejected, posted")
    wanted = list(dict.fromkeys(ids))
    missing = [i for i in wanted if store.get(table, i) is None]
    if missing and not table_exists(store, table):
        require_table(store, table, database=database)
    if missing:
        shown = ", ".join(str(i) for i in missing)
        raise UsageError(
            f"no row{'s' if len(missing) > 1 else ''} {shown} in table {table!r}; nothing changed",
            hint=f"list its rows with: {_verb('list', database)} {table}",
        )
    return store.set_status(table, wanted, status)


# --- the document `content edit` opens ------------------------------------------------


class DocumentError(ValueError):
    """An edited document that is not a JSON object; ``line``/``column`` 1-based."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        self.message, self.line, self.column = message, line, column
        super().__init__(f"line {line}, column {column}: {message}")


def row_document(row: ContentRow) -> str:
    """The text ``content edit`` opens: the row's item (its fields) as indented JSON."""
    return json.dumps(row.fields, indent=2, ensure_ascii=False) + "\n"


def parse_document(text: str) -> dict[str, JSON]:
    """An edited document back into fields; DocumentError when it is not one JSON object."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise DocumentError(error.msg, error.lineno, error.colno) from None
    except RecursionError:
        raise DocumentError("nested too deeply") from None
    if not isinstance(value, dict):
        kind = "an array" if isinstance(value, list) else f"a {type(value).__name__}"
        raise DocumentError(f"the row must be a JSON object {{...}}, not {kind}")
    return value


# --- export and import ----------------------------------------------------------------


def export_lines(store: ContentStore, table: str | None, *, database: str = "") -> Iterator[str]:
    """One JSON object per row (:func:`~narrator.content.model.row_record`), no newline.

    The table is checked here, before the first line is asked for.
    """
    if table is not None and not table_exists(store, table):
        require_table(store, table, database=database)
    # table by table: each a run of one index range (paging across tables is slower)
    names = [table] if table is not None else [s.table for s in table_summaries(store)]
    return (
        json.dumps(row_record(row), ensure_ascii=False, separators=(",", ":"))
        for name in names
        for row in store.export_rows(name)
    )


def parse_import(text: str, source: str) -> list[dict[str, JSON]]:
    """The records of a JSON-lines export; a UsageError at ``SOURCE:LINE`` for a bad line."""
    records: list[dict[str, JSON]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise UsageError(
                f"{source}:{number}:{error.colno}: not JSON: {error.msg}",
                hint="import reads what `narrator content export` writes: one JSON object a line",
            ) from None
        problem = _record_problem(record)
        if problem:
            raise UsageError(
                f"{source}:{number}: {problem}",
                hint='each line needs "table" (a name) and "fields" (an object), '
                "as `narrator content export` writes them",
            )
        try:
            read_record(record)  # the store's own checks (table name, times), located here
        except NarratorError as error:
            raise UsageError(f"{source}:{number}: {error.message}", hint=error.hint) from None
        records.append(record)
    return records


_JSON_KINDS = {list: "a list", str: "a string", bool: "true/false", type(None): "null"}


def _record_problem(record: Any) -> str | None:
    if not isinstance(record, dict):
        return "a line must be a JSON object"
    if not isinstance(record.get("table"), str) or not record["table"]:
        return 'missing "table"'
    if not isinstance(record.get("fields"), dict):
        if "fields" not in record:
            return 'missing "fields" (an object)'
        kind = _JSON_KINDS.get(type(record["fields"]), "a number")
        return f'"fields" must be an object, not {kind}'
    status = record.get("status")
    if status is not None and not isinstance(status, str):
        return '"status" must be a string'
    return None


def import_records(store: ContentStore, records: Iterable[Mapping[str, JSON]]) -> int:
    return store.import_rows(records)


# --- review ---------------------------------------------------------------------------


class Review:
    """A review's walk over the rows of a table that match a selection, oldest first.

    Rows are fetched a page at a time after the last id seen (so a 100k-row table
    costs one page, and a row another reviewer changed meanwhile drops out); rows
    already shown stay in ``seen`` for ``back``. Each row's *last* decision counts:
    approving a row, going back and rejecting it tallies one rejection.
    """

    def __init__(
        self,
        store: ContentStore,
        table: str,
        condition: Condition | None,
        *,
        total: int | None = None,
        page: int = 50,
    ) -> None:
        self.store, self.table, self.condition = store, table, condition
        self.total, self.page = total, page
        self.seen: list[ContentRow] = []
        self.position = -1
        self.decisions: dict[int, str] = {}
        self.edited: set[int] = set()
        self.passed: set[int] = set()  # rows left forward undecided: skipped
        self._ahead: list[ContentRow] = []
        self._exhausted = False

    @property
    def current(self) -> ContentRow | None:
        return self.seen[self.position] if 0 <= self.position < len(self.seen) else None

    def advance(self) -> ContentRow | None:
        """The next row (None past the last one: the review is over)."""
        if self.current is not None and self.current.id not in self.decisions:
            self.passed.add(self.current.id)
        if self.position + 1 < len(self.seen):
            self.position += 1
            return self._refresh()
        if not self._ahead and not self._exhausted:
            last = self.seen[-1] if self.seen else None
            self._ahead = page_after(self.store, self.table, self.condition, last, self.page)
            self._exhausted = len(self._ahead) < self.page
        if not self._ahead:
            self.position = len(self.seen)
            return None
        self.seen.append(self._ahead.pop(0))
        self.position = len(self.seen) - 1
        return self.current

    def back(self) -> ContentRow | None:
        """The previous row; None (staying put) at the first."""
        if self.position <= 0:
            return None
        self.position -= 1
        return self._refresh()

    def decide(self, status: str) -> ContentRow:
        row = self._require()
        self.store.set_status(self.table, [row.id], status)
        self.decisions[row.id] = status
        return self._refresh()

    def replace(self, fields: Mapping[str, JSON]) -> ContentRow:
        row = self._require()
        self.seen[self.position] = self.store.replace_fields(self.table, row.id, fields)
        self.edited.add(row.id)
        return self.seen[self.position]

    def tally(self) -> ReviewTally:
        decided = list(self.decisions.values())
        return ReviewTally(
            approved=decided.count(APPROVED),
            rejected=decided.count(REJECTED),
            edited=len(self.edited),
            # the row on screen when the review ends (q, Ctrl-C, end of input) was not skipped
            skipped=len(self.passed - self.decisions.keys()),
            seen=len(self.seen),
        )

    def _require(self) -> ContentRow:
        row = self.current
        if row is None:
            raise UsageError("no row to act on", hint="the review is over")
        return row

    def _refresh(self) -> ContentRow:
        row = self._require()
        fresh = self.store.get(self.table, row.id)
        if fresh is not None:
            self.seen[self.position] = fresh
        return self.seen[self.position]


@dataclass(frozen=True)
class ReviewTally:
    """What a review did, for its closing line."""

    approved: int = 0
    rejected: int = 0
    edited: int = 0
    skipped: int = 0
    seen: int = 0

    def summary(self, table: str) -> str:
        if not self.seen:
            return f"nothing to review in {table}"
        rows = f"{self.seen} row{'s' if self.seen != 1 else ''}"
        return (
            f"reviewed {rows} of {table}: {self.approved} approved, {self.rejected} rejected, "
            f"{self.edited} edited, {self.skipped} skipped"
        )
