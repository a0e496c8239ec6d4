"""Threads, and forum posts (threads with a first message)."""

from __future__ import annotations

from typing import Any

from narrator.errors import PlatformError
from narrator.platforms.discord.session import Call, Session, ok, read
from narrator.platforms.discord.shapes import (
    thread_out,
)
from narrator.protocols import CommandResult


async def threads_create(session: Session, call: Call) -> CommandResult:
    channel_id = call.id("channel_id")
    body: dict[str, Any] = {"name": str(call.need("name"))}
    if call.get("auto_archive_duration"):
        body["auto_archive_duration"] = int(call.get("auto_archive_duration"))
    if call.get("slowmode") is not None:
        body["rate_limit_per_user"] = int(call.get("slowmode"))
    if call.get("message_id"):
        thread = await session.http.request(
            "POST",
            "/channels/{channel_id}/messages/{message_id}/threads",
            channel_id=channel_id,
            message_id=call.id("message_id"),
            json=body,
            what=f"start a thread in channel {channel_id}",
            permission="create_public_threads",
        )
    else:
        body["type"] = 12 if call.get("private") else 11
        thread = await session.http.request(
            "POST",
            "/channels/{channel_id}/threads",
            channel_id=channel_id,
            json=body,
            what=f"start a thread in channel {channel_id}",
            permission="create_public_threads",
        )
    return ok(thread_out(thread))


async def threads_edit(session: Session, call: Call) -> CommandResult:
    thread_id = call.id("thread_id")
    body: dict[str, Any] = {
        k: call.args[k]
        for k in ("name", "archived", "locked", "auto_archive_duration")
        if k in call.args
    }
    if call.get("slowmode") is not None:
        body["rate_limit_per_user"] = int(call.get("slowmode"))
    thread = await session.http.request(
        "PATCH",
        "/channels/{channel_id}",
        channel_id=thread_id,
        json=body,
        what=f"edit thread {thread_id}",
        permission="manage_threads",
    )
    return ok(thread_out(thread))


async def threads_delete(session: Session, call: Call) -> CommandResult:
    thread_id = call.id("thread_id")
    await session.http.request(
        "DELETE",
        "/channels/{channel_id}",
        channel_id=thread_id,
        reason=call.get("reason"),
        what=f"delete thread {thread_id}",
        permission="manage_threads",
    )
    return ok({"id": thread_id})


async def _thread_member(
    session: Session, call: Call, method: str, user: str | None
) -> CommandResult:
    thread_id = call.id("thread_id")
    path = "/channels/{channel_id}/thread-members/" + ("{user_id}" if user else "@me")
    extra: dict[str, Any] = {"user_id": user} if user else {}
    await session.http.request(
        method,
        path,
        channel_id=thread_id,
        **extra,
        what=f"{'add to' if method == 'PUT' else 'remove from'} thread {thread_id}",
        permission="manage_threads" if method == "DELETE" and user else None,
    )
    return ok({"thread_id": thread_id, "user_id": user or "@me"})


async def threads_join(session: Session, call: Call) -> CommandResult:
    return await _thread_member(session, call, "PUT", None)


async def threads_leave(session: Session, call: Call) -> CommandResult:
    return await _thread_member(session, call, "DELETE", None)


async def threads_add_member(session: Session, call: Call) -> CommandResult:
    return await _thread_member(session, call, "PUT", call.id("user_id"))


async def threads_remove_member(session: Session, call: Call) -> CommandResult:
    return await _thread_member(session, call, "DELETE", call.id("user_id"))


async def _active_threads(session: Session, call: Call) -> list[dict[str, Any]]:
    guild_id = call.guild()
    data = await session.http.request(
        "GET",
        "/guilds/{guild_id}/threads/active",
        guild_id=guild_id,
        what=f"list the active threads of guild {guild_id}",
    )
    threads: list[dict[str, Any]] = data.get("threads", [])
    if call.get("channel_id"):
        channel_id = call.id("channel_id")
        threads = [t for t in threads if t.get("parent_id") == channel_id]
    return threads


async def threads_list(session: Session, call: Call) -> CommandResult:
    return read([thread_out(t) for t in await _active_threads(session, call)])


async def threads_get(session: Session, call: Call) -> CommandResult:
    thread_id = call.id("thread_id")
    thread = await session.http.request(
        "GET", "/channels/{channel_id}", channel_id=thread_id, what=f"read thread {thread_id}"
    )
    return read(thread_out(thread))


async def forum_create_post(session: Session, call: Call) -> CommandResult:
    channel_id = call.id("channel_id")
    content = str(call.need("content"))
    if len(content) > 2000:
        raise PlatformError(
            f"a forum post's first message can hold 2,000 characters; this one has {len(content)}",
            act=call.raw.act,
            hint="shorten it, and send the rest with messages.send to the post",
        )
    message: dict[str, Any] = {
        "content": content,
        "allowed_mentions": await session.mentions_for(call),
    }
    if call.get("embeds"):
        message["embeds"] = call.get("embeds")
    body: dict[str, Any] = {"name": str(call.need("name")), "message": message}
    if call.get("tags"):
        body["applied_tags"] = [str(t) for t in call.get("tags")]
    if call.get("auto_archive_duration") is not None:
        body["auto_archive_duration"] = int(call.get("auto_archive_duration"))
    post = await session.http.request(
        "POST",
        "/channels/{channel_id}/threads",
        channel_id=channel_id,
        json=body,
        what=f"create a post in forum {channel_id}",
        permission="send_messages",
    )
    return ok({**thread_out(post), "message_id": (post.get("message") or {}).get("id")})


async def forum_list_posts(session: Session, call: Call) -> CommandResult:
    call.id("channel_id")
    return read([thread_out(t) for t in await _active_threads(session, call)])


async def forum_get_post(session: Session, call: Call) -> CommandResult:
    return await threads_get(session, call)


COMMANDS = {
    "threads.create": threads_create,
    "threads.edit": threads_edit,
    "threads.delete": threads_delete,
    "threads.join": threads_join,
    "threads.leave": threads_leave,
    "threads.add_member": threads_add_member,
    "threads.remove_member": threads_remove_member,
    "threads.list": threads_list,
    "threads.get": threads_get,
    "forum.create_post": forum_create_post,
    "forum.list_posts": forum_list_posts,
    "forum.get_post": forum_get_post,
}
