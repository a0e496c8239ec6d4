"""Setup parity with Terraform's Discord provider: the convergent commands it manages that the
other tables lack — a member's roles, the server's settings, forum channels, invites.

Pure data (see :mod:`~narrator.catalogue.discord_common`). The ``@everyone`` role's
permissions need no entry: ``roles.ensure name = "@everyone"`` converges them.
"""

from __future__ import annotations

from narrator.catalogue.discord_common import GUILD, MEMBER, R_CHANNEL, spec
from narrator.catalogue.spec import Arg, CommandSpec

VERIFICATION = ("none", "low", "medium", "high", "very_high")
NOTIFICATIONS = ("all_messages", "only_mentions")
CONTENT_FILTER = ("disabled", "members_without_roles", "all_members")
SORT_ORDERS = ("latest_activity", "creation_date")

_GUILD_SETTINGS = {
    **GUILD,
    "name": Arg("str", doc="server name (2-100 characters)"),
    "icon": Arg(
        "str",
        doc="a PNG/JPEG/GIF/WebP file (relative to the narrative, at most 10 MiB) or a data: "
        'URI; "" removes the icon (destructive)',
    ),
    "description": Arg("str", doc="server description"),
    "verification_level": Arg(
        "any", doc="none, low, medium, high, very_high (or 0-4); lowering it is destructive"
    ),
    "default_message_notifications": Arg("any", doc="all_messages or only_mentions (or 0-1)"),
    "explicit_content_filter": Arg(
        "any",
        doc="disabled, members_without_roles, all_members (or 0-2); lowering it is destructive",
    ),
    "afk_channel": Arg("str", doc='voice channel name or id ("" for none)'),
    "afk_timeout": Arg("int", doc="seconds: 60, 300, 900, 1800 or 3600"),
    "system_channel": Arg("str", doc='text channel name or id for system messages ("" for none)'),
    "system_channel_flags": Arg(
        "any",
        doc="list of suppress_join_notifications, suppress_premium_subscriptions, "
        "suppress_guild_reminder_notifications, suppress_join_notification_replies, "
        "suppress_role_subscription_purchase_notifications, "
        "suppress_role_subscription_purchase_notification_replies (or the integer)",
    ),
    "rules_channel": Arg("str", doc="text channel name or id of the rules (community servers)"),
    "public_updates_channel": Arg(
        "str", doc="text channel name or id for Discord's notices to moderators"
    ),
    "reason": Arg("str", doc="audit-log reason"),
}

_FORUM_FIELDS = {
    **GUILD,
    "name": Arg("str", required=True, doc="forum channel name"),
    "topic": Arg("str", doc="the post guidelines"),
    "category": Arg("str", doc="name (or id) of the category to place it in"),
    "position": Arg("int", doc="sorting position"),
    "nsfw": Arg("bool", doc="age-restricted"),
    "slowmode": Arg("int", doc="seconds between a member's posts (rate_limit_per_user)"),
    "tags": Arg(
        "list",
        doc="available tags, in order: names, or tables {name, emoji, moderated} "
        "(emoji: unicode or name:id)",
    ),
    "default_reaction": Arg("str", doc='emoji shown on every post (unicode or name:id; "" none)'),
    "sort_order": Arg("str", doc="latest_activity or creation_date", choices=SORT_ORDERS),
}

COMMANDS: tuple[CommandSpec, ...] = (
    spec(
        "members.roles_ensure",
        "Make sure a member has exactly these of the managed roles; add and remove only those.",
        {
            **MEMBER,
            "roles": Arg("list", required=True, doc="role names or ids the member must have"),
            "managed": Arg(
                "list",
                doc="role names or ids this act governs: one of them the member has but "
                "`roles` does not list is removed (default: only `roles`; nothing is removed)",
            ),
            "exactly": Arg(
                "bool",
                doc="govern every role except @everyone and roles Discord manages "
                "(bots, boosts, integrations): the member ends with exactly `roles`",
            ),
            "reason": Arg("str", doc="audit-log reason"),
        },
        convergent=True,
        result="{user_id, roles: [names], added: [names], removed: [names]}",
    ),
    spec(
        "guild.ensure",
        "Make sure the server's settings are these; PATCH only the fields that differ.",
        _GUILD_SETTINGS,
        convergent=True,
        result="{id, name, description, verification_level, default_message_notifications, "
        "explicit_content_filter, afk_channel_id, afk_timeout, system_channel_id, "
        "system_channel_flags, rules_channel_id, public_updates_channel_id, icon}",
    ),
    spec(
        "forum.ensure",
        "Make sure a forum channel exists with these fields, tags and default reaction.",
        _FORUM_FIELDS,
        convergent=True,
        result=R_CHANNEL[:-1] + ", tags: [{id, name, emoji, moderated}], default_reaction}",
    ),
    spec(
        "invites.ensure",
        "An invite to a channel with these settings: adopt one that exists, else create it.",
        {
            **GUILD,
            "channel_id": Arg("id", required=True, doc="channel id"),
            "key": Arg("str", doc="stable name of this invite (default: the act name)"),
            "max_age": Arg("int", doc="seconds, 0 = never expires (default 86400)"),
            "max_uses": Arg("int", doc="0 = unlimited (default)"),
            "temporary": Arg("bool", doc="members leave unless given a role (default false)"),
        },
        convergent=True,
        result="{code, url, channel_id, max_age, max_uses, temporary}",
    ),
)
