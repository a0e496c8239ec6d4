"""Discord catalogue: the server, its channels, categories, roles and members (pure data)."""

from __future__ import annotations

from narrator.catalogue.discord_common import (
    CHANNEL,
    CHANNEL_FIELDS,
    GUILD,
    LIMIT,
    MEMBER,
    R_CHANNEL,
    R_MEMBER,
    R_ROLE,
    REASON,
    ROLE_FIELDS,
    ROLE_ID,
    spec,
)
from narrator.catalogue.spec import Arg, CommandSpec

COMMANDS: tuple[CommandSpec, ...] = (
    # ---- server
    spec(
        "server.get_stats",
        "Counts of members, channels, roles, emojis of a guild.",
        GUILD,
        writes=False,
        result="{id, name, member_count, online_count, channel_count, role_count, emoji_count}",
    ),
    spec(
        "guild.edit",
        "Edit the guild's name, description or verification level.",
        {
            **GUILD,
            "name": Arg("str"),
            "description": Arg("str"),
            "verification_level": Arg("int"),
            **REASON,
        },
        result="{id, name, description}",
    ),
    # ---- channels
    spec(
        "channels.list",
        "Every channel of the guild (optionally one kind).",
        {**GUILD, "kind": Arg("str", doc="only this kind")},
        writes=False,
        result=f"[{R_CHANNEL}]",
    ),
    spec(
        "channels.get",
        "One channel, by id or by name.",
        {
            **GUILD,
            "channel_id": Arg("id", doc="channel id (or give name)"),
            "name": Arg("str", doc="channel name"),
        },
        writes=False,
        result=R_CHANNEL,
    ),
    spec("channels.create", "Create a channel.", CHANNEL_FIELDS, result=R_CHANNEL),
    spec(
        "channels.ensure",
        "Make sure a channel exists with these fields; create or update only what differs.",
        CHANNEL_FIELDS,
        convergent=True,
        result=R_CHANNEL,
    ),
    spec(
        "channels.get_or_create",
        "Botticelli: the channel with this name, created when missing (never updated).",
        CHANNEL_FIELDS,
        convergent=True,
        result=R_CHANNEL,
    ),
    spec(
        "channels.edit",
        "Change fields of a channel.",
        {**CHANNEL_FIELDS, **CHANNEL, "name": Arg("str", doc="new name"), **REASON},
        result=R_CHANNEL,
    ),
    spec(
        "channels.delete",
        "Delete a channel.",
        {**CHANNEL, **REASON},
        destructive=True,
        result="{id}",
    ),
    spec(
        "channels.create_invite",
        "Create an invite to a channel.",
        {
            **CHANNEL,
            "max_age": Arg("int", doc="seconds, 0 = never expires (default 86400)"),
            "max_uses": Arg("int", doc="0 = unlimited"),
            "temporary": Arg("bool"),
            "unique": Arg("bool"),
        },
        result="{code, url, channel_id, max_age, max_uses}",
    ),
    spec(
        "channels.typing",
        "Show the bot as typing in a channel (for about ten seconds, or until it sends).",
        CHANNEL,
        result="{channel_id, typing}",
    ),
    spec(
        "categories.ensure",
        "Make sure a category exists.",
        {**GUILD, "name": Arg("str", required=True), "position": Arg("int")},
        convergent=True,
        result="{id, name, kind, position}",
    ),
    # ---- roles
    spec("roles.list", "Every role of the guild.", GUILD, writes=False, result=f"[{R_ROLE}]"),
    spec(
        "roles.get",
        "One role, by id or name.",
        {**GUILD, "role": Arg("str", required=True, doc="role name or id"), **ROLE_ID},
        writes=False,
        result=R_ROLE,
    ),
    spec("roles.create", "Create a role.", ROLE_FIELDS, result=R_ROLE),
    spec(
        "roles.ensure",
        "Make sure a role exists with these fields.",
        ROLE_FIELDS,
        convergent=True,
        result=R_ROLE,
    ),
    spec(
        "roles.edit",
        "Change fields of a role.",
        {
            **ROLE_FIELDS,
            "role": Arg("str", required=True, doc="role name or id"),
            **ROLE_ID,
            "name": Arg("str", doc="new name"),
            **REASON,
        },
        result=R_ROLE,
    ),
    spec(
        "roles.delete",
        "Delete a role.",
        {**GUILD, "role": Arg("str", required=True, doc="role name or id"), **ROLE_ID, **REASON},
        destructive=True,
        result="{id}",
    ),
    spec(
        "roles.assign",
        "Give a member a role.",
        {**MEMBER, "role": Arg("str", required=True, doc="role name or id"), **ROLE_ID, **REASON},
        result="{user_id, role_id}",
    ),
    spec(
        "roles.remove",
        "Take a role from a member.",
        {**MEMBER, "role": Arg("str", required=True, doc="role name or id"), **ROLE_ID, **REASON},
        result="{user_id, role_id}",
    ),
    # ---- members
    spec(
        "members.list",
        "Members of the guild.",
        {**GUILD, **LIMIT, "after": Arg("id", doc="page after this user id")},
        writes=False,
        result=f"[{R_MEMBER}]",
    ),
    spec("members.get", "One member.", MEMBER, writes=False, result=R_MEMBER),
    spec(
        "members.edit",
        "Change a member's nickname, roles, mute or deafen.",
        {
            **MEMBER,
            "nick": Arg("str"),
            "nickname": Arg("str", doc="Botticelli spelling of nick"),
            "roles": Arg("list", doc="role names or ids (replaces all)"),
            "mute": Arg("bool"),
            "deaf": Arg("bool"),
            "deafen": Arg("bool", doc="Botticelli spelling of deaf"),
            **REASON,
        },
        result=R_MEMBER,
    ),
    spec(
        "members.ban",
        "Ban a member.",
        {
            **MEMBER,
            "delete_message_seconds": Arg(
                "int", doc="delete the member's messages of this many seconds back (at most 604800)"
            ),
            "delete_message_days": Arg("int", doc="Botticelli: the same in days (0-7)"),
            **REASON,
        },
        destructive=True,
        result="{user_id}",
    ),
    spec("members.unban", "Lift a ban.", {**MEMBER, **REASON}, result="{user_id}"),
    spec(
        "members.kick",
        "Remove a member from the guild.",
        {**MEMBER, **REASON},
        destructive=True,
        result="{user_id}",
    ),
    spec(
        "members.timeout",
        "Time a member out.",
        {
            **MEMBER,
            "duration": Arg("any", doc='seconds, or "10m", "1h", "1d" (at most 28 days)'),
            "duration_seconds": Arg("int", doc="Botticelli spelling of duration (seconds)"),
            "until": Arg("str", doc="ISO 8601 end of the timeout (instead of duration)"),
            **REASON,
        },
        result="{user_id, communication_disabled_until}",
    ),
    spec(
        "members.remove_timeout",
        "End a member's timeout.",
        {**MEMBER, **REASON},
        result="{user_id, communication_disabled_until}",
    ),
)
