"""Scheduled guild events."""

from __future__ import annotations

from typing import Any

from narrator.platforms.discord import reconcile
from narrator.platforms.discord.session import Call, Session, ok, read
from narrator.platforms.discord.shapes import (
    event_out,
)
from narrator.protocols import CommandResult

_EVENTS = "/guilds/{guild_id}/scheduled-events"


def _event_body(call: Call) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for arg, key in (
        ("name", "name"),
        ("description", "description"),
        ("start_time", "scheduled_start_time"),
        ("end_time", "scheduled_end_time"),
    ):
        if call.get(arg) is not None:
            body[key] = call.get(arg)
    if call.get("channel_id"):
        body["channel_id"] = call.id("channel_id")
        body["entity_type"] = 2
    elif call.get("location") is not None:
        body["entity_type"] = 3
        body["entity_metadata"] = {"location": call.get("location")}
        body["channel_id"] = None
    if call.get("status"):
        statuses = {"scheduled": 1, "active": 2, "completed": 3, "canceled": 4, "cancelled": 4}
        body["status"] = statuses[str(call.get("status")).lower()]
    return body


async def events_create(session: Session, call: Call) -> CommandResult:
    guild_id = call.guild()
    body = {"privacy_level": 2, **_event_body(call)}
    body.setdefault("entity_type", 3)
    if body["entity_type"] == 3:
        body.setdefault("entity_metadata", {"location": call.get("location", "TBA")})
    name = str(call.get("name") or "")
    event = await reconcile.created_event(
        session, call, guild_id, _EVENTS, name
    ) or await session.http.request(
        "POST",
        _EVENTS,
        guild_id=guild_id,
        json=body,
        what=f"create event '{call.get('name')}'",
        permission="manage_events",
    )
    return ok(event_out(event))


async def events_edit(session: Session, call: Call) -> CommandResult:
    guild_id, event_id = call.guild(), call.id("event_id")
    event = await session.http.request(
        "PATCH",
        _EVENTS + "/{event_id}",
        guild_id=guild_id,
        event_id=event_id,
        json=_event_body(call),
        what=f"edit event {event_id}",
        permission="manage_events",
    )
    return ok(event_out(event))


async def events_delete(session: Session, call: Call) -> CommandResult:
    guild_id, event_id = call.guild(), call.id("event_id")
    await session.http.request(
        "DELETE",
        _EVENTS + "/{event_id}",
        guild_id=guild_id,
        event_id=event_id,
        what=f"delete event {event_id}",
        permission="manage_events",
    )
    return ok({"id": event_id})


async def events_list(session: Session, call: Call) -> CommandResult:
    guild_id = call.guild()
    found = await session.http.request(
        "GET", _EVENTS, guild_id=guild_id, what=f"list events of guild {guild_id}"
    )
    return read([event_out(e) for e in found])


async def events_get(session: Session, call: Call) -> CommandResult:
    guild_id, event_id = call.guild(), call.id("event_id")
    event = await session.http.request(
        "GET",
        _EVENTS + "/{event_id}",
        guild_id=guild_id,
        event_id=event_id,
        what=f"read event {event_id}",
    )
    return read(event_out(event))


COMMANDS = {
    "events.create": events_create,
    "events.edit": events_edit,
    "events.delete": events_delete,
    "events.list": events_list,
    "events.get": events_get,
}
