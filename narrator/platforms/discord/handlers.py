"""The plain (non-convergent) Discord commands."""

from __future__ import annotations

from typing import Any

from narrator.catalogue.keys import message_key, spec_key
from narrator.errors import PlatformError
from narrator.platforms.discord import reconcile
from narrator.platforms.discord.platform import (
    Call,
    DiscordPlatform,
    channel_out,
    channel_payload,
    command,
    emoji_param,
    event_out,
    iso_in,
    kind_of,
    member_out,
    message_out,
    name_key,
    ok,
    parse_duration,
    read,
    role_out,
    role_payload,
    thread_out,
)
from narrator.platforms.discord.text import CHANNEL_KINDS, normalize_channel_name
from narrator.protocols import CommandResult

P = DiscordPlatform


# --------------------------------------------------------------------------- server


@command("server.get_stats")
async def server_stats(p: P, c: Call) -> CommandResult:
    g = c.guild()
    guild = await p.http.request(
        "GET",
        "/guilds/{guild_id}",
        guild_id=g,
        params={"with_counts": "true"},
        what=f"read guild {g}",
    )
    channels = await p.channels(g)
    return read(
        {
            "id": guild["id"],
            "name": guild["name"],
            "member_count": guild.get("approximate_member_count"),
            "online_count": guild.get("approximate_presence_count"),
            "channel_count": len(channels),
            "role_count": len(guild.get("roles", [])),
            "emoji_count": len(guild.get("emojis", [])),
        }
    )


@command("guild.edit")
async def guild_edit(p: P, c: Call) -> CommandResult:
    g = c.guild()
    body = {
        k: c.get(k) for k in ("name", "description", "verification_level") if c.get(k) is not None
    }
    guild = await p.http.request(
        "PATCH",
        "/guilds/{guild_id}",
        guild_id=g,
        json=body,
        reason=c.get("reason"),
        what=f"edit guild {g}",
        permission="manage_guild",
    )
    return ok({"id": guild["id"], "name": guild["name"], "description": guild.get("description")})


# --------------------------------------------------------------------------- channels


@command("channels.list")
async def channels_list(p: P, c: Call) -> CommandResult:
    found = list((await p.channels(c.guild())).values())
    if c.get("kind"):
        kind = kind_of(c)
        found = [ch for ch in found if ch["type"] == kind]
    found.sort(key=lambda ch: (ch.get("position") or 0, int(ch["id"])))
    return read([channel_out(ch) for ch in found])


@command("channels.get")
async def channels_get(p: P, c: Call) -> CommandResult:
    if c.get("channel_id"):
        return read(channel_out(await p.channel(c, c.id("channel_id"))))
    name = str(c.need("name"))
    for ch in (await p.channels(c.guild())).values():
        if ch["name"] == name or ch["name"] == normalize_channel_name(name, 0):
            return read(channel_out(ch))
    from narrator.errors import ResourceNotFound

    raise ResourceNotFound(
        f"no channel named '{name}' in guild {c.guild()}",
        act=c.raw.act,
        hint="create it with channels.ensure",
    )


@command("channels.create")
async def channels_create(p: P, c: Call) -> CommandResult:
    g = c.guild()
    kind = kind_of(c)
    name = str(c.need("name"))
    parent = await p.resolve_category(c, c.get("category")) if kind != 4 else None
    created = await reconcile.created_channel(p, c, g, name, kind) or await p.http.request(
        "POST",
        "/guilds/{guild_id}/channels",
        guild_id=g,
        json=channel_payload(c, kind, parent),
        reason=c.get("reason"),
        what=f"create channel #{name} in guild {g}",
        permission="manage_channels",
    )
    p.remember_channel(created)
    what = "category" if kind == 4 else "channel"
    return ok(channel_out(created), {name_key(g, what, name): created["id"]})


@command("channels.edit")
async def channels_edit(p: P, c: Call) -> CommandResult:
    cid = c.id("channel_id")
    current = await p.channel(c, cid)
    kind = int(current.get("type", 0))
    if c.get("guild_id") is None and current.get("guild_id"):
        c.guild_id = str(current["guild_id"])
    parent = await p.resolve_category(c, c.get("category")) if c.get("category") else None
    body = channel_payload(c, kind, parent)
    body.pop("type", None)
    if c.get("kind") is not None and CHANNEL_KINDS.get(str(c.get("kind"))) in (0, 5):
        body["type"] = CHANNEL_KINDS[str(c.get("kind"))]
    edited = await p.http.request(
        "PATCH",
        "/channels/{channel_id}",
        channel_id=cid,
        json=body,
        reason=c.get("reason"),
        what=f"edit channel {cid}",
        permission="manage_channels",
    )
    p.remember_channel(edited)
    return ok(channel_out(edited))


@command("channels.delete")
async def channels_delete(p: P, c: Call) -> CommandResult:
    cid = c.id("channel_id")
    gone = await p.http.request(
        "DELETE",
        "/channels/{channel_id}",
        channel_id=cid,
        reason=c.get("reason"),
        what=f"delete channel {cid}",
        permission="manage_channels",
    )
    p.forget_channel(cid)
    forgotten: dict[str, Any] = {}
    if isinstance(gone, dict) and gone.get("guild_id") and gone.get("name"):
        what = "category" if gone.get("type") == 4 else "channel"
        forgotten = _forget(c, str(gone["guild_id"]), what, str(gone["name"]), cid)
    return ok({"id": cid}, forgotten)


def _forget(c: Call, guild_id: str, what: str, name: str, deleted_id: str) -> dict[str, Any]:
    """Captures that remove the keys naming a deleted resource (None deletes a key).

    Only a key that still holds the deleted id goes: another resource of the
    same name captured since keeps its key. The declared spec of a convergent
    ``*.ensure`` goes with it, so the next run recreates the resource.
    """
    key = name_key(guild_id, what, name)
    if str(c.lookup(key)) != deleted_id:
        return {}
    return {key: None, spec_key(guild_id, what, name): None}


@command("channels.create_invite")
async def channels_invite(p: P, c: Call) -> CommandResult:
    cid = c.id("channel_id")
    body = {
        k: c.get(k) for k in ("max_age", "max_uses", "temporary", "unique") if c.get(k) is not None
    }
    invite = await p.http.request(
        "POST",
        "/channels/{channel_id}/invites",
        channel_id=cid,
        json=body,
        what=f"create an invite to channel {cid}",
        permission="create_instant_invite",
    )
    return ok(
        {
            "code": invite["code"],
            "url": f"https://discord.gg/{invite['code']}",
            "channel_id": cid,
            "max_age": invite.get("max_age"),
            "max_uses": invite.get("max_uses"),
        }
    )


# --------------------------------------------------------------------------- roles


@command("roles.list")
async def roles_list(p: P, c: Call) -> CommandResult:
    found = sorted((await p.roles(c.guild())).values(), key=lambda r: r.get("position", 0))
    return read([role_out(r) for r in found])


@command("roles.get")
async def roles_get(p: P, c: Call) -> CommandResult:
    rid = await p.resolve_role(c, c.need("role"))
    return read(role_out((await p.roles(c.guild()))[rid]))


@command("roles.create")
async def roles_create(p: P, c: Call) -> CommandResult:
    g = c.guild()
    name = str(c.need("name"))
    role = await reconcile.created_role(p, c, g, name) or await p.http.request(
        "POST",
        "/guilds/{guild_id}/roles",
        guild_id=g,
        json=role_payload(c),
        reason=c.get("reason"),
        what=f"create role '{name}' in guild {g}",
        permission="manage_roles",
    )
    p.remember_role(g, role)
    return ok(role_out(role), {name_key(g, "role", name): role["id"]})


@command("roles.edit")
async def roles_edit(p: P, c: Call) -> CommandResult:
    g = c.guild()
    rid = await p.resolve_role(c, c.need("role"))
    role = await p.http.request(
        "PATCH",
        "/guilds/{guild_id}/roles/{role_id}",
        guild_id=g,
        role_id=rid,
        json=role_payload(c),
        reason=c.get("reason"),
        what=f"edit role {rid}",
        permission="manage_roles",
    )
    p.remember_role(g, role)
    return ok(role_out(role))


@command("roles.delete")
async def roles_delete(p: P, c: Call) -> CommandResult:
    g = c.guild()
    rid = await p.resolve_role(c, c.need("role"))
    roles = await p.roles(g)
    name = roles[rid]["name"] if rid in roles else None
    await p.http.request(
        "DELETE",
        "/guilds/{guild_id}/roles/{role_id}",
        guild_id=g,
        role_id=rid,
        reason=c.get("reason"),
        what=f"delete role {rid}",
        permission="manage_roles",
    )
    roles.pop(rid, None)
    return ok({"id": rid}, _forget(c, g, "role", str(name), rid) if name else {})


async def _member_role(p: P, c: Call, method: str) -> CommandResult:
    g = c.guild()
    uid = c.id("user_id")
    rid = await p.resolve_role(c, c.need("role"))
    verb = "give" if method == "PUT" else "take"
    await p.http.request(
        method,
        "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
        guild_id=g,
        user_id=uid,
        role_id=rid,
        reason=c.get("reason"),
        what=f"{verb} role {rid} {'to' if method == 'PUT' else 'from'} member {uid}",
        permission="manage_roles",
    )
    return ok({"user_id": uid, "role_id": rid})


@command("roles.assign")
async def roles_assign(p: P, c: Call) -> CommandResult:
    return await _member_role(p, c, "PUT")


@command("roles.remove")
async def roles_remove(p: P, c: Call) -> CommandResult:
    return await _member_role(p, c, "DELETE")


# --------------------------------------------------------------------------- members


@command("members.list")
async def members_list(p: P, c: Call) -> CommandResult:
    g = c.guild()
    params = {"limit": str(min(1000, int(c.get("limit", 50))))}
    if c.get("after"):
        params["after"] = str(c.get("after"))
    found = await p.http.request(
        "GET",
        "/guilds/{guild_id}/members",
        guild_id=g,
        params=params,
        what=f"list the members of guild {g}",
    )
    return read([member_out(m) for m in found])


@command("members.get")
async def members_get(p: P, c: Call) -> CommandResult:
    g, uid = c.guild(), c.id("user_id")
    member = await p.http.request(
        "GET",
        "/guilds/{guild_id}/members/{user_id}",
        guild_id=g,
        user_id=uid,
        what=f"read member {uid}",
    )
    return read(member_out(member))


async def _edit_member(p: P, c: Call, body: dict[str, Any], what: str, perm: str) -> Any:
    g, uid = c.guild(), c.id("user_id")
    return await p.http.request(
        "PATCH",
        "/guilds/{guild_id}/members/{user_id}",
        guild_id=g,
        user_id=uid,
        json=body,
        reason=c.get("reason"),
        what=f"{what} member {uid}",
        permission=perm,
    )


@command("members.edit")
async def members_edit(p: P, c: Call) -> CommandResult:
    body: dict[str, Any] = {k: c.args[k] for k in ("nick", "mute", "deaf") if k in c.args}
    if c.args.get("roles") is not None:
        body["roles"] = [await p.resolve_role(c, r) for r in c.args["roles"]]
    perm = "manage_roles" if "roles" in body else "manage_nicknames"
    return ok(member_out(await _edit_member(p, c, body, "edit", perm)))


@command("members.timeout")
async def members_timeout(p: P, c: Call) -> CommandResult:
    until = c.get("until") or iso_in(parse_duration(c.need("duration")))
    member = await _edit_member(
        p, c, {"communication_disabled_until": until}, "time out", "moderate_members"
    )
    return ok(
        {"user_id": c.id("user_id"), "communication_disabled_until": until, **member_out(member)}
    )


@command("members.remove_timeout")
async def members_untimeout(p: P, c: Call) -> CommandResult:
    await _edit_member(
        p, c, {"communication_disabled_until": None}, "end the timeout of", "moderate_members"
    )
    return ok({"user_id": c.id("user_id"), "communication_disabled_until": None})


@command("members.kick")
async def members_kick(p: P, c: Call) -> CommandResult:
    g, uid = c.guild(), c.id("user_id")
    await p.http.request(
        "DELETE",
        "/guilds/{guild_id}/members/{user_id}",
        guild_id=g,
        user_id=uid,
        reason=c.get("reason"),
        what=f"kick member {uid}",
        permission="kick_members",
    )
    return ok({"user_id": uid})


@command("members.ban")
async def members_ban(p: P, c: Call) -> CommandResult:
    g, uid = c.guild(), c.id("user_id")
    body = {"delete_message_seconds": int(c.get("delete_message_seconds", 0))}
    await p.http.request(
        "PUT",
        "/guilds/{guild_id}/bans/{user_id}",
        guild_id=g,
        user_id=uid,
        json=body,
        reason=c.get("reason"),
        what=f"ban member {uid}",
        permission="ban_members",
    )
    return ok({"user_id": uid})


@command("members.unban")
async def members_unban(p: P, c: Call) -> CommandResult:
    g, uid = c.guild(), c.id("user_id")
    await p.http.request(
        "DELETE",
        "/guilds/{guild_id}/bans/{user_id}",
        guild_id=g,
        user_id=uid,
        reason=c.get("reason"),
        what=f"unban user {uid}",
        permission="ban_members",
    )
    return ok({"user_id": uid})


# --------------------------------------------------------------------------- messages


def _guild_of_channel(p: P, c: Call, channel_id: str) -> str | None:
    for gid, cache in p._guilds.items():
        if cache.channels and channel_id in cache.channels:
            return gid
    return c.guild_id


@command("messages.send")
async def messages_send(p: P, c: Call) -> CommandResult:
    cid = c.id("channel_id")
    content = str(c.need("content"))
    sent = await p.send_text(c, cid, content, what=f"send a message to channel {cid}")
    out = {**message_out(sent[0]), "content": content, "ids": [m["id"] for m in sent]}
    g = sent[0].get("guild_id") or _guild_of_channel(p, c, cid)
    captures = {message_key(g, c.raw.act): sent[0]["id"]} if g else {}
    return ok(out, captures)


@command("messages.edit")
async def messages_edit(p: P, c: Call) -> CommandResult:
    cid, mid = c.id("channel_id"), c.id("message_id")
    content = str(c.need("content"))
    if len(content) > 2000:
        raise PlatformError(
            f"an edited message can hold 2,000 characters; this one has {len(content)}",
            act=c.raw.act,
            hint="shorten the content, or send the rest with messages.send",
        )
    body: dict[str, Any] = {"content": content, "allowed_mentions": await p.mentions_for(c)}
    if c.get("embeds"):
        body["embeds"] = c.get("embeds")
    edited = await p.http.request(
        "PATCH",
        "/channels/{channel_id}/messages/{message_id}",
        channel_id=cid,
        message_id=mid,
        json=body,
        what=f"edit message {mid} in channel {cid}",
        permission="send_messages",
    )
    return ok(message_out(edited))


@command("messages.delete")
async def messages_delete(p: P, c: Call) -> CommandResult:
    cid, mid = c.id("channel_id"), c.id("message_id")
    await p.http.request(
        "DELETE",
        "/channels/{channel_id}/messages/{message_id}",
        channel_id=cid,
        message_id=mid,
        reason=c.get("reason"),
        what=f"delete message {mid} in channel {cid}",
        permission="manage_messages",
    )
    return ok({"id": mid})


@command("messages.get")
async def messages_get(p: P, c: Call) -> CommandResult:
    cid, mid = c.id("channel_id"), c.id("message_id")
    message = await p.http.request(
        "GET",
        "/channels/{channel_id}/messages/{message_id}",
        channel_id=cid,
        message_id=mid,
        what=f"read message {mid} in channel {cid}",
        permission="read_message_history",
    )
    return read(message_out(message))


async def _recent(p: P, c: Call, cid: str, limit: int) -> list[dict[str, Any]]:
    params = {"limit": str(max(1, min(100, limit)))}
    for key in ("before", "after"):
        if c.get(key):
            params[key] = str(c.get(key))
    found: list[dict[str, Any]] = await p.http.request(
        "GET",
        "/channels/{channel_id}/messages",
        channel_id=cid,
        params=params,
        what=f"read the messages of channel {cid}",
        permission="read_message_history",
    )
    return found


@command("messages.list")
async def messages_list(p: P, c: Call) -> CommandResult:
    cid = c.id("channel_id")
    return read([message_out(m) for m in await _recent(p, c, cid, int(c.get("limit", 50)))])


async def _pin(p: P, c: Call, method: str) -> CommandResult:
    cid, mid = c.id("channel_id"), c.id("message_id")
    await p.http.request(
        method,
        "/channels/{channel_id}/messages/pins/{message_id}",
        channel_id=cid,
        message_id=mid,
        reason=c.get("reason"),
        what=f"{'pin' if method == 'PUT' else 'unpin'} message {mid}",
        permission="manage_messages",
    )
    return ok({"id": mid})


@command("messages.pin")
async def messages_pin(p: P, c: Call) -> CommandResult:
    return await _pin(p, c, "PUT")


@command("messages.unpin")
async def messages_unpin(p: P, c: Call) -> CommandResult:
    return await _pin(p, c, "DELETE")


async def _bulk(p: P, c: Call, cid: str, ids: list[str]) -> int:
    if not ids:
        return 0
    if len(ids) == 1:
        await p.http.request(
            "DELETE",
            "/channels/{channel_id}/messages/{message_id}",
            channel_id=cid,
            message_id=ids[0],
            what=f"delete message {ids[0]}",
            permission="manage_messages",
        )
        return 1
    for start in range(0, len(ids), 100):
        batch = ids[start : start + 100]
        if len(batch) == 1:
            return start + await _bulk(p, c, cid, batch)
        await p.http.request(
            "POST",
            "/channels/{channel_id}/messages/bulk-delete",
            channel_id=cid,
            json={"messages": batch},
            reason=c.get("reason"),
            safe_to_repeat=True,
            what=f"bulk-delete {len(batch)} messages in channel {cid}",
            permission="manage_messages",
        )
    return len(ids)


@command("messages.bulk_delete")
async def messages_bulk_delete(p: P, c: Call) -> CommandResult:
    cid = c.id("channel_id")
    ids = [str(i) for i in c.need("message_ids")]
    return ok({"deleted": await _bulk(p, c, cid, ids)})


@command("messages.clear")
async def messages_clear(p: P, c: Call) -> CommandResult:
    cid = c.id("channel_id")
    recent = await _recent(p, c, cid, int(c.get("limit", 100)))
    return ok({"deleted": await _bulk(p, c, cid, [m["id"] for m in recent])})


# --------------------------------------------------------------------------- reactions

_REACT = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}"


@command("reactions.add")
async def reactions_add(p: P, c: Call) -> CommandResult:
    cid, mid, emoji = c.id("channel_id"), c.id("message_id"), emoji_param(str(c.need("emoji")))
    await p.http.request(
        "PUT",
        _REACT + "/@me",
        channel_id=cid,
        message_id=mid,
        emoji=emoji,
        what=f"react {emoji} to message {mid}",
        permission="add_reactions",
    )
    return ok({"message_id": mid, "emoji": emoji})


@command("reactions.remove")
async def reactions_remove(p: P, c: Call) -> CommandResult:
    cid, mid, emoji = c.id("channel_id"), c.id("message_id"), emoji_param(str(c.need("emoji")))
    if c.get("user_id"):
        await p.http.request(
            "DELETE",
            _REACT + "/{user_id}",
            channel_id=cid,
            message_id=mid,
            emoji=emoji,
            user_id=c.id("user_id"),
            what=f"remove a reaction from message {mid}",
            permission="manage_messages",
        )
    else:
        await p.http.request(
            "DELETE",
            _REACT + "/@me",
            channel_id=cid,
            message_id=mid,
            emoji=emoji,
            what=f"remove the bot's reaction from message {mid}",
        )
    return ok({"message_id": mid, "emoji": emoji})


@command("reactions.clear")
async def reactions_clear(p: P, c: Call) -> CommandResult:
    cid, mid = c.id("channel_id"), c.id("message_id")
    if c.get("emoji"):
        await p.http.request(
            "DELETE",
            _REACT,
            channel_id=cid,
            message_id=mid,
            emoji=emoji_param(str(c.get("emoji"))),
            what=f"clear reactions of message {mid}",
            permission="manage_messages",
        )
    else:
        await p.http.request(
            "DELETE",
            "/channels/{channel_id}/messages/{message_id}/reactions",
            channel_id=cid,
            message_id=mid,
            what=f"clear reactions of message {mid}",
            permission="manage_messages",
        )
    return ok({"message_id": mid})


@command("reactions.list")
async def reactions_list(p: P, c: Call) -> CommandResult:
    cid, mid, emoji = c.id("channel_id"), c.id("message_id"), emoji_param(str(c.need("emoji")))
    users = await p.http.request(
        "GET",
        _REACT,
        channel_id=cid,
        message_id=mid,
        emoji=emoji,
        params={"limit": str(min(100, int(c.get("limit", 25))))},
        what=f"list reactions of message {mid}",
    )
    return read([{"id": u["id"], "name": u.get("global_name") or u.get("username")} for u in users])


# --------------------------------------------------------------------------- threads & forum


@command("threads.create")
async def threads_create(p: P, c: Call) -> CommandResult:
    cid = c.id("channel_id")
    body: dict[str, Any] = {"name": str(c.need("name"))}
    if c.get("auto_archive_duration"):
        body["auto_archive_duration"] = int(c.get("auto_archive_duration"))
    if c.get("slowmode") is not None:
        body["rate_limit_per_user"] = int(c.get("slowmode"))
    if c.get("message_id"):
        thread = await p.http.request(
            "POST",
            "/channels/{channel_id}/messages/{message_id}/threads",
            channel_id=cid,
            message_id=c.id("message_id"),
            json=body,
            what=f"start a thread in channel {cid}",
            permission="create_public_threads",
        )
    else:
        body["type"] = 12 if c.get("private") else 11
        thread = await p.http.request(
            "POST",
            "/channels/{channel_id}/threads",
            channel_id=cid,
            json=body,
            what=f"start a thread in channel {cid}",
            permission="create_public_threads",
        )
    return ok(thread_out(thread))


@command("threads.edit")
async def threads_edit(p: P, c: Call) -> CommandResult:
    tid = c.id("thread_id")
    body: dict[str, Any] = {
        k: c.args[k] for k in ("name", "archived", "locked", "auto_archive_duration") if k in c.args
    }
    if c.get("slowmode") is not None:
        body["rate_limit_per_user"] = int(c.get("slowmode"))
    thread = await p.http.request(
        "PATCH",
        "/channels/{channel_id}",
        channel_id=tid,
        json=body,
        what=f"edit thread {tid}",
        permission="manage_threads",
    )
    return ok(thread_out(thread))


@command("threads.delete")
async def threads_delete(p: P, c: Call) -> CommandResult:
    tid = c.id("thread_id")
    await p.http.request(
        "DELETE",
        "/channels/{channel_id}",
        channel_id=tid,
        reason=c.get("reason"),
        what=f"delete thread {tid}",
        permission="manage_threads",
    )
    return ok({"id": tid})


async def _thread_member(p: P, c: Call, method: str, user: str | None) -> CommandResult:
    tid = c.id("thread_id")
    path = "/channels/{channel_id}/thread-members/" + ("{user_id}" if user else "@me")
    extra: dict[str, Any] = {"user_id": user} if user else {}
    await p.http.request(
        method,
        path,
        channel_id=tid,
        **extra,
        what=f"{'add to' if method == 'PUT' else 'remove from'} thread {tid}",
        permission="manage_threads" if method == "DELETE" and user else None,
    )
    return ok({"thread_id": tid, "user_id": user or "@me"})


@command("threads.join")
async def threads_join(p: P, c: Call) -> CommandResult:
    return await _thread_member(p, c, "PUT", None)


@command("threads.leave")
async def threads_leave(p: P, c: Call) -> CommandResult:
    return await _thread_member(p, c, "DELETE", None)


@command("threads.add_member")
async def threads_add_member(p: P, c: Call) -> CommandResult:
    return await _thread_member(p, c, "PUT", c.id("user_id"))


@command("threads.remove_member")
async def threads_remove_member(p: P, c: Call) -> CommandResult:
    return await _thread_member(p, c, "DELETE", c.id("user_id"))


async def _active_threads(p: P, c: Call) -> list[dict[str, Any]]:
    g = c.guild()
    data = await p.http.request(
        "GET",
        "/guilds/{guild_id}/threads/active",
        guild_id=g,
        what=f"list the active threads of guild {g}",
    )
    threads: list[dict[str, Any]] = data.get("threads", [])
    if c.get("channel_id"):
        cid = c.id("channel_id")
        threads = [t for t in threads if t.get("parent_id") == cid]
    return threads


@command("threads.list")
async def threads_list(p: P, c: Call) -> CommandResult:
    return read([thread_out(t) for t in await _active_threads(p, c)])


@command("threads.get")
async def threads_get(p: P, c: Call) -> CommandResult:
    tid = c.id("thread_id")
    thread = await p.http.request(
        "GET", "/channels/{channel_id}", channel_id=tid, what=f"read thread {tid}"
    )
    return read(thread_out(thread))


@command("forum.create_post")
async def forum_create_post(p: P, c: Call) -> CommandResult:
    cid = c.id("channel_id")
    content = str(c.need("content"))
    if len(content) > 2000:
        raise PlatformError(
            f"a forum post's first message can hold 2,000 characters; this one has {len(content)}",
            act=c.raw.act,
            hint="shorten it, and send the rest with messages.send to the post",
        )
    message: dict[str, Any] = {"content": content, "allowed_mentions": await p.mentions_for(c)}
    if c.get("embeds"):
        message["embeds"] = c.get("embeds")
    body: dict[str, Any] = {"name": str(c.need("name")), "message": message}
    if c.get("tags"):
        body["applied_tags"] = [str(t) for t in c.get("tags")]
    post = await p.http.request(
        "POST",
        "/channels/{channel_id}/threads",
        channel_id=cid,
        json=body,
        what=f"create a post in forum {cid}",
        permission="send_messages",
    )
    return ok({**thread_out(post), "message_id": (post.get("message") or {}).get("id")})


@command("forum.list_posts")
async def forum_list_posts(p: P, c: Call) -> CommandResult:
    c.id("channel_id")
    return read([thread_out(t) for t in await _active_threads(p, c)])


@command("forum.get_post")
async def forum_get_post(p: P, c: Call) -> CommandResult:
    return await threads_get(p, c)


# --------------------------------------------------------------------------- events

_EVENTS = "/guilds/{guild_id}/scheduled-events"


def _event_body(c: Call) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for arg, key in (
        ("name", "name"),
        ("description", "description"),
        ("start_time", "scheduled_start_time"),
        ("end_time", "scheduled_end_time"),
    ):
        if c.get(arg) is not None:
            body[key] = c.get(arg)
    if c.get("channel_id"):
        body["channel_id"] = c.id("channel_id")
        body["entity_type"] = 2
    elif c.get("location") is not None:
        body["entity_type"] = 3
        body["entity_metadata"] = {"location": c.get("location")}
        body["channel_id"] = None
    if c.get("status"):
        statuses = {"scheduled": 1, "active": 2, "completed": 3, "canceled": 4, "cancelled": 4}
        body["status"] = statuses[str(c.get("status")).lower()]
    return body


@command("events.create")
async def events_create(p: P, c: Call) -> CommandResult:
    g = c.guild()
    body = {"privacy_level": 2, **_event_body(c)}
    body.setdefault("entity_type", 3)
    if body["entity_type"] == 3:
        body.setdefault("entity_metadata", {"location": c.get("location", "TBA")})
    name = str(c.get("name") or "")
    event = await reconcile.created_event(p, c, g, _EVENTS, name) or await p.http.request(
        "POST",
        _EVENTS,
        guild_id=g,
        json=body,
        what=f"create event '{c.get('name')}'",
        permission="manage_events",
    )
    return ok(event_out(event))


@command("events.edit")
async def events_edit(p: P, c: Call) -> CommandResult:
    g, eid = c.guild(), c.id("event_id")
    event = await p.http.request(
        "PATCH",
        _EVENTS + "/{event_id}",
        guild_id=g,
        event_id=eid,
        json=_event_body(c),
        what=f"edit event {eid}",
        permission="manage_events",
    )
    return ok(event_out(event))


@command("events.delete")
async def events_delete(p: P, c: Call) -> CommandResult:
    g, eid = c.guild(), c.id("event_id")
    await p.http.request(
        "DELETE",
        _EVENTS + "/{event_id}",
        guild_id=g,
        event_id=eid,
        what=f"delete event {eid}",
        permission="manage_events",
    )
    return ok({"id": eid})


@command("events.list")
async def events_list(p: P, c: Call) -> CommandResult:
    g = c.guild()
    found = await p.http.request("GET", _EVENTS, guild_id=g, what=f"list events of guild {g}")
    return read([event_out(e) for e in found])


@command("events.get")
async def events_get(p: P, c: Call) -> CommandResult:
    g, eid = c.guild(), c.id("event_id")
    event = await p.http.request(
        "GET", _EVENTS + "/{event_id}", guild_id=g, event_id=eid, what=f"read event {eid}"
    )
    return read(event_out(event))


# --------------------------------------------------------------------------- permissions


async def overwrite_target(p: P, c: Call) -> tuple[str, int, str]:
    """(target id, type 0 role / 1 member, label) of a permissions.* call."""
    if c.get("role") is not None and c.get("member") is not None:
        raise PlatformError(
            "give one of role / member, not both",
            act=c.raw.act,
            hint="split it into two permissions.* acts",
        )
    if c.get("member") is not None:
        uid = c.id("member")
        return uid, 1, f"member {uid}"
    if c.get("role") is None:
        raise PlatformError(
            f"{c.raw.command} needs role or member",
            act=c.raw.act,
            hint='add role = "Moderators" (a name or id) or member = "<user id>"',
        )
    rid = await p.resolve_role(c, c.get("role"))
    return rid, 0, f"role {c.get('role')}"


async def _channel_guild(p: P, c: Call, cid: str) -> dict[str, Any]:
    channel = await p.channel(c, cid)
    if channel.get("guild_id") and not c.args.get("guild_id"):
        c.guild_id = str(channel["guild_id"])
    return channel


@command("permissions.set")
async def permissions_set(p: P, c: Call) -> CommandResult:
    from narrator.platforms.discord.transport import permission_bits

    cid = c.id("channel_id")
    channel = await _channel_guild(p, c, cid)
    target, kind, label = await overwrite_target(p, c)
    allow = permission_bits(c.get("allow", []))
    deny = permission_bits(c.get("deny", []))
    await p.http.request(
        "PUT",
        "/channels/{channel_id}/permissions/{target_id}",
        channel_id=cid,
        target_id=target,
        json={"allow": str(allow), "deny": str(deny), "type": kind},
        what=f"set permissions of {label} on channel {cid}",
        permission="manage_roles",
    )
    rest = [o for o in channel.get("permission_overwrites", []) if o["id"] != target]
    channel["permission_overwrites"] = [
        *rest,
        {"id": target, "type": kind, "allow": str(allow), "deny": str(deny)},
    ]
    return ok(
        {
            "channel_id": cid,
            "target_id": target,
            "allow": c.get("allow", []),
            "deny": c.get("deny", []),
        }
    )


@command("permissions.clear")
async def permissions_clear(p: P, c: Call) -> CommandResult:
    cid = c.id("channel_id")
    channel = await _channel_guild(p, c, cid)
    target, _, label = await overwrite_target(p, c)
    await p.http.request(
        "DELETE",
        "/channels/{channel_id}/permissions/{target_id}",
        channel_id=cid,
        target_id=target,
        what=f"clear permissions of {label} on channel {cid}",
        permission="manage_roles",
    )
    channel["permission_overwrites"] = [
        o for o in channel.get("permission_overwrites", []) if o["id"] != target
    ]
    return ok({"channel_id": cid, "target_id": target})


# --------------------------------------------------------------------------- webhooks


def webhook_out(h: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": h["id"],
        "name": h.get("name"),
        "channel_id": h.get("channel_id"),
        "url": h.get("url"),
    }


@command("webhooks.create")
async def webhooks_create(p: P, c: Call) -> CommandResult:
    cid = c.id("channel_id")
    name = str(c.need("name"))
    hook = await reconcile.created_webhook(p, c, cid, name) or await p.http.request(
        "POST",
        "/channels/{channel_id}/webhooks",
        channel_id=cid,
        json={"name": name},
        what=f"create webhook '{name}' on channel {cid}",
        permission="manage_webhooks",
    )
    g = hook.get("guild_id") or c.guild_id
    return ok(webhook_out(hook), {name_key(str(g), "webhook", name): hook["id"]} if g else {})


@command("webhooks.list")
async def webhooks_list(p: P, c: Call) -> CommandResult:
    if c.get("channel_id"):
        cid = c.id("channel_id")
        hooks = await p.http.request(
            "GET",
            "/channels/{channel_id}/webhooks",
            channel_id=cid,
            what=f"list webhooks of channel {cid}",
            permission="manage_webhooks",
        )
    else:
        g = c.guild()
        hooks = await p.http.request(
            "GET",
            "/guilds/{guild_id}/webhooks",
            guild_id=g,
            what=f"list webhooks of guild {g}",
            permission="manage_webhooks",
        )
    return read([webhook_out(h) for h in hooks])


@command("webhooks.delete")
async def webhooks_delete(p: P, c: Call) -> CommandResult:
    wid = c.id("webhook_id")
    hook: dict[str, Any] | None = None
    if c.guild_id:  # its name, to drop the captured key (DELETE answers 204)
        hooks = await p.http.request(
            "GET",
            "/guilds/{guild_id}/webhooks",
            guild_id=c.guild_id,
            what=f"list webhooks of guild {c.guild_id}",
            permission="manage_webhooks",
        )
        hook = next((h for h in hooks if str(h.get("id")) == wid), None)
    await p.http.request(
        "DELETE",
        "/webhooks/{webhook_id}",
        webhook_id=wid,
        what=f"delete webhook {wid}",
        permission="manage_webhooks",
    )
    forgotten: dict[str, Any] = {}
    if hook is not None and hook.get("name"):
        g = str(hook.get("guild_id") or c.guild_id)
        forgotten = _forget(c, g, "webhook", str(hook["name"]), wid)
    return ok({"id": wid}, forgotten)


@command("webhooks.send")
async def webhooks_send(p: P, c: Call) -> CommandResult:
    if c.get("url"):
        parts = str(c.get("url")).rstrip("/").split("/")
        wid, token = parts[-2], parts[-1]
    else:
        wid, token = c.id("webhook_id"), str(c.need("token"))
    content = str(c.need("content"))
    if len(content) > 2000:
        raise PlatformError(
            f"a webhook message can hold 2,000 characters; this one has {len(content)}",
            act=c.raw.act,
            hint="shorten it or send several",
        )
    body: dict[str, Any] = {"content": content, "allowed_mentions": await p.mentions_for(c)}
    for key in ("username", "avatar_url", "embeds"):
        if c.get(key):
            body[key] = c.get(key)
    message = await p.http.request(
        "POST",
        "/webhooks/{webhook_id}/{webhook_token}",
        webhook_id=wid,
        webhook_token=token,
        json=body,
        params={"wait": "true"},
        what=f"post through webhook {wid}",
    )
    return ok(message_out(message))


# --------------------------------------------------------------------------- listings


async def _listing(p: P, c: Call, path: str, what: str, perm: str | None = None) -> Any:
    g = c.guild()
    return await p.http.request("GET", path, guild_id=g, what=what, permission=perm)


@command("emojis.list")
async def emojis_list(p: P, c: Call) -> CommandResult:
    found = await _listing(p, c, "/guilds/{guild_id}/emojis", "list emojis")
    return read(
        [
            {"id": e.get("id"), "name": e.get("name"), "animated": e.get("animated", False)}
            for e in found
        ]
    )


@command("stickers.list")
async def stickers_list(p: P, c: Call) -> CommandResult:
    found = await _listing(p, c, "/guilds/{guild_id}/stickers", "list stickers")
    return read([{"id": s.get("id"), "name": s.get("name"), "tags": s.get("tags")} for s in found])


@command("invites.list")
async def invites_list(p: P, c: Call) -> CommandResult:
    found = await _listing(p, c, "/guilds/{guild_id}/invites", "list invites", "manage_guild")
    return read(
        [
            {
                "code": i["code"],
                "channel_id": (i.get("channel") or {}).get("id"),
                "uses": i.get("uses"),
                "max_uses": i.get("max_uses"),
            }
            for i in found
        ]
    )


@command("bans.list")
async def bans_list(p: P, c: Call) -> CommandResult:
    found = await _listing(p, c, "/guilds/{guild_id}/bans", "list bans", "ban_members")
    return read([{"user_id": b["user"]["id"], "reason": b.get("reason")} for b in found])
