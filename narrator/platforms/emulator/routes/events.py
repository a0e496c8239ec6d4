"""Guild scheduled events."""

from __future__ import annotations

from typing import Any

from narrator.platforms.emulator.errors import invalid, required, unknown
from narrator.platforms.emulator.routes.base import Answer, Ctx, RouteTable
from narrator.platforms.emulator.shapes import event_json

ROUTES = RouteTable()
EVENTS = "/guilds/{guild_id}/scheduled-events"
EXTERNAL = 3  # entity_type of an event outside Discord: it needs an end time

_FIELDS = (
    "name",
    "description",
    "scheduled_start_time",
    "scheduled_end_time",
    "entity_type",
    "status",
    "privacy_level",
)


def apply_event(event: dict[str, Any], body: dict[str, Any]) -> None:
    for key in _FIELDS:
        if key in body:
            event[key] = body[key]
    if "channel_id" in body:
        event["channel_id"] = str(body["channel_id"]) if body["channel_id"] else None
    if "entity_metadata" in body:
        event["entity_metadata"] = body["entity_metadata"]
    if event.get("entity_type") == EXTERNAL and not event.get("scheduled_end_time"):
        raise invalid("scheduled_end_time", "Required for external events", "BASE_TYPE_REQUIRED")


@ROUTES.route("POST", EVENTS, "manage_events")
def create_event(ctx: Ctx) -> Answer:
    guild = ctx.world.guild(ctx.params["guild_id"])
    body = ctx.json()
    for key in ("name", "scheduled_start_time", "entity_type"):
        if key not in body:
            raise required(key)
    event: dict[str, Any] = {
        "id": ctx.world.snowflake(),
        "guild_id": guild["id"],
        "creator_id": ctx.world.bot_id,
        "description": None,
        "scheduled_end_time": None,
        "channel_id": None,
        "entity_id": None,
        "entity_metadata": None,
        "status": 1,
        "privacy_level": 2,
    }
    apply_event(event, body)
    guild["events"][event["id"]] = event
    return 200, event_json(event)


@ROUTES.route("GET", EVENTS)
def list_events(ctx: Ctx) -> Answer:
    return 200, [event_json(e) for e in ctx.world.guild(ctx.params["guild_id"])["events"].values()]


def event_of(ctx: Ctx) -> dict[str, Any]:
    event = ctx.world.guild(ctx.params["guild_id"])["events"].get(ctx.params["event_id"])
    if event is None:
        raise unknown("Guild Scheduled Event")
    return event  # type: ignore[no-any-return]


@ROUTES.route("GET", EVENTS + "/{event_id}")
def get_event(ctx: Ctx) -> Answer:
    return 200, event_json(event_of(ctx))


@ROUTES.route("PATCH", EVENTS + "/{event_id}", "manage_events")
def edit_event(ctx: Ctx) -> Answer:
    event = event_of(ctx)
    apply_event(event, ctx.json())
    return 200, event_json(event)


@ROUTES.route("DELETE", EVENTS + "/{event_id}", "manage_events")
def delete_event(ctx: Ctx) -> Answer:
    event_of(ctx)
    del ctx.world.guild(ctx.params["guild_id"])["events"][ctx.params["event_id"]]
    return 204, None
