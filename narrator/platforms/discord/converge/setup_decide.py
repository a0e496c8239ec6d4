"""Pure decisions of the setup-parity ensures: server settings, member roles, forums, invites.

No I/O. The drivers (:mod:`.guild_settings`, :mod:`.member_roles`, :mod:`.forum`,
:mod:`.invites`) read Discord, turn the declaration and the live object into comparable
``desired``/``live`` fields here, and let :func:`~.decide.decide` decide as for every kind.

* server settings: names of levels → Discord's integers, channel references → ids,
  ``system_channel_flags`` names → bits, and which changes weaken the server
  (:func:`weakening`: removing the icon, lowering verification or the content filter —
  refused without ``allow_destructive``);
* the icon: Discord answers a hash, never the image, so what narrator uploaded is
  remembered as ``{source fingerprint}:{hash}`` and the live icon compares equal to
  the declaration while Discord still shows that hash (:func:`live_icon`);
* member roles: one boolean field per governed role (Terraform's ``has_role``);
* forum tags and default reaction: normalised without Discord's ids, matched by
  name when sent back so existing tags keep their ids (and posts their tags);
* invites: the invite to adopt among a channel's (:func:`pick_invite`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

# --------------------------------------------------------------------------- server settings

LEVELS: Mapping[str, Mapping[str, int]] = {
    "verification_level": {"none": 0, "low": 1, "medium": 2, "high": 3, "very_high": 4},
    "default_message_notifications": {"all_messages": 0, "only_mentions": 1},
    "explicit_content_filter": {"disabled": 0, "members_without_roles": 1, "all_members": 2},
}
SYSTEM_FLAGS: Mapping[str, int] = {
    "suppress_join_notifications": 1 << 0,
    "suppress_premium_subscriptions": 1 << 1,
    "suppress_guild_reminder_notifications": 1 << 2,
    "suppress_join_notification_replies": 1 << 3,
    "suppress_role_subscription_purchase_notifications": 1 << 4,
    "suppress_role_subscription_purchase_notification_replies": 1 << 5,
}
AFK_TIMEOUTS = (60, 300, 900, 1800, 3600)
# Discord refuses a server icon over 10 MiB (its image-data limit for icons and avatars;
# the OpenAPI spec gives no maxLength) and takes these image types
ICON_MAX_BYTES = 10 * 1024 * 1024
ICON_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
# argument → (Discord's field, the channel type it must be: 2 voice, 0 text)
CHANNEL_REFS: Mapping[str, tuple[str, int]] = {
    "afk_channel": ("afk_channel_id", 2),
    "system_channel": ("system_channel_id", 0),
    "rules_channel": ("rules_channel_id", 0),
    "public_updates_channel": ("public_updates_channel_id", 0),
}
# the order plan lists them in (Discord's field names)
GUILD_FIELDS = (
    "name",
    "description",
    "icon",
    "verification_level",
    "default_message_notifications",
    "explicit_content_filter",
    "afk_channel_id",
    "afk_timeout",
    "system_channel_id",
    "system_channel_flags",
    "rules_channel_id",
    "public_updates_channel_id",
)


def level(field: str, value: Any) -> int:
    """A level by name (``"high"``) or number as Discord's integer (ValueError names choices)."""
    names = LEVELS[field]
    if isinstance(value, bool):
        raise ValueError(f"{field} must be one of {', '.join(names)}")
    if isinstance(value, int) or str(value).strip().isdigit():
        number = int(value)
        if number in names.values():
            return number
    elif str(value).strip().lower() in names:
        return names[str(value).strip().lower()]
    raise ValueError(f"{field} must be one of {', '.join(names)} (got {value!r})")


def level_name(field: str, value: Any) -> Any:
    """Discord's integer shown by name in plan (``2`` → ``"medium"``)."""
    for name, number in LEVELS[field].items():
        if value is not None and str(number) == str(value):
            return name
    return value


def system_flags(value: Any) -> int:
    """``system_channel_flags`` from a list of names (or the integer itself)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    names = [value] if isinstance(value, str) else list(value or [])
    bits = 0
    for name in names:
        key = str(name).strip().lower()
        if key not in SYSTEM_FLAGS:
            raise ValueError(
                f"unknown system_channel_flags name {name!r}; use {', '.join(SYSTEM_FLAGS)}"
            )
        bits |= SYSTEM_FLAGS[key]
    return bits


def flag_names(bits: Any) -> list[str]:
    return [name for name, bit in SYSTEM_FLAGS.items() if int(bits or 0) & bit]


def afk_timeout(value: Any) -> int:
    seconds = int(value)
    if seconds not in AFK_TIMEOUTS:
        raise ValueError(f"afk_timeout must be one of {', '.join(map(str, AFK_TIMEOUTS))} seconds")
    return seconds


def channel_ref(
    channels: Mapping[str, Mapping[str, Any]], value: Any, want_type: int
) -> str | None:
    """The id of the channel ``value`` names (an id, or a name; ``""`` → None: no channel).

    KeyError when no channel of that type has that id or name.
    """
    text = str(value).strip()
    if not text:
        return None
    found = channels.get(text)
    if found is not None and int(found.get("type", 0)) == want_type:
        return text
    plain = text.lstrip("#").lower()
    spelled = plain.replace(" ", "-") if want_type == 0 else plain
    for channel in sorted(channels.values(), key=lambda c: int(c["id"])):
        if int(channel.get("type", 0)) == want_type and str(channel["name"]).lower() == spelled:
            return str(channel["id"])
    raise KeyError(text)


def icon_fingerprint(data_uri: str) -> str:
    """What the declared icon is, short (compared, stored and shown instead of the image)."""
    return "image " + hashlib.sha256(data_uri.encode()).hexdigest()[:12]


def live_icon(live_hash: Any, remembered: Any) -> Any:
    """The live icon as the declaration's fingerprint when Discord still shows the hash
    narrator's upload got (``remembered``: ``"{fingerprint}:{hash}"``), else Discord's hash."""
    if live_hash in (None, ""):
        return None
    if isinstance(remembered, str) and ":" in remembered:
        fingerprint, _, uploaded = remembered.rpartition(":")
        if uploaded == str(live_hash):
            return fingerprint
    return f"hash {live_hash}"


def weakening(
    live: Mapping[str, Any], changes: Iterable[str], desired: Mapping[str, Any]
) -> list[str]:
    """The changes among ``changes`` that remove or weaken something: refused unless the act
    may be destructive (the icon's image is gone once removed; lowering verification or
    the explicit content filter opens the server)."""
    out: list[str] = []
    for field in changes:
        new = desired.get(field)
        if field == "icon" and new is None and live.get("icon") is not None:
            out.append("remove the server icon")
        safety = field in ("verification_level", "explicit_content_filter") and new is not None
        if safety and int(new or 0) < int(live.get(field) or 0):
            out.append(
                f"lower {field} from {level_name(field, live.get(field))} "
                f"to {level_name(field, new)}"
            )
    return out


def show_guild_field(field: str, value: Any) -> Any:
    """A server setting as plan shows it: levels and flags by name."""
    if field in LEVELS:
        return level_name(field, value)
    if field == "system_channel_flags":
        return flag_names(value)
    return value


# --------------------------------------------------------------------------- member roles


def stripped_roles(
    desired: Mapping[str, Any], live: Mapping[str, Any], named: Collection[str]
) -> list[str]:
    """The roles (fields) a member would lose that the act does not name in ``roles`` or
    ``managed`` — what ``exactly = true`` takes away: destructive."""
    return [
        field
        for field, want in desired.items()
        if want is False and live.get(field) is True and field not in named
    ]


def governed(
    wanted: Sequence[str],
    managed: Sequence[str] | None,
    exactly: bool,
    roles: Mapping[str, Mapping[str, Any]],
    guild_id: str,
) -> list[str]:
    """The role ids an act governs: ``wanted`` plus ``managed``, or (``exactly``) every
    role but @everyone and the roles Discord manages (bots, boosts, integrations)."""
    ids = list(dict.fromkeys([*wanted, *(managed or [])]))
    if exactly:
        ids += [
            rid
            for rid, role in sorted(roles.items(), key=lambda kv: int(kv[0]))
            if rid != guild_id and not role.get("managed") and rid not in ids
        ]
    return ids


def role_fields(
    scope: Sequence[str], wanted: Iterable[str], has: Iterable[str], names: Mapping[str, str]
) -> tuple[dict[str, bool], dict[str, bool]]:
    """``(desired, live)``: for each governed role (by name), whether the member should have
    it and whether it has it — Terraform's ``has_role``, one field per role."""
    want, held = set(wanted), set(has)
    desired = {names.get(rid, rid): rid in want for rid in scope}
    live = {names.get(rid, rid): rid in held for rid in scope}
    return desired, live


# --------------------------------------------------------------------------- forum channels


def emoji(value: Any) -> dict[str, Any] | None:
    """An emoji argument as Discord's ``{emoji_id, emoji_name}`` (custom: ``name:id`` or
    ``<:name:id>`` → its id; unicode → its name); ``""`` → None."""
    text = str(value or "").strip()
    if not text:
        return None
    inner = text.strip("<>").removeprefix("a:").strip(":")
    name, _, snowflake = inner.rpartition(":")
    if name and snowflake.isdigit():
        return {"emoji_id": snowflake, "emoji_name": None}
    return {"emoji_id": None, "emoji_name": text}


def live_emoji(obj: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Discord's ``{emoji_id, emoji_name}`` (or a tag's fields) normalised; None when empty."""
    if not obj:
        return None
    emoji_id = obj.get("emoji_id")
    name = obj.get("emoji_name")
    if emoji_id in (None, "", "0") and not name:
        return None
    if emoji_id not in (None, "", "0"):
        return {"emoji_id": str(emoji_id), "emoji_name": None}
    return {"emoji_id": None, "emoji_name": name}


def declared_tags(value: Any) -> list[dict[str, Any]]:
    """Declared tags (names, or tables ``{name, emoji, moderated}``) as comparable dicts."""
    out: list[dict[str, Any]] = []
    for item in value or []:
        spec = item if isinstance(item, Mapping) else {"name": item}
        name = str(spec.get("name") or "").strip()
        if not name or len(name) > 20:
            raise ValueError(f"a forum tag needs a name of 1-20 characters (got {name!r})")
        mark = emoji(spec.get("emoji")) or {"emoji_id": None, "emoji_name": None}
        out.append({"name": name, "moderated": bool(spec.get("moderated", False)), **mark})
    if len({tag["name"] for tag in out}) != len(out):
        raise ValueError("two forum tags have the same name")
    if len(out) > 20:
        raise ValueError("a forum channel has at most 20 tags")
    return out


def live_tags(tags: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """Discord's ``available_tags`` as :func:`declared_tags` spells them (ids left out)."""
    out = []
    for tag in tags or []:
        mark = live_emoji(tag) or {"emoji_id": None, "emoji_name": None}
        out.append({"name": tag.get("name"), "moderated": bool(tag.get("moderated")), **mark})
    return out


def tags_payload(
    desired: Sequence[Mapping[str, Any]], live: Iterable[Mapping[str, Any]] | None
) -> list[dict[str, Any]]:
    """The ``available_tags`` to send: a tag that exists under that name keeps its id (posts
    keep it); a declared tag with no namesake takes the id of the live tag at its place when
    that one's name is not declared (a tag renamed out of band is renamed back, not
    replaced); other tags have no id (Discord assigns one); tags not declared are dropped."""
    listed = [tag for tag in live or [] if tag.get("id")]
    declared = {str(tag["name"]) for tag in desired}
    by_name = {str(tag.get("name")): str(tag["id"]) for tag in listed}
    used = {by_name[name] for name in declared if name in by_name}
    out = []
    for place, tag in enumerate(desired):
        tag_id = by_name.get(str(tag["name"]))
        if tag_id is None and place < len(listed):
            there = listed[place]
            if str(there.get("name")) not in declared and str(there["id"]) not in used:
                tag_id = str(there["id"])
                used.add(tag_id)
        out.append({"id": tag_id, **tag} if tag_id else dict(tag))
    return out


def dropped_tags(
    desired: Sequence[Mapping[str, Any]], live: Iterable[Mapping[str, Any]] | None
) -> list[str]:
    """The live tags :func:`tags_payload` would drop (their id is sent for no tag): posts
    lose them, so removing one is destructive. A tag renamed back keeps its id: not dropped."""
    listed = [tag for tag in live or [] if tag.get("id")]
    kept = {str(tag["id"]) for tag in tags_payload(desired, listed) if tag.get("id")}
    return [str(tag.get("name")) for tag in listed if str(tag["id"]) not in kept]


def show_emoji(mark: Mapping[str, Any] | None) -> str | None:
    if not mark:
        return None
    return str(mark.get("emoji_name") or f"emoji {mark.get('emoji_id')}")


def show_forum_field(field: str, value: Any) -> Any:
    """Tags by name (with their emoji, ``*`` when moderated), the default reaction as its emoji."""
    if field == "available_tags":
        out = []
        for tag in value or []:
            mark = show_emoji(tag) if (tag.get("emoji_id") or tag.get("emoji_name")) else None
            label = f"{mark} {tag['name']}" if mark else str(tag["name"])
            out.append(label + (" *" if tag.get("moderated") else ""))
        return out
    if field == "default_reaction_emoji":
        return show_emoji(value)
    return value


# --------------------------------------------------------------------------- invites


def invite_settings(max_age: Any, max_uses: Any, temporary: Any) -> dict[str, Any]:
    """What an invite is, declared (Discord's defaults: a day, unlimited uses, not temporary)."""
    age = 86400 if max_age is None else int(max_age)
    uses = 0 if max_uses is None else int(max_uses)
    if not 0 <= age <= 604800:
        raise ValueError("max_age must be 0 (never expires) to 604800 seconds")
    if not 0 <= uses <= 100:
        raise ValueError("max_uses must be 0 (unlimited) to 100")
    return {"max_age": age, "max_uses": uses, "temporary": bool(temporary)}


def invite_matches(invite: Mapping[str, Any], settings: Mapping[str, Any]) -> bool:
    return (
        int(invite.get("max_age") or 0) == int(settings["max_age"])
        and int(invite.get("max_uses") or 0) == int(settings["max_uses"])
        and bool(invite.get("temporary")) == bool(settings["temporary"])
    )


def pick_invite(
    invites: Iterable[Mapping[str, Any]],
    settings: Mapping[str, Any],
    stored_code: Any,
    bot_id: str | None,
    taken: Iterable[str] = (),
) -> tuple[Mapping[str, Any] | None, bool]:
    """``(invite, stored_alive)``: the invite to keep — the stored one when it still exists
    with these settings, else the oldest of the bot's (then anyone's) with these settings
    that no other act of the run took; ``stored_alive``: the stored code still exists."""
    listed = list(invites)
    stored = next((i for i in listed if stored_code and i.get("code") == stored_code), None)
    if stored is not None and invite_matches(stored, settings):
        return stored, True
    busy = set(taken)
    fitting = [i for i in listed if invite_matches(i, settings) and i.get("code") not in busy]
    fitting.sort(
        key=lambda i: (
            ((i.get("inviter") or {}).get("id") != bot_id) if bot_id else False,
            str(i.get("created_at") or ""),
        )
    )
    return (fitting[0] if fitting else None), stored is not None
