"""The content-table commands (issue 11): platform ``content`` (native) and Botticelli's
``database`` platform. Pure data.

The executor performs them against the run's content store
(:mod:`narrator.executor.content_act`), never through a chat platform; the
parser checks their ``where`` at load (:mod:`narrator.parser.tables`).
"""

from __future__ import annotations

from narrator.catalogue.spec import Arg, CommandSpec

__all__ = ["COMMANDS", "DATABASE_COMMANDS"]

_TABLE = {"table": Arg("str", required=True, doc="content table name")}
_WHERE = {
    "where": Arg(
        "str", doc='condition over fields and metadata, e.g. "id = {act.pick.output.0.id}"'
    ),
}
_LIMIT = {"limit": Arg("int", doc="at most this many rows (lowest ids first)")}

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "content",
        "content.insert",
        {
            **_TABLE,
            "items": Arg("any", required=True, doc="an object, or an array of objects"),
            "status": Arg("str", doc="status of the new rows (default pending)"),
            "dedupe": Arg("str", doc='"hash" or a field name: skip items already present'),
        },
        "Store items as rows of a content table",
        result="the stored rows (with ids)",
    ),
    CommandSpec(
        "content",
        "content.update",
        {
            **_TABLE,
            **_WHERE,
            "values": Arg("dict", doc="JSON fields to set on each row"),
            "status": Arg("str", doc="new status, e.g. posted"),
            "message_id": Arg("str", doc="the message the row became"),
            **_LIMIT,
        },
        "Update matching rows: fields, status, message id",
        result="the updated rows",
    ),
    CommandSpec(
        "content",
        "content.delete",
        {**_TABLE, **_WHERE, **_LIMIT},
        "Delete matching rows",
        destructive=True,
        result="{deleted: N}",
    ),
)

# Botticelli's DatabaseCommandExecutor: update_table only
DATABASE_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "database",
        "update_table",
        {
            "table_name": Arg("str", required=True, doc="content table name"),
            "where_clause": Arg("str", required=True, doc="condition (narrator's where)"),
            "updates": Arg(
                "dict", required=True, doc="column/field -> value; review_status sets the status"
            ),
            "limit": Arg("int", doc="at most this many rows"),
        },
        "Botticelli: update rows of a content table (content.update)",
        result="{rows_affected: N}",
    ),
)
