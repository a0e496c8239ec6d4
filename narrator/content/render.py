"""Rows as prompt text: JSON, a Markdown table or CSV (pure).

Columns default to ``id``, the items' fields (in the order they first appear)
and ``status``. A column name may be a metadata column, a Botticelli alias
(``review_status``, ``generated_at``, …), a field, ``fields.x`` or a dotted path;
a metadata column wins over a field of the same name (as in ``ContentRow.as_data``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any, Literal

from narrator.content.condition import ALIASES, COLUMNS
from narrator.content.model import ContentRow, field_value

__all__ = ["FORMATS", "default_columns", "render_rows", "value_of"]

Format = Literal["json", "markdown", "csv"]
FORMATS: tuple[str, ...] = ("json", "markdown", "csv")


def default_columns(rows: Sequence[ContentRow]) -> tuple[str, ...]:
    names: dict[str, None] = {"id": None}
    for row in rows:
        for key in row.fields:
            names.setdefault(key, None)
    names.setdefault("status", None)
    return tuple(names)


def value_of(row: ContentRow, name: str) -> Any:
    """The value a column name selects on a row (JSON-ready: times as ISO text)."""
    column = ALIASES.get(name, name)
    if column == "claimed_by":
        return row.claimed_by
    if column in COLUMNS:
        return row.metadata()[column]
    if name in row.fields:
        return row.fields[name]
    path = name.split(".")
    if path[0] == "fields":
        path = path[1:]
    return field_value(row.fields, path)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def render_rows(
    rows: Sequence[ContentRow],
    format: Format | str = "json",
    columns: Sequence[str] | None = None,
) -> str:
    """Render rows as ``json`` (an array of objects), ``markdown`` or ``csv``."""
    names = tuple(columns) if columns else default_columns(rows)
    table = [{name: value_of(row, name) for name in names} for row in rows]
    if format == "json":
        return json.dumps(table, ensure_ascii=False, indent=2)
    if format == "markdown":
        if not rows:
            return ""

        def cell(value: Any) -> str:
            return _cell(value).replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")

        lines = ["| " + " | ".join(names) + " |", "|" + "|".join("---" for _ in names) + "|"]
        lines += ["| " + " | ".join(cell(r[n]) for n in names) + " |" for r in table]
        return "\n".join(lines)
    if format == "csv":
        if not rows:
            return ""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        writer.writerows([_cell(r[n]) for n in names] for r in table)
        return out.getvalue()
    raise ValueError(f"unknown format {format!r}: use json, markdown or csv")
