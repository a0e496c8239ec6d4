"""Content tables (issue 11): rows of generated items, queries over them, rendering.

Pure: no database import. The stores live in ``narrator/state/content.py``
(SQLAlchemy, SQLite and PostgreSQL) and ``narrator/state/content_memory.py``.

    from narrator.content import Query, parse_where, parse_order
    query = Query("posts", where=parse_where("status = 'approved' AND score >= 7"),
                  order=parse_order("created_at ASC"), limit=3)
    rows = database.content.select(query)
"""

from __future__ import annotations

from narrator.content.claims import ClaimCount
from narrator.content.condition import (
    ALIASES,
    COLUMNS,
    And,
    Compare,
    Condition,
    Field,
    In,
    IsNull,
    Like,
    Literal,
    Not,
    Or,
)
from narrator.content.model import (
    CLAIM_CONSUMED,
    DEFAULT_STATUS,
    ContentRow,
    ContentStore,
    OrderKey,
    Provenance,
    Query,
    TableSummary,
    content_hash,
    row_record,
    validate_table,
)
from narrator.content.render import FORMATS, render_rows
from narrator.content.where import WhereError, matches, parse_order, parse_where, sort_rows

__all__ = [
    "ALIASES",
    "CLAIM_CONSUMED",
    "COLUMNS",
    "DEFAULT_STATUS",
    "FORMATS",
    "And",
    "ClaimCount",
    "Compare",
    "Condition",
    "ContentRow",
    "ContentStore",
    "Field",
    "In",
    "IsNull",
    "Like",
    "Literal",
    "Not",
    "Or",
    "OrderKey",
    "Provenance",
    "Query",
    "TableSummary",
    "WhereError",
    "content_hash",
    "matches",
    "parse_order",
    "parse_where",
    "render_rows",
    "row_record",
    "sort_rows",
    "validate_table",
]
