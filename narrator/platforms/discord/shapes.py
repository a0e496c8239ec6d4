"""Shapes: Discord's JSON as narrator outputs, and narrator arguments as Discord request bodies.

Pure functions (no I/O); the commands and the convergence code share them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from narrator.errors import PlatformError, did_you_mean
from narrator.logs import REDACTED
from narrator.platforms.discord.session import Call
from narrator.platforms.discord.text import CHANNEL_KINDS, KIND_NAMES, parse_color
from narrator.platforms.discord.transport import permission_bits, permission_names

# --------------------------------------------------------------------------- outputs


def fingerprint(fields: Mapping[str, Any]) -> str:
    """A short hash of declared fields: tells an out-of-band change from a new declaration."""
    data = json.dumps(fields, sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def channel_out(channel: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": channel["id"],
        "name": channel.get("name"),
        "kind": KIND_NAMES.get(int(channel.get("type", 0)), str(channel.get("type"))),
        "type": channel.get("type"),
        "topic": channel.get("topic"),
        "category_id": channel.get("parent_id"),
        "parent_id": channel.get("parent_id"),
        "position": channel.get("position"),
        "nsfw": channel.get("nsfw", False),
        "guild_id": channel.get("guild_id"),
    }


def role_out(r: Mapping[str, Any]) -> dict[str, Any]:
    color = int(r.get("color", 0))
    return {
        "id": r["id"],
        "name": r.get("name"),
        "color": f"#{color:06x}",
        "hoist": r.get("hoist", False),
        "mentionable": r.get("mentionable", False),
        "permissions": permission_names(int(r.get("permissions", 0))),
        "position": r.get("position"),
    }


def message_out(m: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": m["id"],
        "channel_id": m.get("channel_id"),
        "content": m.get("content", ""),
        "author_id": (m.get("author") or {}).get("id"),
        "pinned": m.get("pinned", False),
        "timestamp": m.get("timestamp"),
    }


def member_out(m: Mapping[str, Any]) -> dict[str, Any]:
    user = m.get("user") or {}
    return {
        "id": user.get("id"),
        "name": user.get("global_name") or user.get("username"),
        "username": user.get("username"),
        "nick": m.get("nick"),
        "roles": list(m.get("roles", [])),
        "joined_at": m.get("joined_at"),
        "communication_disabled_until": m.get("communication_disabled_until"),
    }


def thread_out(t: Mapping[str, Any]) -> dict[str, Any]:
    meta = t.get("thread_metadata") or {}
    return {
        "id": t["id"],
        "name": t.get("name"),
        "parent_id": t.get("parent_id"),
        "archived": meta.get("archived", False),
        "locked": meta.get("locked", False),
        "kind": KIND_NAMES.get(int(t.get("type", 11)), str(t.get("type"))),
        "guild_id": t.get("guild_id"),
    }


def event_out(e: Mapping[str, Any]) -> dict[str, Any]:
    statuses = {1: "scheduled", 2: "active", 3: "completed", 4: "canceled"}
    meta = e.get("entity_metadata") or {}
    return {
        "id": e["id"],
        "name": e.get("name"),
        "description": e.get("description"),
        "start_time": e.get("scheduled_start_time"),
        "end_time": e.get("scheduled_end_time"),
        "status": statuses.get(int(e.get("status", 1)), str(e.get("status"))),
        "location": meta.get("location"),
        "channel_id": e.get("channel_id"),
    }


# Discord's execute URL of an incoming webhook; its API answers carry only id and token.
WEBHOOK_URL = "https://discord.com/api/webhooks/{id}/{token}"
# what stands for the token in the url narrator outputs (the log redaction's mark): the token
# is a secret (whoever has it can post as the webhook), so it never reaches outputs, the
# journal, state or logs; webhooks.send fetches it with the bot's token when it meets this
HIDDEN_TOKEN = REDACTED


def webhook_out(h: Mapping[str, Any]) -> dict[str, Any]:
    """A webhook's output: ``url`` is Discord's execute URL with the token hidden
    (``…/webhooks/ID/[redacted]``, which webhooks.send accepts); None when Discord gave
    no token (another application's webhook, which narrator cannot post through)."""
    return {
        "id": h["id"],
        "name": h.get("name"),
        "channel_id": h.get("channel_id"),
        "url": WEBHOOK_URL.format(id=h["id"], token=HIDDEN_TOKEN) if h.get("token") else None,
    }


def webhook_parts(url: str) -> tuple[str, str | None] | None:
    """``(id, token)`` of a webhook URL (``.../webhooks/{id}/{token}``; token None when it
    is the hidden one of narrator's outputs), else None."""
    parts = url.split("?", 1)[0].rstrip("/").split("/")
    if len(parts) < 3 or parts[-3] != "webhooks" or not parts[-2].isdigit() or not parts[-1]:
        return None
    return parts[-2], (None if parts[-1] == HIDDEN_TOKEN else parts[-1])


# --------------------------------------------------------------------------- request bodies


def channel_payload(call: Call, kind: int, parent: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind}
    if call.get("name") is not None:
        body["name"] = str(call.get("name"))
    if parent is not None:
        body["parent_id"] = parent
    for arg, key in (
        ("topic", "topic"),
        ("position", "position"),
        ("nsfw", "nsfw"),
        ("slowmode", "rate_limit_per_user"),
        ("bitrate", "bitrate"),
        ("user_limit", "user_limit"),
    ):
        if call.get(arg) is not None:
            body[key] = call.get(arg)
    return body


def kind_of(call: Call, default: str = "text") -> int:
    name = str(call.get("kind", default)).lower()
    if name not in CHANNEL_KINDS:
        raise PlatformError(
            f"unknown channel kind '{name}'",
            act=call.raw.act,
            hint=did_you_mean(name, list(CHANNEL_KINDS))
            or "use text, voice, category, announcement or forum",
        )
    return CHANNEL_KINDS[name]


def role_payload(call: Call) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if call.get("name") is not None:
        body["name"] = str(call.get("name"))
    if call.get("color") is not None:
        body["color"] = parse_color(call.get("color"))
    for key in ("hoist", "mentionable"):
        if call.get(key) is not None:
            body[key] = bool(call.get(key))
    if call.args.get("permissions") is not None:
        body["permissions"] = str(permission_bits(list(call.args["permissions"])))
    return body


def parse_duration(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    if text and text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text)


def iso_in(seconds: float, now: datetime) -> str:
    return (now + timedelta(seconds=seconds)).isoformat()


def emoji_param(emoji: str) -> str:
    """``<:name:id>`` / ``<a:name:id>`` → ``name:id``; unicode emoji unchanged (Route quotes)."""
    return emoji.strip().strip("<>").removeprefix("a:").strip(":")
