"""Named JSON documents in the ``blobs`` table (the sandbox persists its emulated guild here)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from narrator.state.gateway import Gateway, upsert
from narrator.state.keys import dump_value, load_value
from narrator.state.tables import blobs

__all__ = ["SqlBlobs"]


class SqlBlobs:
    """Implements :class:`narrator.protocols.Blobs` on the database."""

    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway
        self._get = sa.select(blobs.c.value).where(blobs.c.name == sa.bindparam("name"))
        self._put = upsert(gateway, blobs, ["name"])

    def get(self, name: str) -> Any:
        return load_value(self._gw.read(lambda c: c.execute(self._get, {"name": name}).scalar()))

    def put(self, name: str, value: Any) -> None:
        row = {"name": name, "value": dump_value(name, value), "updated_at": self._gw.clock()}
        self._gw.write(lambda c: c.execute(self._put, row))
