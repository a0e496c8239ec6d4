"""Channel permission overwrites (``permissions.ensure`` converges: see converge/)."""

from __future__ import annotations

from typing import Any

from narrator.errors import PlatformError
from narrator.platforms.discord.session import Call, Session, ok
from narrator.platforms.discord.transport import permission_bits
from narrator.protocols import CommandResult


async def overwrite_target(session: Session, call: Call) -> tuple[str, int, str]:
    """(target id, type 0 role / 1 member, label) of a permissions.* call."""
    if call.get("role") is not None and call.get("member") is not None:
        raise PlatformError(
            "give one of role / member, not both",
            act=call.raw.act,
            hint="split it into two permissions.* acts",
        )
    if call.get("member") is not None:
        user_id = call.id("member")
        return user_id, 1, f"member {user_id}"
    if call.get("role") is None:
        raise PlatformError(
            f"{call.raw.command} needs role or member",
            act=call.raw.act,
            hint='add role = "Moderators" (a name or id) or member = "<user id>"',
        )
    role_id = await session.resolve_role(call, call.get("role"))
    return role_id, 0, f"role {call.get('role')}"


async def put_overwrite(
    session: Session,
    channel: dict[str, Any],
    target: str,
    kind: int,
    allow: int,
    deny: int,
    label: str,
) -> None:
    """Set the overwrite of ``target`` on ``channel`` and keep the cached channel in step."""
    await session.http.request(
        "PUT",
        "/channels/{channel_id}/permissions/{target_id}",
        channel_id=channel["id"],
        target_id=target,
        json={"allow": str(allow), "deny": str(deny), "type": kind},
        what=f"set permissions of {label}",
        permission="manage_roles",
    )
    rest = [o for o in channel.get("permission_overwrites", []) if o["id"] != target]
    channel["permission_overwrites"] = [
        *rest,
        {"id": target, "type": kind, "allow": str(allow), "deny": str(deny)},
    ]


async def permissions_set(session: Session, call: Call) -> CommandResult:
    channel_id = call.id("channel_id")
    channel = await session.channel_and_guild(call, channel_id)
    target, kind, label = await overwrite_target(session, call)
    allow = permission_bits(call.get("allow", []))
    deny = permission_bits(call.get("deny", []))
    await put_overwrite(
        session, channel, target, kind, allow, deny, f"{label} on channel {channel_id}"
    )
    return ok(
        {
            "channel_id": channel_id,
            "target_id": target,
            "allow": call.get("allow", []),
            "deny": call.get("deny", []),
        }
    )


async def permissions_clear(session: Session, call: Call) -> CommandResult:
    channel_id = call.id("channel_id")
    channel = await session.channel_and_guild(call, channel_id)
    target, _, label = await overwrite_target(session, call)
    await session.http.request(
        "DELETE",
        "/channels/{channel_id}/permissions/{target_id}",
        channel_id=channel_id,
        target_id=target,
        what=f"clear permissions of {label} on channel {channel_id}",
        permission="manage_roles",
    )
    channel["permission_overwrites"] = [
        o for o in channel.get("permission_overwrites", []) if o["id"] != target
    ]
    return ok({"channel_id": channel_id, "target_id": target})


COMMANDS = {
    "permissions.set": permissions_set,
    "permissions.clear": permissions_clear,
}
