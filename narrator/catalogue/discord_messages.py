"""Discord catalogue: messages, reactions and webhooks (pure data)."""

from __future__ import annotations

from narrator.catalogue.discord_common import (
    CHANNEL,
    CONTENT,
    GUILD,
    LIMIT,
    MESSAGE,
    R_MESSAGE,
    REASON,
    spec,
)
from narrator.catalogue.spec import Arg, CommandSpec

COMMANDS: tuple[CommandSpec, ...] = (
    # ---- messages
    spec(
        "messages.send",
        "Send a message (split when over 2,000 characters).",
        {
            **CHANNEL,
            **CONTENT,
            "content": Arg("str", required=True),
            "reply_to": Arg("id"),
            "tts": Arg("bool", doc="read aloud (text-to-speech) to members viewing the channel"),
        },
        result=R_MESSAGE,
    ),
    spec(
        "messages.ensure",
        "Post a message once; edit it when the content changes; re-post when deleted.",
        {
            **CHANNEL,
            **GUILD,
            "key": Arg("str", doc="stable name of this message (default: the act name)"),
            **CONTENT,
            "content": Arg("str", required=True),
            "pin": Arg("bool", doc="keep it pinned"),
        },
        convergent=True,
        result=R_MESSAGE,
    ),
    spec(
        "messages.edit",
        "Change a message's content.",
        {**MESSAGE, **CONTENT, "content": Arg("str", required=True)},
        result=R_MESSAGE,
    ),
    spec(
        "messages.delete",
        "Delete a message.",
        {**MESSAGE, **REASON},
        destructive=True,
        result="{id}",
    ),
    spec("messages.get", "One message.", MESSAGE, writes=False, result=R_MESSAGE),
    spec(
        "messages.list",
        "Recent messages of a channel, newest first.",
        {**CHANNEL, **LIMIT, "before": Arg("id"), "after": Arg("id")},
        writes=False,
        result=f"[{R_MESSAGE}]",
    ),
    spec("messages.pin", "Pin a message.", {**MESSAGE, **REASON}, result="{id}"),
    spec("messages.unpin", "Unpin a message.", {**MESSAGE, **REASON}, result="{id}"),
    spec(
        "messages.bulk_delete",
        "Delete 2-100 messages younger than 14 days.",
        {**CHANNEL, "message_ids": Arg("list", required=True), **REASON},
        destructive=True,
        result="{deleted: count}",
    ),
    spec(
        "messages.clear",
        "Delete the most recent messages of a channel (default 100).",
        {**CHANNEL, **LIMIT, **REASON},
        destructive=True,
        result="{deleted: count}",
    ),
    # ---- reactions
    spec(
        "reactions.add",
        "React to a message as the bot.",
        {**MESSAGE, "emoji": Arg("str", required=True, doc="unicode emoji or name:id")},
        result="{message_id, emoji}",
    ),
    spec(
        "reactions.remove",
        "Remove the bot's (or a user's) reaction.",
        {**MESSAGE, "emoji": Arg("str", required=True), "user_id": Arg("id")},
        result="{message_id, emoji}",
    ),
    spec(
        "reactions.clear",
        "Remove every reaction (or every reaction of one emoji) from a message.",
        {**MESSAGE, "emoji": Arg("str")},
        destructive=True,
        result="{message_id}",
    ),
    spec(
        "reactions.clear_emoji",
        "Botticelli: remove every reaction of one emoji (reactions.clear with an emoji).",
        {**MESSAGE, "emoji": Arg("str", required=True, doc="unicode emoji or name:id")},
        destructive=True,
        result="{message_id}",
    ),
    spec(
        "reactions.list",
        "Users who reacted with an emoji.",
        {**MESSAGE, "emoji": Arg("str", required=True), **LIMIT},
        writes=False,
        result="[{id, name}]",
    ),
    # ---- webhooks
    spec(
        "webhooks.create",
        "Create a webhook on a channel.",
        {**CHANNEL, **GUILD, "name": Arg("str", required=True)},
        result="{id, name, channel_id, url}",
    ),
    spec(
        "webhooks.ensure",
        "Make sure a channel has a webhook of this name.",
        {**CHANNEL, **GUILD, "name": Arg("str", required=True)},
        convergent=True,
        result="{id, name, channel_id, url}",
    ),
    spec(
        "webhooks.list",
        "Webhooks of a channel, or of the guild.",
        {**GUILD, "channel_id": Arg("id")},
        writes=False,
        result="[{id, name, channel_id}]",
    ),
    spec(
        "webhooks.delete",
        "Delete a webhook.",
        {"webhook_id": Arg("id", required=True)},
        destructive=True,
        result="{id}",
    ),
    spec(
        "webhooks.send",
        "Post through a webhook.",
        {
            "webhook_id": Arg("id", doc="webhook id (its token is read if not given), or url"),
            "token": Arg("str", doc="webhook token"),
            "url": Arg("str", doc="the webhook URL (an output's url with [redacted] works)"),
            "username": Arg("str"),
            "avatar_url": Arg("str"),
            **CONTENT,
            "content": Arg("str", required=True),
        },
        result=R_MESSAGE,
    ),
)
