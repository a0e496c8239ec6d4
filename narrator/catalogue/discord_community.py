"""Discord catalogue: threads, forum posts, scheduled events, permission overwrites and
the listings (emojis, stickers, invites, bans) (pure data)."""

from __future__ import annotations

from narrator.catalogue.discord_common import (
    CHANNEL,
    CONTENT,
    EVENT_FIELDS,
    GUILD,
    LIMIT,
    OVERWRITE,
    R_EVENT,
    R_THREAD,
    REASON,
    THREAD_FIELDS,
    spec,
)
from narrator.catalogue.spec import Arg, CommandSpec

COMMANDS: tuple[CommandSpec, ...] = (
    # ---- threads
    spec("threads.create", "Start a thread.", THREAD_FIELDS, result=R_THREAD),
    spec(
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
        result=R_THREAD,
    ),
    spec(
        "threads.delete",
        "Delete a thread.",
        {"thread_id": Arg("id", required=True), **REASON},
        destructive=True,
        result="{id}",
    ),
    spec("threads.join", "The bot joins a thread.", {"thread_id": Arg("id", required=True)}),
    spec("threads.leave", "The bot leaves a thread.", {"thread_id": Arg("id", required=True)}),
    spec(
        "threads.add_member",
        "Add a member to a thread.",
        {"thread_id": Arg("id", required=True), "user_id": Arg("id", required=True)},
        result="{thread_id, user_id}",
    ),
    spec(
        "threads.remove_member",
        "Remove a member from a thread.",
        {"thread_id": Arg("id", required=True), "user_id": Arg("id", required=True)},
        result="{thread_id, user_id}",
    ),
    spec(
        "threads.list",
        "Active threads of the guild (optionally of one channel).",
        {**GUILD, "channel_id": Arg("id", doc="only threads of this channel")},
        writes=False,
        result=f"[{R_THREAD}]",
    ),
    spec(
        "threads.get",
        "One thread.",
        {"thread_id": Arg("id", required=True)},
        writes=False,
        result=R_THREAD,
    ),
    # ---- forum
    spec(
        "forum.create_post",
        "Open a post (a thread with a first message) in a forum channel.",
        {
            **CHANNEL,
            "name": Arg("str", required=True, doc="post title"),
            **CONTENT,
            "content": Arg("str", required=True),
            "tags": Arg("list", doc="applied tag ids"),
            "auto_archive_duration": Arg("int", doc="minutes: 60, 1440, 4320 or 10080"),
        },
        result=R_THREAD + " + {message_id}",
    ),
    spec(
        "forum.list_posts",
        "Active posts of a forum channel.",
        {**CHANNEL, **GUILD},
        writes=False,
        result=f"[{R_THREAD}]",
    ),
    spec(
        "forum.get_post",
        "One forum post.",
        {"thread_id": Arg("id", required=True)},
        writes=False,
        result=R_THREAD,
    ),
    # ---- scheduled events
    spec(
        "events.create",
        "Schedule a guild event.",
        {**EVENT_FIELDS, "name": Arg("str", required=True), "start_time": Arg("str", True)},
        result=R_EVENT,
    ),
    spec(
        "events.edit",
        "Change a scheduled event.",
        {**EVENT_FIELDS, "event_id": Arg("id", required=True)},
        result=R_EVENT,
    ),
    spec(
        "events.delete",
        "Delete a scheduled event.",
        {**GUILD, "event_id": Arg("id", required=True)},
        destructive=True,
        result="{id}",
    ),
    spec("events.list", "Scheduled events.", GUILD, writes=False, result=f"[{R_EVENT}]"),
    spec(
        "events.get",
        "One scheduled event.",
        {**GUILD, "event_id": Arg("id", required=True)},
        writes=False,
        result=R_EVENT,
    ),
    # ---- permission overwrites
    spec(
        "permissions.set",
        "Set a channel permission overwrite.",
        OVERWRITE,
        result="{channel_id, target_id, allow, deny}",
    ),
    spec(
        "permissions.ensure",
        "Make sure a channel permission overwrite is exactly this.",
        OVERWRITE,
        convergent=True,
        result="{channel_id, target_id, allow, deny}",
    ),
    spec(
        "permissions.clear",
        "Remove a channel permission overwrite.",
        {k: v for k, v in OVERWRITE.items() if k not in ("allow", "deny")},
        destructive=True,
        result="{channel_id, target_id}",
    ),
    # ---- listings
    spec("emojis.list", "Custom emojis.", GUILD, writes=False, result="[{id, name, animated}]"),
    spec("stickers.list", "Custom stickers.", GUILD, writes=False, result="[{id, name, tags}]"),
    spec(
        "invites.list",
        "Invites of the guild.",
        GUILD,
        writes=False,
        result="[{code, channel_id, uses, max_uses}]",
    ),
    spec("bans.list", "Bans.", {**GUILD, **LIMIT}, writes=False, result="[{user_id, reason}]"),
    spec(
        "integrations.list",
        "The guild's integrations (bots, Twitch, YouTube ...).",
        GUILD,
        writes=False,
        result="[{id, name, type, enabled, account}]",
    ),
    spec(
        "voice_regions.list",
        "The voice regions the guild may use.",
        GUILD,
        writes=False,
        result="[{id, name, optimal, deprecated, custom}]",
    ),
)
