"""Convergent commands, the I/O half: read Discord and state, ask decide.py, perform.

Identity: the id stored at ``discord.{guild}.{what}.{name}`` is verified against
the guild (one cached read of channels and roles per run); a stored id that no
longer exists is reported as drift and the resource recreated, with the key
corrected. Without a stored id, a resource of the same name is adopted.

Drift vs update: ``discord.{guild}.spec.{what}.{name}`` keeps a fingerprint of
the fields last applied. When the live resource differs but the declaration
did not change since then, someone changed Discord out of band: ``drift``.
When the declaration changed: ``update``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from narrator.catalogue import keys
from narrator.errors import PlatformError, ResourceNotFound
from narrator.platforms.discord.commands.permissions import overwrite_target, put_overwrite
from narrator.platforms.discord.converge.decide import classify
from narrator.platforms.discord.converge.decide import diff as differences
from narrator.platforms.discord.reconcile import find_ensured
from narrator.platforms.discord.session import Call, Session
from narrator.platforms.discord.shapes import (
    channel_out,
    channel_payload,
    fingerprint,
    kind_of,
    message_out,
    role_out,
    role_payload,
    webhook_out,
)
from narrator.platforms.discord.text import KIND_NAMES, normalize_channel_name
from narrator.platforms.discord.transport import permission_bits, permission_names
from narrator.protocols import Change, CommandResult


def _typed(change: dict[str, Any]) -> Change:
    fields = {name: (old, new) for name, (old, new) in change["fields"].items()}
    return Change(change["action"], change["resource"], fields, reason=change.get("reason"))


def _result(
    call: Call,
    output: Any,
    change: dict[str, Any],
    captures: dict[str, Any],
    wrote: bool,
) -> CommandResult:
    fresh = {k: v for k, v in captures.items() if call.lookup(k) != v}
    return CommandResult(output=output, captures=fresh, changes=[_typed(change)], wrote=wrote)


# --------------------------------------------------------------------------- channels


async def _ensure_channel(
    session: Session, call: Call, kind: int, *, update: bool = True
) -> CommandResult:
    guild_id = call.guild()
    name = str(call.need("name"))
    what = "category" if kind == 4 else "channel"
    key, spec_key = keys.capture_key(guild_id, what, name), keys.spec_key(guild_id, what, name)
    want_name = normalize_channel_name(name, kind)
    channels = await session.channels(guild_id)

    parent: str | None = None
    parent_pending = False
    if kind != 4 and call.get("category") is not None:
        try:
            parent = await session.resolve_category(call, call.get("category"))
        except PlatformError:
            if not call.dry_run:
                raise
            parent_pending = True
    desired: dict[str, Any] = {"name": want_name}
    body = channel_payload(call, kind, parent)
    for field in ("topic", "position", "nsfw", "rate_limit_per_user", "bitrate", "user_limit"):
        if field in body:
            desired[field] = body[field]
    if call.get("category") is not None:
        desired["parent_id"] = (
            parent if not parent_pending else f"(new category {call.get('category')})"
        )
    declared = fingerprint({**desired, "kind": kind, "category": call.get("category")})

    stored = call.lookup(key)
    existing = channels.get(str(stored)) if stored else None
    if existing is not None and existing["type"] != kind:
        existing = None
    reason = "deleted out of band" if stored and existing is None else None
    found_by_id = existing is not None
    if existing is None:
        same_name = [
            ch for ch in channels.values() if ch["type"] == kind and ch["name"] == want_name
        ]
        same_name.sort(key=lambda ch: (ch.get("parent_id") != parent, int(ch["id"])))
        existing = same_name[0] if same_name else None

    label = f"category {name}" if kind == 4 else f"channel #{want_name}"
    if existing is None:
        change: dict[str, Any] = {
            "action": "drift" if reason else "create",
            "resource": label,
            "fields": {k: [None, v] for k, v in desired.items()},
        }
        if reason:
            change["reason"] = f"{reason}; will be recreated"
        if call.dry_run:
            planned = {"id": None, "name": want_name, "kind": KIND_NAMES.get(kind), **desired}
            return CommandResult(output=planned, changes=[_typed(change)], wrote=False)
        created = await session.http.request(
            "POST",
            "/guilds/{guild_id}/channels",
            guild_id=guild_id,
            json=body,
            what=f"create {label} in guild {guild_id}",
            permission="manage_channels",
        )
        session.remember_channel(created)
        captures = {key: created["id"], spec_key: declared}
        return _result(call, channel_out(created), change, captures, True)

    diff = differences(existing, desired)
    if not update:
        diff = {}
    action = classify(
        diff,
        found_by_stored_id=found_by_id,
        stored_fingerprint=call.lookup(spec_key),
        declared=declared,
    )
    change = {"action": action, "resource": label, "fields": diff}
    if action == "drift":
        change["reason"] = (
            f"renamed out of band to #{existing['name']}; will be renamed back"
            if "name" in diff
            else "changed out of band; will be restored"
        )
    captures = {key: existing["id"], spec_key: declared}
    if not diff or call.dry_run:
        result = _result(call, channel_out(existing), change, captures, False)
        return (
            result
            if not call.dry_run
            else CommandResult(result.output, {}, [_typed(change)], False)
        )
    patch = {k: v[1] for k, v in diff.items()}
    edited = await session.http.request(
        "PATCH",
        "/channels/{channel_id}",
        channel_id=existing["id"],
        json=patch,
        what=f"update {label}",
        permission="manage_channels",
    )
    session.remember_channel(edited)
    return _result(call, channel_out(edited), change, captures, True)


async def channels_ensure(session: Session, call: Call) -> CommandResult:
    return await _ensure_channel(session, call, kind_of(call))


async def categories_ensure(session: Session, call: Call) -> CommandResult:
    return await _ensure_channel(session, call, 4)


async def channels_get_or_create(session: Session, call: Call) -> CommandResult:
    return await _ensure_channel(session, call, kind_of(call), update=False)


# --------------------------------------------------------------------------- roles


async def roles_ensure(session: Session, call: Call) -> CommandResult:
    guild_id = call.guild()
    name = str(call.need("name"))
    key, spec_key = keys.capture_key(guild_id, "role", name), keys.spec_key(guild_id, "role", name)
    roles = await session.roles(guild_id)
    desired = role_payload(call)
    declared = fingerprint(desired)
    stored = call.lookup(key)
    existing = roles.get(str(stored)) if stored else None
    reason = "deleted out of band" if stored and existing is None else None
    found_by_id = existing is not None
    if existing is None:
        same = [r for r in roles.values() if r["name"] == name]
        existing = min(same, key=lambda r: int(r["id"])) if same else None
    label = f"role {name}"

    def show(field: str, value: Any) -> Any:
        if field == "permissions":
            return permission_names(int(value or 0))
        if field == "color":
            return f"#{int(value or 0):06x}"
        return value

    if existing is None:
        change: dict[str, Any] = {
            "action": "drift" if reason else "create",
            "resource": label,
            "fields": {k: [None, show(k, v)] for k, v in desired.items()},
        }
        if reason:
            change["reason"] = f"{reason}; will be recreated"
        if call.dry_run:
            return CommandResult(
                output={"id": None, "name": name}, changes=[_typed(change)], wrote=False
            )
        role = await session.http.request(
            "POST",
            "/guilds/{guild_id}/roles",
            guild_id=guild_id,
            json=desired,
            what=f"create {label} in guild {guild_id}",
            permission="manage_roles",
        )
        session.remember_role(guild_id, role)
        return _result(call, role_out(role), change, {key: role["id"], spec_key: declared}, True)

    diff = differences(existing, desired, show)
    action = classify(
        diff,
        found_by_stored_id=found_by_id,
        stored_fingerprint=call.lookup(spec_key),
        declared=declared,
    )
    change = {"action": action, "resource": label, "fields": diff}
    if action == "drift":
        change["reason"] = "changed out of band; will be restored"
    captures = {key: existing["id"], spec_key: declared}
    if not diff or call.dry_run:
        if call.dry_run:
            return CommandResult(output=role_out(existing), changes=[_typed(change)], wrote=False)
        return _result(call, role_out(existing), change, captures, False)
    patch = {k: desired[k] for k in diff}
    role = await session.http.request(
        "PATCH",
        "/guilds/{guild_id}/roles/{role_id}",
        guild_id=guild_id,
        role_id=existing["id"],
        json=patch,
        what=f"update {label}",
        permission="manage_roles",
    )
    session.remember_role(guild_id, role)
    return _result(call, role_out(role), change, captures, True)


# --------------------------------------------------------------------------- overwrites


async def permissions_ensure(session: Session, call: Call) -> CommandResult:
    allow = permission_bits(call.get("allow", []))
    deny = permission_bits(call.get("deny", []))
    who = call.get("role") or call.get("member")
    raw_channel = call.get("channel_id")
    channel: dict[str, Any] | None = None
    if raw_channel is not None and str(raw_channel).strip().isdigit():
        try:
            channel = await session.channel_and_guild(call, call.id("channel_id"))
        except ResourceNotFound:
            if not call.dry_run:
                raise
    elif not call.dry_run:
        call.id("channel_id")  # raises the usual "must be an id" error
    try:
        target, kind, label = await overwrite_target(session, call)
    except PlatformError:
        if not call.dry_run:
            raise
        target, kind, label = "", 0, f"role {who}"
    where = f"#{channel['name']}" if channel else "(a channel to be created)"
    resource = f"overwrite for {label} on {where}"
    want = {"allow": permission_names(allow), "deny": permission_names(deny)}
    if channel is None or not target:
        change = {
            "action": "create",
            "resource": resource,
            "fields": {k: [None, v] for k, v in want.items()},
        }
        return CommandResult(output=None, changes=[_typed(change)], wrote=False)

    channel_id = channel["id"]
    guild_id = str(channel.get("guild_id") or call.guild_id)
    spec_key = keys.overwrite_spec_key(guild_id, channel_id, target)
    declared = fingerprint({"allow": allow, "deny": deny, "type": kind})
    current = next((o for o in channel.get("permission_overwrites", []) if o["id"] == target), None)
    output = {"channel_id": channel_id, "target_id": target, **want}
    if current is None:
        change = {
            "action": "create",
            "resource": resource,
            "fields": {k: [None, v] for k, v in want.items()},
        }
        if call.lookup(spec_key) is not None:
            change = {
                **change,
                "action": "drift",
                "reason": "removed out of band; will be restored",
            }
    else:
        have = {"allow": int(current["allow"]), "deny": int(current["deny"])}
        diff = {
            k: [permission_names(have[k]), permission_names(v)]
            for k, v in (("allow", allow), ("deny", deny))
            if have[k] != v
        }
        action = (
            classify(
                diff,
                found_by_stored_id=True,
                stored_fingerprint=call.lookup(spec_key),
                declared=declared,
            )
            if diff
            else "unchanged"
        )
        if diff and call.lookup(spec_key) is None:
            action = "update"
        change = {"action": action, "resource": resource, "fields": diff}
        if action == "drift":
            change["reason"] = "changed out of band; will be restored"
        if not diff:
            return _result(call, output, change, {spec_key: declared}, False)
    if call.dry_run:
        return CommandResult(output=output, changes=[_typed(change)], wrote=False)
    await put_overwrite(session, channel, target, kind, allow, deny, f"{label} on {where}")
    return _result(call, output, change, {spec_key: declared}, True)


# --------------------------------------------------------------------------- webhooks


async def webhooks_ensure(session: Session, call: Call) -> CommandResult:
    raw = call.get("channel_id")
    name = str(call.need("name"))
    if call.dry_run and (raw is None or not str(raw).isdigit()):
        change = {"action": "create", "resource": f"webhook {name}", "fields": {}}
        return CommandResult(output=None, changes=[_typed(change)], wrote=False)
    channel_id = call.id("channel_id")
    try:
        channel = await session.channel_and_guild(call, channel_id)
    except ResourceNotFound:
        if not call.dry_run:
            raise
        change = {"action": "create", "resource": f"webhook {name}", "fields": {}}
        return CommandResult(output=None, changes=[_typed(change)], wrote=False)
    guild_id = str(channel.get("guild_id") or call.guild())
    key = keys.capture_key(guild_id, "webhook", name)
    hooks = await session.http.request(
        "GET",
        "/channels/{channel_id}/webhooks",
        channel_id=channel_id,
        what=f"list webhooks of #{channel['name']}",
        permission="manage_webhooks",
    )
    stored = call.lookup(key)
    existing = next((h for h in hooks if h["id"] == str(stored)), None) if stored else None
    existing = existing or next((h for h in hooks if h["name"] == name), None)
    resource = f"webhook {name} on #{channel['name']}"
    if existing is not None:
        change = {"action": "unchanged", "resource": resource, "fields": {}}
        return _result(call, webhook_out(existing), change, {key: existing["id"]}, False)
    change = {"action": "drift" if stored else "create", "resource": resource, "fields": {}}
    if stored:
        change["reason"] = "deleted out of band; will be recreated"
    if call.dry_run:
        return CommandResult(output=None, changes=[_typed(change)], wrote=False)
    hook = await session.http.request(
        "POST",
        "/channels/{channel_id}/webhooks",
        channel_id=channel_id,
        json={"name": name},
        what=f"create {resource}",
        permission="manage_webhooks",
    )
    return _result(call, webhook_out(hook), change, {key: hook["id"]}, True)


# --------------------------------------------------------------------------- messages


async def messages_ensure(session: Session, call: Call) -> CommandResult:
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
    raw = call.get("channel_id")
    channel: dict[str, Any] | None = None
    if raw is not None and str(raw).strip().isdigit():
        try:
            channel = await session.channel_and_guild(call, call.id("channel_id"))
        except ResourceNotFound:
            if not call.dry_run:
                raise
    elif not call.dry_run:
        call.id("channel_id")
    fields_new = {"content": [None, content], **({"pinned": [None, True]} if pin else {})}
    change: dict[str, Any]
    if channel is None:
        change = {"action": "send", "resource": f"message {key_name}", "fields": fields_new}
        return CommandResult(output=None, changes=[_typed(change)], wrote=False)

    channel_id = channel["id"]
    guild_id = str(channel.get("guild_id") or call.guild())
    key = keys.message_key(guild_id, key_name)
    spec_key = keys.spec_key(guild_id, "message", key_name)
    declared = fingerprint({"content": content, "pin": bool(pin)})
    resource = f"message {key_name} in #{channel['name']}"
    stored = call.lookup(key)
    owner = (
        f"ensure:{channel_id}:{keys.key_segment(key_name)}"  # who claims the message in this run
    )
    existing: dict[str, Any] | None = None
    if stored:
        try:
            existing = await session.http.request(
                "GET",
                "/channels/{channel_id}/messages/{message_id}",
                channel_id=channel_id,
                message_id=str(stored),
                what=f"read {resource}",
                permission="read_message_history",
            )
        except ResourceNotFound:
            existing = None
    found_by_id = existing is not None
    adopted = False
    if existing is None:
        # No verified stored id: the bot's message with this content may be there
        # already (a crash after the send, before the commit): adopt it.
        existing = await find_ensured(
            session,
            call,
            channel_id,
            content,
            owner,
            pinned_first=bool(pin),
            what=f"#{channel['name']}",
        )
        adopted = existing is not None
    if existing is not None:
        session.claimed[existing["id"]] = owner

    if existing is None:
        change = {
            "action": "drift" if stored else "send",
            "resource": resource,
            "fields": fields_new,
        }
        if stored:
            change["reason"] = "deleted out of band; will be re-sent"
        if call.dry_run:
            return CommandResult(output=None, changes=[_typed(change)], wrote=False)
        # The nonce depends on what is declared, not on the run: a re-run within
        # Discord's nonce window is deduplicated by Discord itself as well.
        seed_key = f"{owner}:{declared}:{stored or ''}"
        seed = Call(replace(call.raw, idempotency_key=seed_key), call.args, call.guild_id)
        sent = (
            await session.send_text(
                seed, channel_id, content, what=f"send {resource}", reconcile=False
            )
        )[0]
        session.claimed[sent["id"]] = owner
        if pin:
            await _pin(session, channel_id, sent["id"], resource)
            sent["pinned"] = True
        captures = {key: sent["id"], spec_key: declared}
        return _result(call, message_out(sent), change, captures, True)

    diff: dict[str, Any] = {}
    if existing.get("content") != content:
        diff["content"] = [existing.get("content"), content]
    if pin is not None and bool(existing.get("pinned")) != bool(pin):
        diff["pinned"] = [bool(existing.get("pinned")), bool(pin)]
    action = classify(
        diff,
        found_by_stored_id=found_by_id,
        stored_fingerprint=call.lookup(spec_key),
        declared=declared,
    )
    change = {"action": action, "resource": resource, "fields": diff}
    if action == "drift":
        change["reason"] = "changed out of band; will be restored"
    if adopted:
        change["reason"] = "adopted the bot's message already in the channel (same content)"
    captures = {key: existing["id"], spec_key: declared}
    if not diff or call.dry_run:
        if call.dry_run:
            return CommandResult(
                output=message_out(existing), changes=[_typed(change)], wrote=False
            )
        return _result(call, message_out(existing), change, captures, False)
    message = existing
    if "content" in diff:
        message = await session.http.request(
            "PATCH",
            "/channels/{channel_id}/messages/{message_id}",
            channel_id=channel_id,
            message_id=existing["id"],
            json={"content": content, "allowed_mentions": await session.mentions_for(call)},
            what=f"edit {resource}",
            permission="send_messages",
        )
    if "pinned" in diff:
        if pin:
            await _pin(session, channel_id, existing["id"], resource)
        else:
            await session.http.request(
                "DELETE",
                "/channels/{channel_id}/messages/pins/{message_id}",
                channel_id=channel_id,
                message_id=existing["id"],
                what=f"unpin {resource}",
                permission="manage_messages",
            )
        message = {**message, "pinned": bool(pin)}
    return _result(call, message_out(message), change, captures, True)


async def _pin(session: Session, channel_id: str, message_id: str, resource: str) -> None:
    await session.http.request(
        "PUT",
        "/channels/{channel_id}/messages/pins/{message_id}",
        channel_id=channel_id,
        message_id=message_id,
        what=f"pin {resource}",
        permission="manage_messages",
    )


COMMANDS = {
    "channels.ensure": channels_ensure,
    "categories.ensure": categories_ensure,
    "channels.get_or_create": channels_get_or_create,
    "roles.ensure": roles_ensure,
    "permissions.ensure": permissions_ensure,
    "webhooks.ensure": webhooks_ensure,
    "messages.ensure": messages_ensure,
}
