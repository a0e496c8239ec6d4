"""``messages.ensure`` as a convergence kind: one message per key, posted once, edited in place.

Found by the id stored at ``discord.{guild}.message.{key}`` (one read), else adopted:
the bot's message with this content already in the channel (a crash after the send,
before the commit — :func:`~narrator.platforms.discord.reconcile.find_ensured`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from narrator.catalogue import keys
from narrator.errors import PlatformError, ResourceNotFound
from narrator.platforms.discord.converge.apply import (
    Kind,
    Live,
    Target,
    channel_if_known,
    planned_only,
)
from narrator.platforms.discord.reconcile import find_ensured
from narrator.platforms.discord.session import Call, Session
from narrator.platforms.discord.shapes import fingerprint, message_out
from narrator.protocols import Change, CommandResult


@dataclass(kw_only=True)
class MessageTarget(Target):
    channel_id: str
    channel_name: str
    content: str
    pin: bool | None  # None: leave the pin as it is
    owner: str  # who claims the message in this run (two acts never share one)


async def _prepare(session: Session, call: Call) -> MessageTarget | CommandResult:
    key_name = str(call.get("key") or call.raw.act)
    content = str(call.need("content"))
    if len(content) > 2000:
        raise PlatformError(
            f"messages.ensure keeps one message of at most 2,000 characters; "
            f"this content has {len(content)}",
            act=call.raw.act,
            hint="split it into several messages.ensure acts with different keys",
        )
    pin = call.args.get("pin")
    announce: dict[str, Any] = {"content": content, **({"pinned": True} if pin else {})}
    channel = await channel_if_known(session, call)
    if channel is None:  # plan, before the channel exists
        fields = {k: (None, v) for k, v in announce.items()}
        return planned_only(Change("send", f"message {key_name}", fields))
    channel_id = channel["id"]
    guild_id = str(channel.get("guild_id") or call.guild())
    key = keys.message_key(guild_id, key_name)
    desired: dict[str, Any] = {"content": content}
    if pin is not None:
        desired["pinned"] = bool(pin)
    return MessageTarget(
        resource=f"message {key_name} in #{channel['name']}",
        desired=desired,
        declared=fingerprint({"content": content, "pin": bool(pin)}),
        key=key,
        spec_key=keys.spec_key(guild_id, "message", key_name),
        stored_id=call.lookup(key),
        announce=announce,
        channel_id=channel_id,
        channel_name=channel["name"],
        content=content,
        pin=None if pin is None else bool(pin),
        owner=f"ensure:{channel_id}:{keys.key_segment(key_name)}",
    )


async def _find(session: Session, call: Call, t: MessageTarget) -> Live | None:
    """The stored id's message (one read), else the bot's message with this content."""
    found: Live | None = None
    if t.stored_id:
        try:
            found = await session.http.request(
                "GET",
                "/channels/{channel_id}/messages/{message_id}",
                channel_id=t.channel_id,
                message_id=str(t.stored_id),
                what=f"read {t.resource}",
                permission="read_message_history",
            )
        except ResourceNotFound:
            found = None
    if found is None:
        found = await find_ensured(
            session,
            call,
            t.channel_id,
            t.content,
            t.owner,
            pinned_first=bool(t.pin),
            what=f"#{t.channel_name}",
        )
    if found is not None:
        session.claimed[found["id"]] = t.owner
    return found


async def _send(session: Session, call: Call, t: MessageTarget) -> Live:
    # The nonce depends on what is declared, not on the run: a re-run within
    # Discord's nonce window is deduplicated by Discord itself as well.
    seed_key = f"{t.owner}:{t.declared}:{t.stored_id or ''}"
    seed = Call(replace(call.raw, idempotency_key=seed_key), call.args, call.guild_id)
    sent: Live = (
        await session.send_text(
            seed, t.channel_id, t.content, what=f"send {t.resource}", reconcile=False
        )
    )[0]
    session.claimed[sent["id"]] = t.owner
    if t.pin:
        await _pin(session, t, sent["id"])
        sent["pinned"] = True
    return sent


async def _edit(
    session: Session, call: Call, t: MessageTarget, live: Live, fields: Collection[str]
) -> Live:
    message = live
    if "content" in fields:
        message = await session.http.request(
            "PATCH",
            "/channels/{channel_id}/messages/{message_id}",
            channel_id=t.channel_id,
            message_id=live["id"],
            json={"content": t.content, "allowed_mentions": await session.mentions_for(call)},
            what=f"edit {t.resource}",
            permission="send_messages",
        )
    if "pinned" in fields:
        if t.pin:
            await _pin(session, t, live["id"])
        else:
            await session.http.request(
                "DELETE",
                "/channels/{channel_id}/messages/pins/{message_id}",
                channel_id=t.channel_id,
                message_id=live["id"],
                what=f"unpin {t.resource}",
                permission="manage_messages",
            )
        message = {**message, "pinned": bool(t.pin)}
    return message


async def _pin(session: Session, t: MessageTarget, message_id: str) -> None:
    await session.http.request(
        "PUT",
        "/channels/{channel_id}/messages/pins/{message_id}",
        channel_id=t.channel_id,
        message_id=message_id,
        what=f"pin {t.resource}",
        permission="manage_messages",
    )


MESSAGE: Kind[MessageTarget] = Kind(
    prepare=_prepare,
    find=_find,
    create=_send,
    patch=_edit,
    output=lambda _t, live: message_out(live),
    show=lambda name, value: bool(value) if name == "pinned" else value,
    created="send",
    gone="deleted out of band; will be re-sent",
    adopted="adopted the bot's message already in the channel (same content)",
)
