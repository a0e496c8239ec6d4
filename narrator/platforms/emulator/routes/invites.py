"""Which existing invite a ``POST /channels/{id}/invites`` answers instead of making one.

Not a route table: ``routes/channels.py`` creates invites. Discord reuses the inviter's
invite to the same channel with the same ``max_age``, ``max_uses`` and ``temporary``
unless the request says ``unique: true`` (its documentation: "if true, don't try to
reuse a similar invite"); an expired or used-up invite is not reused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def reusable_invite(
    invites: Iterable[dict[str, Any]], channel_id: str, inviter_id: str, settings: Mapping[str, Any]
) -> dict[str, Any] | None:
    for invite in invites:
        if invite["channel_id"] != channel_id:
            continue
        if (invite.get("inviter") or {}).get("id") != inviter_id:
            continue
        if any(invite.get(k) != v for k, v in settings.items()):
            continue
        if invite.get("max_uses") and int(invite.get("uses") or 0) >= int(invite["max_uses"]):
            continue
        return invite
    return None
