"""``forum.ensure``: a forum channel with its tags, default reaction and sort order.

A forum is a channel (type 15) and converges as one — found by the stored id, else by
name, created when missing, renamed back, only differing fields PATCHed (the channels
kind of :mod:`.resources`) — with three more compared fields: ``available_tags``,
``default_reaction_emoji`` and ``default_sort_order``. Tags are compared without
Discord's ids (:func:`~.setup_decide.live_tags`) and sent back with the id of the tag of
the same name, so a tag that stays keeps its id and the posts that carry it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from narrator.errors import DestructiveRefused
from narrator.platforms.discord.converge import setup_decide as pure
from narrator.platforms.discord.converge.apply import Kind, Live
from narrator.platforms.discord.converge.resources import ChannelTarget, channel_kind
from narrator.platforms.discord.session import Call, Session
from narrator.platforms.discord.shapes import channel_out, fingerprint
from narrator.protocols import CommandResult

FORUM_TYPE = 15
SORT_ORDERS = {"latest_activity": 0, "creation_date": 1}
_CHANNEL = channel_kind(lambda _call: FORUM_TYPE)


@dataclass(kw_only=True)
class ForumTarget(ChannelTarget):
    raw_tags: list[Live] = field(default_factory=list)  # the live tags, with their ids


async def _prepare(session: Session, call: Call) -> ForumTarget | CommandResult:
    base = await _CHANNEL.prepare(session, call)
    if isinstance(base, CommandResult):
        return base
    desired = dict(base.desired)
    body = {**base.body, "name": base.name}  # as Discord spells it: found by name next time
    extra: dict[str, Any] = {}
    if call.args.get("tags") is not None:
        extra["available_tags"] = pure.declared_tags(call.args["tags"])
    if call.args.get("default_reaction") is not None:
        extra["default_reaction_emoji"] = pure.emoji(call.args["default_reaction"])
    if call.get("sort_order") is not None:
        order = str(call.get("sort_order")).lower()
        if order not in SORT_ORDERS:
            raise ValueError(f"sort_order must be one of {', '.join(SORT_ORDERS)}")
        extra["default_sort_order"] = SORT_ORDERS[order]
    desired.update(extra)
    body.update(extra)
    return ForumTarget(
        **{
            **vars(base),
            "resource": f"forum #{base.name}",
            "desired": desired,
            "body": body,
            "declared": fingerprint({"channel": base.declared, **extra}),
            "planned": {**(base.planned or {}), **extra},
        }
    )


def _normalised(raw: Live) -> Live:
    return {
        **raw,
        "available_tags": pure.live_tags(raw.get("available_tags")),
        "default_reaction_emoji": pure.live_emoji(raw.get("default_reaction_emoji")),
        "_raw": raw,
    }


async def _find(session: Session, call: Call, t: ForumTarget) -> Live | None:
    raw = await _CHANNEL.find(session, call, t)
    if raw is None:
        return None
    t.raw_tags = list(raw.get("available_tags") or [])
    if "available_tags" in t.desired and not call.raw.allow_destructive:
        dropped = pure.dropped_tags(t.desired["available_tags"], t.raw_tags)
        if dropped:  # posts that carry a tag lose it: destructive, refused in plan too
            raise DestructiveRefused(
                f"forum.ensure would delete the tag{'s' * (len(dropped) > 1)} "
                f"{', '.join(repr(n) for n in dropped)} of {t.resource} (posts lose them); "
                "refused before any request",
                act=call.act,
                hint="list the tags to keep, or set allow_destructive = true on the act or "
                "in [narrative], or run with --allow-destructive",
            )
    return _normalised(raw)


async def _create(session: Session, call: Call, t: ForumTarget) -> Live:
    return await _CHANNEL.create(session, call, t)


async def _patch(
    session: Session, _call: Call, t: ForumTarget, live: Live, fields: Collection[str]
) -> Live:
    body = {k: t.desired[k] for k in fields}
    if "available_tags" in body:
        body["available_tags"] = pure.tags_payload(t.desired["available_tags"], t.raw_tags)
    edited: Live = await session.http.request(
        "PATCH",
        "/channels/{channel_id}",
        channel_id=live["id"],
        json=body,
        what=f"update forum {t.resource}",
        permission="manage_channels",
    )
    session.remember_channel(edited)
    return edited


def _output(_t: ForumTarget, live: Live) -> dict[str, Any]:
    raw = live.get("_raw", live)
    tags = [
        {
            "id": tag.get("id"),
            "name": tag.get("name"),
            "emoji": pure.show_emoji(pure.live_emoji(tag)),
            "moderated": bool(tag.get("moderated")),
        }
        for tag in raw.get("available_tags") or []
    ]
    reaction = pure.show_emoji(pure.live_emoji(raw.get("default_reaction_emoji")))
    return {**channel_out(raw), "tags": tags, "default_reaction": reaction}


FORUM: Kind[ForumTarget] = Kind(
    prepare=_prepare,
    find=_find,
    create=_create,
    patch=_patch,
    output=_output,
    show=pure.show_forum_field,
    drifted=_CHANNEL.drifted,
)
