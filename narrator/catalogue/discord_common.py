"""What the Discord catalogue modules share: the spec builder and the argument groups.

Pure data. ``spec`` adds ``guild_id`` to every command (Botticelli files pass it
everywhere); the ``*_FIELDS`` groups and the ``R_*`` result shapes are reused by
the per-noun modules (:mod:`~narrator.catalogue.discord_guild`,
:mod:`~narrator.catalogue.discord_messages`, :mod:`~narrator.catalogue.discord_community`).
"""

from __future__ import annotations

from collections.abc import Mapping

from narrator.catalogue.spec import Arg, CommandSpec

# channel kinds the platform accepts for ``kind`` (case-insensitive)
KINDS = ("text", "voice", "category", "announcement", "news", "stage", "forum")

GUILD = {"guild_id": Arg("id", doc="guild (server) id; defaults to [discord] guild_id")}


def spec(
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
        {**args, **{k: v for k, v in GUILD.items() if k not in args}},
        doc,
        destructive=destructive,
        convergent=convergent,
        writes=writes,
        result=result,
    )


CHANNEL = {"channel_id": Arg("id", required=True, doc="channel id")}
MESSAGE = {**CHANNEL, "message_id": Arg("id", required=True, doc="message id")}
MEMBER = {**GUILD, "user_id": Arg("id", required=True, doc="member (user) id")}
REASON = {"reason": Arg("str", doc="audit-log reason")}
ROLE_ID = {"role_id": Arg("id", doc="Botticelli spelling of role (an id)")}
LIMIT = {"limit": Arg("int", doc="how many to return (default 50, at most 100)")}
CHANNEL_FIELDS = {
    **GUILD,
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
ROLE_FIELDS = {
    **GUILD,
    "name": Arg("str", required=True, doc="role name"),
    "color": Arg("any", doc='"#rrggbb" or an integer'),
    "hoist": Arg("bool", doc="show members separately"),
    "mentionable": Arg("bool", doc="anyone may @mention the role"),
    "permissions": Arg("list", doc="list of permission names, e.g. send_messages"),
}
OVERWRITE = {
    **CHANNEL,
    **GUILD,
    "role": Arg("str", doc="role name or id (one of role / member)"),
    "member": Arg("id", doc="member id (one of role / member)"),
    "allow": Arg("list", doc="permission names to allow"),
    "deny": Arg("list", doc="permission names to deny"),
}
CONTENT = {
    "content": Arg("str", doc="text; over 2,000 characters it is split on line/word boundaries"),
    "mentions": Arg(
        "list",
        doc='who may be pinged: "everyone", "roles", "users", or ids; '
        "default none for model text, users+roles for static text",
    ),
    "embeds": Arg("list", doc="Discord embed objects"),
}
EVENT_FIELDS = {
    **GUILD,
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
THREAD_FIELDS = {
    **CHANNEL,
    "name": Arg("str", required=True, doc="thread name"),
    "message_id": Arg("id", doc="start the thread from this message"),
    "private": Arg("bool", doc="private thread (text channels only)"),
    "auto_archive_duration": Arg("int", doc="minutes: 60, 1440, 4320 or 10080"),
    "slowmode": Arg("int"),
}

R_CHANNEL = "{id, name, kind, topic, category_id, position, nsfw, guild_id}"
R_ROLE = "{id, name, color, hoist, mentionable, permissions, position}"
R_MESSAGE = "{id, channel_id, content, author_id, pinned, ids (when split)}"
R_MEMBER = "{id, name, nick, roles, joined_at, communication_disabled_until}"
R_THREAD = "{id, name, parent_id, archived, locked, kind}"
R_EVENT = "{id, name, description, start_time, end_time, status, location, channel_id}"
