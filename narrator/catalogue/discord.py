"""The Discord commands: every name narratives may use, its arguments and flags.

Pure data, built here as one explicit table (``COMMANDS``) plus the Botticelli
spellings (``ALIASES``); :mod:`narrator.catalogue` indexes them. The platform
that performs them is :mod:`narrator.platforms.discord`, whose ``COMMANDS``
table must name the same commands (a test checks both ways).
"""

from __future__ import annotations

from collections.abc import Mapping

from narrator.catalogue.spec import Arg, CommandSpec

# channel kinds the platform accepts for ``kind`` (case-insensitive)
KINDS = ("text", "voice", "category", "announcement", "news", "stage", "forum")

_GUILD = {"guild_id": Arg("id", doc="guild (server) id; defaults to [discord] guild_id")}


def _spec(
    name: str,
    doc: str,
    args: Mapping[str, Arg],
    *,
    destructive: bool = False,
    convergent: bool = False,
    writes: bool = True,
    result: str = "",
) -> CommandSpec:
    # Every Discord command accepts guild_id (Botticelli files pass it everywhere).
    return CommandSpec(
        "discord",
        name,
        {**args, **{k: v for k, v in _GUILD.items() if k not in args}},
        doc,
        destructive=destructive,
        convergent=convergent,
        writes=writes,
        result=result,
    )


_CHANNEL = {"channel_id": Arg("id", required=True, doc="channel id")}
_MESSAGE = {**_CHANNEL, "message_id": Arg("id", required=True, doc="message id")}
_MEMBER = {**_GUILD, "user_id": Arg("id", required=True, doc="member (user) id")}
_REASON = {"reason": Arg("str", doc="audit-log reason")}
_LIMIT = {"limit": Arg("int", doc="how many to return (default 50, at most 100)")}
_CHANNEL_FIELDS = {
    **_GUILD,
    "name": Arg("str", required=True, doc="channel name"),
    "kind": Arg(
        "str", doc="text, voice, category, announcement or forum (default text)", choices=KINDS
    ),
    "channel_type": Arg("str", doc="Botticelli spelling of kind", choices=KINDS),
    "topic": Arg("str", doc="channel topic"),
    "category": Arg("str", doc="name (or id) of the category to place the channel in"),
    "position": Arg("int", doc="sorting position"),
    "nsfw": Arg("bool", doc="age-restricted"),
    "slowmode": Arg("int", doc="seconds between a member's messages (rate_limit_per_user)"),
    "bitrate": Arg("int", doc="voice bitrate"),
    "user_limit": Arg("int", doc="voice user limit"),
}
_ROLE_FIELDS = {
    **_GUILD,
    "name": Arg("str", required=True, doc="role name"),
    "color": Arg("any", doc='"#rrggbb" or an integer'),
    "hoist": Arg("bool", doc="show members separately"),
    "mentionable": Arg("bool", doc="anyone may @mention the role"),
    "permissions": Arg("list", doc="list of permission names, e.g. send_messages"),
}
_OVERWRITE = {
    **_CHANNEL,
    **_GUILD,
    "role": Arg("str", doc="role name or id (one of role / member)"),
    "member": Arg("id", doc="member id (one of role / member)"),
    "allow": Arg("list", doc="permission names to allow"),
    "deny": Arg("list", doc="permission names to deny"),
}
_CONTENT = {
    "content": Arg("str", doc="text; over 2,000 characters it is split on line/word boundaries"),
    "mentions": Arg(
        "list",
        doc='who may be pinged: "everyone", "roles", "users", or ids; '
        "default none for model text, users+roles for static text",
    ),
    "embeds": Arg("list", doc="Discord embed objects"),
}
_EVENT_FIELDS = {
    **_GUILD,
    "name": Arg("str", doc="event name"),
    "description": Arg("str"),
    "start_time": Arg("str", doc="ISO 8601 start time"),
    "end_time": Arg("str", doc="ISO 8601 end time (required for external events)"),
    "location": Arg("str", doc="place of an external event"),
    "channel_id": Arg("id", doc="voice/stage channel of the event (else external)"),
    "status": Arg(
        "str",
        doc="scheduled, active, completed or canceled",
        choices=("scheduled", "active", "completed", "canceled", "cancelled"),
    ),
}
_THREAD_FIELDS = {
    **_CHANNEL,
    "name": Arg("str", required=True, doc="thread name"),
    "message_id": Arg("id", doc="start the thread from this message"),
    "private": Arg("bool", doc="private thread (text channels only)"),
    "auto_archive_duration": Arg("int", doc="minutes: 60, 1440, 4320 or 10080"),
    "slowmode": Arg("int"),
}

_R_CHANNEL = "{id, name, kind, topic, category_id, position, nsfw, guild_id}"
_R_ROLE = "{id, name, color, hoist, mentionable, permissions, position}"
_R_MESSAGE = "{id, channel_id, content, author_id, pinned, ids (when split)}"
_R_MEMBER = "{id, name, nick, roles, joined_at, communication_disabled_until}"
_R_THREAD = "{id, name, parent_id, archived, locked, kind}"
_R_EVENT = "{id, name, description, start_time, end_time, status, location, channel_id}"

COMMANDS: tuple[CommandSpec, ...] = (
    # ---- server
    _spec(
        "server.get_stats",
        "Counts of members, channels, roles, emojis of a guild.",
        _GUILD,
        writes=False,
        result="{id, name, member_count, online_count, channel_count, role_count, emoji_count}",
    ),
    _spec(
        "guild.edit",
        "Edit the guild's name, description or verification level.",
        {
            **_GUILD,
            "name": Arg("str"),
            "description": Arg("str"),
            "verification_level": Arg("int"),
            **_REASON,
        },
        result="{id, name, description}",
    ),
    # ---- channels
    _spec(
        "channels.list",
        "Every channel of the guild (optionally one kind).",
        {**_GUILD, "kind": Arg("str", doc="only this kind")},
        writes=False,
        result=f"[{_R_CHANNEL}]",
    ),
    _spec(
        "channels.get",
        "One channel, by id or by name.",
        {
            **_GUILD,
            "channel_id": Arg("id", doc="channel id (or give name)"),
            "name": Arg("str", doc="channel name"),
        },
        writes=False,
        result=_R_CHANNEL,
    ),
    _spec("channels.create", "Create a channel.", _CHANNEL_FIELDS, result=_R_CHANNEL),
    _spec(
        "channels.ensure",
        "Make sure a channel exists with these fields; create or update only what differs.",
        _CHANNEL_FIELDS,
        convergent=True,
        result=_R_CHANNEL,
    ),
    _spec(
        "channels.get_or_create",
        "Botticelli: the channel with this name, created when missing (never updated).",
        _CHANNEL_FIELDS,
        convergent=True,
        result=_R_CHANNEL,
    ),
    _spec(
        "channels.edit",
        "Change fields of a channel.",
        {**_CHANNEL_FIELDS, **_CHANNEL, "name": Arg("str", doc="new name"), **_REASON},
        result=_R_CHANNEL,
    ),
    _spec(
        "channels.delete",
        "Delete a channel.",
        {**_CHANNEL, **_REASON},
        destructive=True,
        result="{id}",
    ),
    _spec(
        "channels.create_invite",
        "Create an invite to a channel.",
        {
            **_CHANNEL,
            "max_age": Arg("int", doc="seconds, 0 = never expires (default 86400)"),
            "max_uses": Arg("int", doc="0 = unlimited"),
            "temporary": Arg("bool"),
            "unique": Arg("bool"),
        },
        result="{code, url, channel_id, max_age, max_uses}",
    ),
    _spec(
        "categories.ensure",
        "Make sure a category exists.",
        {**_GUILD, "name": Arg("str", required=True), "position": Arg("int")},
        convergent=True,
        result="{id, name, kind, position}",
    ),
    # ---- roles
    _spec("roles.list", "Every role of the guild.", _GUILD, writes=False, result=f"[{_R_ROLE}]"),
    _spec(
        "roles.get",
        "One role, by id or name.",
        {**_GUILD, "role": Arg("str", required=True, doc="role name or id")},
        writes=False,
        result=_R_ROLE,
    ),
    _spec("roles.create", "Create a role.", _ROLE_FIELDS, result=_R_ROLE),
    _spec(
        "roles.ensure",
        "Make sure a role exists with these fields.",
        _ROLE_FIELDS,
        convergent=True,
        result=_R_ROLE,
    ),
    _spec(
        "roles.edit",
        "Change fields of a role.",
        {
            **_ROLE_FIELDS,
            "role": Arg("str", required=True, doc="role name or id"),
            "name": Arg("str", doc="new name"),
            **_REASON,
        },
        result=_R_ROLE,
    ),
    _spec(
        "roles.delete",
        "Delete a role.",
        {**_GUILD, "role": Arg("str", required=True, doc="role name or id"), **_REASON},
        destructive=True,
        result="{id}",
    ),
    _spec(
        "roles.assign",
        "Give a member a role.",
        {**_MEMBER, "role": Arg("str", required=True, doc="role name or id"), **_REASON},
        result="{user_id, role_id}",
    ),
    _spec(
        "roles.remove",
        "Take a role from a member.",
        {**_MEMBER, "role": Arg("str", required=True, doc="role name or id"), **_REASON},
        result="{user_id, role_id}",
    ),
    # ---- members
    _spec(
        "members.list",
        "Members of the guild.",
        {**_GUILD, **_LIMIT, "after": Arg("id", doc="page after this user id")},
        writes=False,
        result=f"[{_R_MEMBER}]",
    ),
    _spec("members.get", "One member.", _MEMBER, writes=False, result=_R_MEMBER),
    _spec(
        "members.edit",
        "Change a member's nickname, roles, mute or deafen.",
        {
            **_MEMBER,
            "nick": Arg("str"),
            "roles": Arg("list", doc="role names or ids (replaces all)"),
            "mute": Arg("bool"),
            "deaf": Arg("bool"),
            **_REASON,
        },
        result=_R_MEMBER,
    ),
    _spec(
        "members.ban",
        "Ban a member.",
        {**_MEMBER, "delete_message_seconds": Arg("int"), **_REASON},
        destructive=True,
        result="{user_id}",
    ),
    _spec("members.unban", "Lift a ban.", {**_MEMBER, **_REASON}, result="{user_id}"),
    _spec(
        "members.kick",
        "Remove a member from the guild.",
        {**_MEMBER, **_REASON},
        destructive=True,
        result="{user_id}",
    ),
    _spec(
        "members.timeout",
        "Time a member out.",
        {
            **_MEMBER,
            "duration": Arg("any", doc='seconds, or "10m", "1h", "1d" (at most 28 days)'),
            "until": Arg("str", doc="ISO 8601 end of the timeout (instead of duration)"),
            **_REASON,
        },
        result="{user_id, communication_disabled_until}",
    ),
    _spec(
        "members.remove_timeout",
        "End a member's timeout.",
        {**_MEMBER, **_REASON},
        result="{user_id, communication_disabled_until}",
    ),
    # ---- messages
    _spec(
        "messages.send",
        "Send a message (split when over 2,000 characters).",
        {**_CHANNEL, **_CONTENT, "content": Arg("str", required=True), "reply_to": Arg("id")},
        result=_R_MESSAGE,
    ),
    _spec(
        "messages.ensure",
        "Post a message once; edit it when the content changes; re-post when deleted.",
        {
            **_CHANNEL,
            **_GUILD,
            "key": Arg("str", doc="stable name of this message (default: the act name)"),
            **_CONTENT,
            "content": Arg("str", required=True),
            "pin": Arg("bool", doc="keep it pinned"),
        },
        convergent=True,
        result=_R_MESSAGE,
    ),
    _spec(
        "messages.edit",
        "Change a message's content.",
        {**_MESSAGE, **_CONTENT, "content": Arg("str", required=True)},
        result=_R_MESSAGE,
    ),
    _spec(
        "messages.delete",
        "Delete a message.",
        {**_MESSAGE, **_REASON},
        destructive=True,
        result="{id}",
    ),
    _spec("messages.get", "One message.", _MESSAGE, writes=False, result=_R_MESSAGE),
    _spec(
        "messages.list",
        "Recent messages of a channel, newest first.",
        {**_CHANNEL, **_LIMIT, "before": Arg("id"), "after": Arg("id")},
        writes=False,
        result=f"[{_R_MESSAGE}]",
    ),
    _spec("messages.pin", "Pin a message.", {**_MESSAGE, **_REASON}, result="{id}"),
    _spec("messages.unpin", "Unpin a message.", {**_MESSAGE, **_REASON}, result="{id}"),
    _spec(
        "messages.bulk_delete",
        "Delete 2-100 messages younger than 14 days.",
        {**_CHANNEL, "message_ids": Arg("list", required=True), **_REASON},
        destructive=True,
        result="{deleted: count}",
    ),
    _spec(
        "messages.clear",
        "Delete the most recent messages of a channel (default 100).",
        {**_CHANNEL, **_LIMIT, **_REASON},
        destructive=True,
        result="{deleted: count}",
    ),
    # ---- reactions
    _spec(
        "reactions.add",
        "React to a message as the bot.",
        {**_MESSAGE, "emoji": Arg("str", required=True, doc="unicode emoji or name:id")},
        result="{message_id, emoji}",
    ),
    _spec(
        "reactions.remove",
        "Remove the bot's (or a user's) reaction.",
        {**_MESSAGE, "emoji": Arg("str", required=True), "user_id": Arg("id")},
        result="{message_id, emoji}",
    ),
    _spec(
        "reactions.clear",
        "Remove every reaction (or every reaction of one emoji) from a message.",
        {**_MESSAGE, "emoji": Arg("str")},
        destructive=True,
        result="{message_id}",
    ),
    _spec(
        "reactions.list",
        "Users who reacted with an emoji.",
        {**_MESSAGE, "emoji": Arg("str", required=True), **_LIMIT},
        writes=False,
        result="[{id, name}]",
    ),
    # ---- threads
    _spec("threads.create", "Start a thread.", _THREAD_FIELDS, result=_R_THREAD),
    _spec(
        "threads.edit",
        "Rename, archive or lock a thread.",
        {
            "thread_id": Arg("id", required=True),
            "name": Arg("str"),
            "archived": Arg("bool"),
            "locked": Arg("bool"),
            "auto_archive_duration": Arg("int"),
            "slowmode": Arg("int"),
        },
        result=_R_THREAD,
    ),
    _spec(
        "threads.delete",
        "Delete a thread.",
        {"thread_id": Arg("id", required=True), **_REASON},
        destructive=True,
        result="{id}",
    ),
    _spec("threads.join", "The bot joins a thread.", {"thread_id": Arg("id", required=True)}),
    _spec("threads.leave", "The bot leaves a thread.", {"thread_id": Arg("id", required=True)}),
    _spec(
        "threads.add_member",
        "Add a member to a thread.",
        {"thread_id": Arg("id", required=True), "user_id": Arg("id", required=True)},
        result="{thread_id, user_id}",
    ),
    _spec(
        "threads.remove_member",
        "Remove a member from a thread.",
        {"thread_id": Arg("id", required=True), "user_id": Arg("id", required=True)},
        result="{thread_id, user_id}",
    ),
    _spec(
        "threads.list",
        "Active threads of the guild (optionally of one channel).",
        {**_GUILD, "channel_id": Arg("id", doc="only threads of this channel")},
        writes=False,
        result=f"[{_R_THREAD}]",
    ),
    _spec(
        "threads.get",
        "One thread.",
        {"thread_id": Arg("id", required=True)},
        writes=False,
        result=_R_THREAD,
    ),
    # ---- forum
    _spec(
        "forum.create_post",
        "Open a post (a thread with a first message) in a forum channel.",
        {
            **_CHANNEL,
            "name": Arg("str", required=True, doc="post title"),
            **_CONTENT,
            "content": Arg("str", required=True),
            "tags": Arg("list", doc="applied tag ids"),
        },
        result=_R_THREAD + " + {message_id}",
    ),
    _spec(
        "forum.list_posts",
        "Active posts of a forum channel.",
        {**_CHANNEL, **_GUILD},
        writes=False,
        result=f"[{_R_THREAD}]",
    ),
    _spec(
        "forum.get_post",
        "One forum post.",
        {"thread_id": Arg("id", required=True)},
        writes=False,
        result=_R_THREAD,
    ),
    # ---- scheduled events
    _spec(
        "events.create",
        "Schedule a guild event.",
        {**_EVENT_FIELDS, "name": Arg("str", required=True), "start_time": Arg("str", True)},
        result=_R_EVENT,
    ),
    _spec(
        "events.edit",
        "Change a scheduled event.",
        {**_EVENT_FIELDS, "event_id": Arg("id", required=True)},
        result=_R_EVENT,
    ),
    _spec(
        "events.delete",
        "Delete a scheduled event.",
        {**_GUILD, "event_id": Arg("id", required=True)},
        destructive=True,
        result="{id}",
    ),
    _spec("events.list", "Scheduled events.", _GUILD, writes=False, result=f"[{_R_EVENT}]"),
    _spec(
        "events.get",
        "One scheduled event.",
        {**_GUILD, "event_id": Arg("id", required=True)},
        writes=False,
        result=_R_EVENT,
    ),
    # ---- permission overwrites
    _spec(
        "permissions.set",
        "Set a channel permission overwrite.",
        _OVERWRITE,
        result="{channel_id, target_id, allow, deny}",
    ),
    _spec(
        "permissions.ensure",
        "Make sure a channel permission overwrite is exactly this.",
        _OVERWRITE,
        convergent=True,
        result="{channel_id, target_id, allow, deny}",
    ),
    _spec(
        "permissions.clear",
        "Remove a channel permission overwrite.",
        {k: v for k, v in _OVERWRITE.items() if k not in ("allow", "deny")},
        destructive=True,
        result="{channel_id, target_id}",
    ),
    # ---- webhooks
    _spec(
        "webhooks.create",
        "Create a webhook on a channel.",
        {**_CHANNEL, **_GUILD, "name": Arg("str", required=True)},
        result="{id, name, channel_id, url}",
    ),
    _spec(
        "webhooks.ensure",
        "Make sure a channel has a webhook of this name.",
        {**_CHANNEL, **_GUILD, "name": Arg("str", required=True)},
        convergent=True,
        result="{id, name, channel_id, url}",
    ),
    _spec(
        "webhooks.list",
        "Webhooks of a channel, or of the guild.",
        {**_GUILD, "channel_id": Arg("id")},
        writes=False,
        result="[{id, name, channel_id}]",
    ),
    _spec(
        "webhooks.delete",
        "Delete a webhook.",
        {"webhook_id": Arg("id", required=True)},
        destructive=True,
        result="{id}",
    ),
    _spec(
        "webhooks.send",
        "Post through a webhook.",
        {
            "webhook_id": Arg("id", doc="webhook id (with token), or give url"),
            "token": Arg("str", doc="webhook token"),
            "url": Arg("str", doc="the webhook URL"),
            "username": Arg("str"),
            "avatar_url": Arg("str"),
            **_CONTENT,
            "content": Arg("str", required=True),
        },
        result=_R_MESSAGE,
    ),
    # ---- listings
    _spec("emojis.list", "Custom emojis.", _GUILD, writes=False, result="[{id, name, animated}]"),
    _spec("stickers.list", "Custom stickers.", _GUILD, writes=False, result="[{id, name, tags}]"),
    _spec(
        "invites.list",
        "Invites of the guild.",
        _GUILD,
        writes=False,
        result="[{code, channel_id, uses, max_uses}]",
    ),
    _spec("bans.list", "Bans.", {**_GUILD, **_LIMIT}, writes=False, result="[{user_id, reason}]"),
)

# Botticelli spells some commands differently; these resolve to the same spec.
ALIASES: Mapping[str, str] = {
    "channel.create": "channels.create",
    "channel.get_or_create": "channels.get_or_create",
    "message.send": "messages.send",
    "server.stats": "server.get_stats",
}

# Botticelli spells some arguments differently: alias -> the catalogue's name.
ARGUMENT_ALIASES: Mapping[str, str] = {
    "channel_type": "kind",
}
